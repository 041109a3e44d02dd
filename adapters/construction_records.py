"""四库一平台 rows (DOMAIN §5) → `entity`, `entity.qualification`, `entity.staff`, `project` payloads.

Field mappings:

- 企业: QY_ORG_CODE → uscc, QY_NAME, QY_FR_NAME, QY_REGION (required: the jurisdiction),
  QY_REGION_NAME, OLD_CODE → old_org_code (written XXXXXXXX-X; an old code that is not the one the
  USCC embeds is warned about, `construction.old_code_mismatch`), QY_GSZCLX_NAME, QY_ADDR, QY_ID,
  QY_SRC_TYPE, COLLECT_TIME (epoch ms) → collected_at.
- 资质: QY_ORG_CODE, QY_NAME, QY_REGION, APT_TYPE_NAME, APT_CERTNO, APT_NAME, APT_GRADE (else the
  grade ending APT_NAME, e.g. 一级), APT_GET_DATE, APT_EDATE, APT_GRANT_UNIT, APT_STATUS (有效, 过期,
  撤回, 注销, 暂扣).
- 注册人员: QY_ORG_CODE, QY_NAME, QY_REGION, RY_NAME, IDCARD (checked when RY_CARDTYPE_NAME is a
  居民身份证 or absent, then carried only as the keyed hash person_id), RY_CARDTYPE_NAME,
  RY_SEX_NAME, REG_TYPE_NAME, REG_TYPE_CODE (else RY_ZCLB_071/072/073 from the documented names),
  REG_CERTNO, REG_SEAL_CODE, REG_PROF_NAME, REG_SDATE, REG_EDATE.
- 项目: PRJNUM → project_code, PRJNAME, COUNTYNUM / CITYNUM / PROVINCENUM (the most specific given is
  the region, required), PRJCODE → invest_project_code, ADDRESS, BUILDCORPNAME → legal_person (the
  建设单位 is the 项目法人), FUNDSOURCE, NATIONALPERCENTTAGE → contribution_scale "国有资金N%",
  PRJSIZE → project_scale, ALLINVEST (万元) → total_investment, PRJAPPROVALNUM, PRJAPPROVALDEPART,
  CREATEDATE → create_time. The project model has no field for the rest, so `extensions` keeps
  BUILDCORPCODE (checked USCC), PRJAPPROVALDATE, BEGINDATE, ENDDATE (dates), ALLAREA (m², a decimal)
  and every other source field as text (PRJTYPENUM, PRJPROPERTYNUM, PRJFUNCTIONNUM, PROVINCEPRJNUM …).

Every row needs a version: DATA_TIMESTAMP or VERSIONNUMBER, else COLLECT_TIME, the platform's own
snapshot time (`construction.no_data_timestamp`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from adapters.row_fields import RowFields
from adapters.row_records import compact, is_id_card_type, keyed_person_id

VERSION_FIELDS = ("DATA_TIMESTAMP", "VERSIONNUMBER")
GRADES = ("特级", "一级", "二级", "三级", "甲级", "乙级", "丙级", "不分等级")
QUALIFICATION_STATUS = {
    "有效": "valid",
    "过期": "expired",
    "撤回": "revoked",
    "注销": "revoked",
    "暂扣": "suspended",
}
REGISTRATION_TYPE_CODES = {
    "一级注册建造师": "RY_ZCLB_071",
    "二级注册建造师": "RY_ZCLB_072",
    "一级临时注册建造师": "RY_ZCLB_073",
}
_SEXES = {"男": "男", "女": "女"}
_PROJECT_REGIONS = ("COUNTYNUM", "CITYNUM", "PROVINCENUM")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)


def _version(fields: RowFields, collected: str | None) -> str | None:
    return fields.data_timestamp(*VERSION_FIELDS, otherwise=collected)


def _entity_region(fields: RowFields) -> str | None:
    region = fields.region("QY_REGION")
    if region is None and fields.first_present("QY_REGION") is None:
        fields.problem(fields.own("no_jurisdiction"), "QY_REGION (注册地行政区划) is required", "QY_REGION")
    return region


def entity_payload(fields: RowFields) -> dict[str, Any]:
    uscc, old_code = fields.uscc("QY_ORG_CODE", required="统一社会信用代码"), fields.org_code("OLD_CODE")
    if uscc is not None and old_code is not None and uscc[8:17] != old_code.replace("-", ""):
        fields.warn("construction.old_code_mismatch", "OLD_CODE is not the code the USCC embeds", "OLD_CODE")
    collected = fields.epoch_ms("COLLECT_TIME")
    return compact(
        data_timestamp=_version(fields, collected),
        uscc=uscc,
        name=fields.text("QY_NAME", required="企业名称"),
        legal_representative=fields.text("QY_FR_NAME"),
        region_code=_entity_region(fields),
        region_name=fields.text("QY_REGION_NAME"),
        old_org_code=old_code,
        registration_type=fields.text("QY_GSZCLX_NAME"),
        address=fields.text("QY_ADDR"),
        source_entity_id=fields.code("QY_ID"),
        source_type=fields.code("QY_SRC_TYPE"),
        collected_at=collected,
    )


def qualification_payload(fields: RowFields) -> dict[str, Any]:
    name = fields.text("APT_NAME", required="资质名称")
    issued, expires = fields.date("APT_GET_DATE"), fields.date("APT_EDATE")
    fields.in_order(("APT_GET_DATE", issued), ("APT_EDATE", expires))
    grade = fields.text("APT_GRADE")
    if grade is None and name is not None:
        grade = next((suffix for suffix in GRADES if name.endswith(suffix)), None)
    return compact(
        data_timestamp=_version(fields, fields.epoch_ms("COLLECT_TIME")),
        uscc=fields.uscc("QY_ORG_CODE", required="统一社会信用代码"),
        entity_name=fields.text("QY_NAME"),
        qualification_type=fields.text("APT_TYPE_NAME", required="资质类别"),
        certificate_no=fields.code("APT_CERTNO", required="资质证书号"),
        qualification_name=name,
        grade=grade,
        issue_date=issued,
        expiry_date=expires,
        issuing_authority=fields.text("APT_GRANT_UNIT"),
        status=fields.choice("APT_STATUS", QUALIFICATION_STATUS, label="APT_STATUS"),
        region_code=_entity_region(fields),
    )


def staff_payload(fields: RowFields, person_key: bytes) -> dict[str, Any]:
    card_type = fields.text("RY_CARDTYPE_NAME")
    if is_id_card_type(card_type):
        number = fields.id_card("IDCARD", required="身份证件号码")
    else:
        number = fields.code("IDCARD", required="证件号码", keep_hyphens=False)
    sex = fields.choice("RY_SEX_NAME", _SEXES, label="RY_SEX_NAME (男 or 女)")
    is_card = number is not None and is_id_card_type(card_type) and len(number) == 18
    if sex is not None and is_card and sex != ("男" if int(str(number)[16]) % 2 else "女"):
        fields.warn(
            "construction.staff.sex_mismatch", "RY_SEX_NAME disagrees with the ID number", "RY_SEX_NAME"
        )
    registration_type = fields.text("REG_TYPE_NAME", required="注册类别")
    type_code = fields.code("REG_TYPE_CODE")
    if type_code is None and registration_type is not None:
        type_code = REGISTRATION_TYPE_CODES.get(registration_type)
    valid_from, valid_to = fields.date("REG_SDATE"), fields.date("REG_EDATE")
    fields.in_order(("REG_SDATE", valid_from), ("REG_EDATE", valid_to))
    return compact(
        data_timestamp=_version(fields, fields.epoch_ms("COLLECT_TIME")),
        uscc=fields.uscc("QY_ORG_CODE", required="聘用企业统一社会信用代码"),
        entity_name=fields.text("QY_NAME"),
        person_id=None if number is None else keyed_person_id(person_key, number),
        name=fields.text("RY_NAME", required="姓名"),
        id_card_type=card_type,
        sex=sex,
        registration_type=registration_type,
        registration_type_code=type_code,
        certificate_no=fields.code("REG_CERTNO", required="注册证书编号"),
        seal_code=fields.code("REG_SEAL_CODE"),
        profession=fields.text("REG_PROF_NAME"),
        valid_from=valid_from,
        valid_to=valid_to,
        region_code=_entity_region(fields),
    )


def project_payload(fields: RowFields) -> dict[str, Any]:
    region_field = fields.first_present(*_PROJECT_REGIONS)
    if region_field is None:
        fields.problem(
            fields.own("no_jurisdiction"), "COUNTYNUM, CITYNUM or PROVINCENUM is required", "COUNTYNUM"
        )
    begins, ends = fields.date("BEGINDATE"), fields.date("ENDDATE")
    fields.in_order(("BEGINDATE", begins), ("ENDDATE", ends))
    fields.carried.update(
        compact(
            BUILDCORPCODE=fields.uscc("BUILDCORPCODE"),
            PRJAPPROVALDATE=fields.date("PRJAPPROVALDATE"),
            BEGINDATE=begins,
            ENDDATE=ends,
            ALLAREA=_decimal(fields, "ALLAREA", lambda value: True),
        )
    )
    share = _decimal(fields, "NATIONALPERCENTTAGE", lambda value: float(value) <= 100)
    return compact(
        data_timestamp=_version(fields, fields.epoch_ms("COLLECT_TIME")),
        project_code=fields.code("PRJNUM", required="项目编号"),
        project_name=fields.text("PRJNAME", required="项目名称"),
        region_code=None if region_field is None else fields.region(region_field),
        invest_project_code=fields.invest_project_code("PRJCODE"),
        address=fields.text("ADDRESS"),
        legal_person=fields.text("BUILDCORPNAME"),
        fund_source=fields.text("FUNDSOURCE"),
        contribution_scale=None if share is None else f"国有资金{share}%",
        project_scale=fields.text("PRJSIZE", multiline=True, limit=200_000),
        total_investment=fields.money_wan("ALLINVEST"),
        approval_number=fields.code("PRJAPPROVALNUM"),
        approval_authority=fields.text("PRJAPPROVALDEPART"),
        create_time=fields.timestamp("CREATEDATE"),
    )


def _decimal(fields: RowFields, name: str, plausible: Callable[[str], bool]) -> str | None:
    value = fields.code(name)
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value) or len(value) > 40 or not plausible(value):
        fields.problem(fields.own("bad_value"), "expected a non-negative decimal number in range", name)
        return None
    return value
