"""`entity`, `entity.qualification`, `entity.staff`: construction-market data (四库一平台, DOMAIN §5).

An entity is keyed by its USCC (QY_ORG_CODE): the one identifier every national dataset shares.
A qualification is keyed by entity + certificate + qualification name, because one 资质证书 lists
several qualifications that expire separately. A registered person is keyed by employer + keyed
hash of the person + registration certificate: a move to another employer is another record, as
the register itself treats it. Staff ID numbers become keyed hashes (`schemas.base.KeyedHash`).
Each record concerns the region the entity is registered in; qualification and staff records
carry it when the source gives it, and otherwise the caller supplies the jurisdiction.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import Code, Date, KeyedHash, Name, OrgCode, RegionCode, StandardRecord, Timestamp, Uscc


class Entity(StandardRecord):
    """企业 (QY_*)."""

    record_type = "entity"
    business_key = ("uscc",)
    jurisdiction_fields = ("region_code",)

    uscc: Uscc = Field(description="统一社会信用代码 QY_ORG_CODE")
    name: Name = Field(description="企业名称 QY_NAME")
    legal_representative: Name | None = Field(default=None, description="法定代表人 QY_FR_NAME")
    region_code: RegionCode = Field(description="注册地行政区划 QY_REGION")
    region_name: Name | None = Field(default=None, description="注册地名称 QY_REGION_NAME (山东省-青岛市)")
    old_org_code: OrgCode | None = Field(default=None, description="原组织机构代码 OLD_CODE")
    registration_type: Name | None = Field(default=None, description="登记注册类型 QY_GSZCLX_NAME")
    address: Name | None = Field(default=None, description="企业地址 QY_ADDR")
    source_entity_id: Code | None = Field(default=None, description="来源系统企业标识 QY_ID")
    source_type: Code | None = Field(default=None, description="数据来源类型 QY_SRC_TYPE")
    collected_at: Timestamp | None = Field(
        default=None, description="采集时间 COLLECT_TIME (epoch ms at source)"
    )
    roles: Annotated[list[Name], Field(min_length=1)] | None = Field(
        default=None, description="主体角色 (招标人, 投标人, 代理机构 …)"
    )


class EntityQualification(StandardRecord):
    """资质 (APT_*)."""

    record_type = "entity.qualification"
    business_key = ("uscc", "certificate_no", "qualification_name")
    jurisdiction_fields = ("region_code",)

    uscc: Uscc = Field(description="企业统一社会信用代码 QY_ORG_CODE")
    entity_name: Name | None = Field(default=None, description="企业名称 QY_NAME")
    qualification_type: Name = Field(description="资质类别 APT_TYPE_NAME")
    certificate_no: Code = Field(description="资质证书号 APT_CERTNO")
    qualification_name: Name = Field(description="资质名称 APT_NAME (含等级)")
    grade: Name | None = Field(default=None, description="资质等级")
    issue_date: Date | None = Field(default=None, description="发证日期 APT_GET_DATE")
    expiry_date: Date | None = Field(default=None, description="证书有效期 APT_EDATE")
    issuing_authority: Name | None = Field(default=None, description="发证机关 APT_GRANT_UNIT")
    status: Literal["valid", "expired", "revoked", "suspended"] | None = Field(
        default=None, description="状态 (有效, 过期, 撤回/注销, 暂扣)"
    )
    region_code: RegionCode | None = Field(default=None, description="企业注册地行政区划 QY_REGION")


class EntityStaff(StandardRecord):
    """注册人员 (RY_*, REG_*)."""

    record_type = "entity.staff"
    business_key = ("uscc", "person_id", "certificate_no")
    jurisdiction_fields = ("region_code",)

    uscc: Uscc = Field(description="聘用企业统一社会信用代码")
    entity_name: Name | None = Field(default=None, description="聘用企业名称")
    person_id: KeyedHash = Field(description="身份证件号码 IDCARD, as a keyed hash")
    name: Name = Field(description="姓名 RY_NAME")
    id_card_type: Name | None = Field(default=None, description="证件类型 RY_CARDTYPE_NAME")
    sex: Literal["男", "女"] | None = Field(default=None, description="性别 RY_SEX_NAME")
    registration_type: Name = Field(description="注册类别 REG_TYPE_NAME (一级注册建造师 …)")
    registration_type_code: Code | None = Field(default=None, description="注册类别代码 (RY_ZCLB_071 …)")
    certificate_no: Code = Field(description="注册证书编号 REG_CERTNO")
    seal_code: Code | None = Field(default=None, description="执业印章号 REG_SEAL_CODE")
    profession: Name | None = Field(default=None, description="注册专业 REG_PROF_NAME")
    valid_from: Date | None = Field(default=None, description="注册有效期起 REG_SDATE")
    valid_to: Date | None = Field(default=None, description="注册有效期止 REG_EDATE")
    region_code: RegionCode | None = Field(default=None, description="聘用企业注册地行政区划")
