"""`credit.license`, `credit.penalty`, `credit.blacklist`, `credit.repair` (DOMAIN §8).

双公示 records (XK_ licensing, CF_ penalty) are keyed by the deciding authority's USCC
(XK_XKJGDM / CF_CFJGDM) plus the decision number (XK_WSH / CF_WSH): a 文书号 is unique only within
its authority. A blacklist entry is keyed by BLACKLIST_CODE; a repair by its own 修复编号.

Screening uses only currently effective entries (DOMAIN §8.3): the fields that decide it are
kept explicit — `publicity_end` (CF_GSJZQ), `revoked` with its date (REVOCATION_STATUS), the
restriction period `start_date`/`end_date`, and the repair that stopped a publication.

Each record concerns `region_code`, the region of the deciding authority, when the source gives it,
else the party's region; otherwise the caller supplies the jurisdiction.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import (
    Code,
    Condition,
    Date,
    DocumentRef,
    Money,
    Name,
    Party,
    RegionCode,
    StandardRecord,
    Text,
    Uscc,
)

_REGION = "行政区划 of the deciding authority"
_JURISDICTION = ("region_code", "party.region_code")


class CreditLicense(StandardRecord):
    """行政许可 双公示 (XK_)."""

    record_type = "credit.license"
    business_key = ("authority_code", "decision_number")
    jurisdiction_fields = _JURISDICTION

    decision_number: Code = Field(description="行政许可决定文书号 XK_WSH")
    decision_document_name: Name | None = Field(default=None, description="行政许可决定文书名称 XK_XKWS")
    party: Party = Field(description="行政相对人 XK_XDR_MC + XK_XDR_SHXYM / XK_XDR_ZZJG / XK_XDR_ZJHM")
    party_category: Name | None = Field(default=None, description="行政相对人类别 XK_XDR_LB")
    legal_representative: Name | None = Field(default=None, description="法定代表人 XK_FRDB")
    license_category: Name | None = Field(default=None, description="许可类别 XK_XKLB (普通, 特许 …)")
    certificate_name: Name | None = Field(default=None, description="许可证书名称 XK_XKZS")
    license_number: Code | None = Field(default=None, description="许可编号 XK_XKBH")
    content: Text | None = Field(default=None, description="许可内容 XK_NR")
    decision_date: Date = Field(description="许可决定日期 XK_JDRQ")
    valid_from: Date | None = Field(default=None, description="有效期自 XK_YXQZ")
    valid_to: Date | None = Field(default=None, description="有效期至 XK_YXQZI")
    authority_name: Name = Field(description="许可机关 XK_XKJG")
    authority_code: Uscc = Field(description="许可机关统一社会信用代码 XK_XKJGDM")
    status: Code | None = Field(default=None, description="当前状态 XK_ZT (1 = 有效)")
    data_source_unit: Name | None = Field(default=None, description="数据来源单位 XK_LYDW")
    data_source_unit_code: Uscc | None = Field(
        default=None, description="数据来源单位统一社会信用代码 XK_LYDWDM"
    )
    scope_of_use: Name | None = Field(default=None, description="信息使用范围 XK_SYFW")
    remarks: Text | None = Field(default=None, description="备注 BZ")
    region_code: RegionCode | None = Field(default=None, description=_REGION)


class CreditPenalty(StandardRecord):
    """行政处罚 双公示 (CF_)."""

    record_type = "credit.penalty"
    business_key = ("authority_code", "decision_number")
    jurisdiction_fields = _JURISDICTION

    decision_number: Code = Field(description="行政处罚决定书文号 CF_WSH")
    party: Party = Field(description="行政相对人 CF_XDR_MC + CF_XDR_SHXYM (or 行政相对人代码_1..6)")
    party_category: Name | None = Field(default=None, description="行政相对人类别 CF_XDR_LB")
    legal_representative: Name | None = Field(default=None, description="法定代表人 CF_FRDB")
    offence_type: Name | None = Field(default=None, description="违法行为类型 CF_WFXW")
    facts: Text | None = Field(default=None, description="违法事实 CF_SY")
    legal_basis: Text | None = Field(default=None, description="处罚依据 CF_YJ")
    penalty_category: Name | None = Field(default=None, description="处罚类别 CF_CFLB")
    content: Text = Field(description="处罚内容 CF_NR")
    fine: Money | None = Field(default=None, description="罚款金额 CF_NR_FK (万元 at source)")
    confiscation: Money | None = Field(
        default=None, description="没收违法所得、没收非法财物的金额 CF_NR_WFFF (万元)"
    )
    license_action: Name | None = Field(default=None, description="暂扣或吊销证照名称及编号 CF_NR_ZKDX")
    decision_date: Date = Field(description="处罚决定日期 CF_JDRQ")
    valid_until: Date | None = Field(default=None, description="处罚有效期 CF_YXQ")
    publicity_end: Date | None = Field(default=None, description="公示截止期 CF_GSJZQ")
    authority_name: Name = Field(description="处罚机关 CF_CFJG")
    authority_code: Uscc = Field(description="处罚机关统一社会信用代码 CF_CFJGDM")
    data_source: Name | None = Field(default=None, description="数据来源单位 CF_SJLY")
    data_source_code: Uscc | None = Field(default=None, description="数据来源单位统一社会信用代码 CF_SJLYDM")
    remarks: Text | None = Field(default=None, description="备注 BZ")
    region_code: RegionCode | None = Field(default=None, description=_REGION)


class CreditBlacklist(StandardRecord):
    """黑名单 BLACK_LIST (spec §17.2) with its revocation (撤销黑名单) folded in as a later version."""

    record_type = "credit.blacklist"
    business_key = ("blacklist_code",)
    jurisdiction_fields = _JURISDICTION
    conditions = (Condition("revoked", equals=True, require=("revocation_date",)),)

    blacklist_code: Code = Field(description="黑名单编号 BLACKLIST_CODE")
    list_category: Name | None = Field(
        default=None, description="名单类别 (失信黑名单, 重点关注名单 … F_MDLB)"
    )
    party: Party = Field(description="主体 BODY_NAME/BODY_CODE/BODY_ROLE")
    body_type: Name | None = Field(default=None, description="主体类别 BODY_TYPE")
    record_reason: Text = Field(description="列入原因 RECORD_REASON")
    record_date: Date = Field(description="列入日期 RECORD_DATE")
    government: Name = Field(description="认定部门 GOVERNMENT")
    government_code: Uscc | None = Field(default=None, description="认定部门统一社会信用代码")
    document_code: Code | None = Field(default=None, description="认定文书号 DOCUMENT_CODE")
    confined_action: Text | None = Field(default=None, description="限制的行为 CONFINED_ACTION")
    start_date: Date | None = Field(default=None, description="限制开始日期 START_DATE")
    end_date: Date | None = Field(default=None, description="限制截止日期 END_DATE")
    scope: Name | None = Field(default=None, description="公开范围 SCOPE")
    revoked: bool = Field(description="是否撤销 REVOCATION_STATUS")
    revocation_date: Date | None = Field(default=None, description="撤销日期 (required when revoked)")
    revocation_reason: Text | None = Field(default=None, description="撤销原因")
    documents: Annotated[list[DocumentRef], Field(min_length=1)] | None = Field(
        default=None, description="认定文书扫描件, by digest"
    )
    region_code: RegionCode | None = Field(default=None, description=_REGION)


class CreditRepair(StandardRecord):
    """信用修复: a repair of a penalty publication or a blacklist entry."""

    record_type = "credit.repair"
    business_key = ("repair_code",)
    jurisdiction_fields = _JURISDICTION
    conditions = (Condition("result", equals="approved", require=("decision_date",)),)

    repair_code: Code = Field(description="修复编号")
    party: Party = Field(description="申请修复的主体")
    target_type: Literal["credit.penalty", "credit.blacklist"] = Field(description="被修复信息的记录类型")
    target_authority_code: Uscc | None = Field(
        default=None, description="被修复处罚的处罚机关 CF_CFJGDM (for credit.penalty)"
    )
    target_reference: Code = Field(
        description="被修复信息: CF_WSH for a penalty, BLACKLIST_CODE for a blacklist"
    )
    application_date: Date = Field(description="申请日期")
    result: Literal["pending", "approved", "rejected"] = Field(description="修复结果 (审核中, 同意, 不同意)")
    decision_date: Date | None = Field(default=None, description="修复决定日期 (required when approved)")
    publicity_stopped_on: Date | None = Field(default=None, description="停止公示日期")
    authority_name: Name | None = Field(default=None, description="修复决定机关")
    authority_code: Uscc | None = Field(default=None, description="修复决定机关统一社会信用代码")
    reason: Text | None = Field(default=None, description="修复/不予修复理由")
    evidence: Annotated[list[DocumentRef], Field(min_length=1)] | None = Field(
        default=None, description="申请材料 (申请表, 承诺书, 整改证明 …), by digest"
    )
    region_code: RegionCode | None = Field(default=None, description=_REGION)
