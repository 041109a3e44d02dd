"""Blacklist rows (BLACK_LIST, 撤销黑名单) → `credit.blacklist`; repair rows → `credit.repair`.

BLACK_LIST fields (spec §17.2, DOMAIN §3.2): BLACKLIST_CODE, BODY_NAME, BODY_CODE, BODY_TYPE, BODY_ROLE,
RECORD_REASON, RECORD_DATE, GOVERNMENT, DOCUMENT_CODE, REVOCATION_STATUS, CONFINED_ACTION, SCOPE, plus
START_DATE/END_DATE (限制期), and where the export has them GOVERNMENT_CODE, BODY_CODE_TYPE,
BODY_REGION_CODE, REGION_CODE (of the government), F_MDLB or LIST_CATEGORY, REVOCATION_DATE and
REVOCATION_REASON.

A revocation (撤销黑名单) is the same entry again, full fields and the same BLACKLIST_CODE, with
REVOCATION_STATUS=1 or a REVOCATION_DATE, and a later DATA_TIMESTAMP: it becomes a new version of the
entry with `revoked: true`. The date is required (`credit.missing_field`): screening must know from
when the entry stopped counting. A row of the 撤销黑名单 dataset without a status is revoked; one
saying REVOCATION_STATUS=0, or an entry with status 0 and a revocation date, is contradictory
(`credit.bad_value`). Without END_DATE the entry is kept with `credit.blacklist.no_end_date`.

Repair rows (信用修复; no national template is known, so the export's names follow BLACK_LIST's):
REPAIR_CODE, BODY_* as above, TARGET_TYPE (CF/行政处罚 or BLACK_LIST/黑名单), TARGET_CODE (CF_WSH or
BLACKLIST_CODE), TARGET_AUTHORITY_CODE (CF_CFJGDM; required for a penalty, whose decision number is
unique only within its authority), APPLY_DATE, REPAIR_RESULT (0 审核中, 1 同意, 2 不同意), DECISION_DATE
(required when approved), STOP_PUBLICITY_DATE, REPAIR_GOVERNMENT, REPAIR_GOVERNMENT_CODE,
REPAIR_REASON, REGION_CODE.

The body's code type is BODY_CODE_TYPE when given; otherwise a BODY_TYPE of 自然人 means an ID
number, a 9-character code (10 with the hyphen) a 组织机构代码, and an 18-character one a USCC. An
entry identified only by its old 组织机构代码 is carried as `org_code` (XXXXXXXX-X), which screening
matches against the `old_org_code` of `entity` records.
"""

from __future__ import annotations

from typing import Any

from adapters.credit_publicity import VERSION_FIELDS
from adapters.row_fields import RowFields
from adapters.row_records import compact

LIST_CATEGORIES = {
    "8": "失信黑名单",
    "4": "重点关注名单",
    "失信黑名单": "失信黑名单",
    "重点关注名单": "重点关注名单",
}
_YES = {"1": True, "是": True, "已撤销": True, "TRUE": True, "Y": True}
_NO = {"0": False, "否": False, "未撤销": False, "FALSE": False, "N": False}
_CODE_TYPES = {
    "USCC": "uscc",
    "统一社会信用代码": "uscc",
    "ORG_CODE": "org_code",
    "组织机构代码": "org_code",
    "ID_CARD": "id_card",
    "身份证": "id_card",
    "居民身份证": "id_card",
    "OTHER": "other",
    "其他": "other",
}
_TARGETS = {
    "CF": "credit.penalty",
    "行政处罚": "credit.penalty",
    "CREDIT.PENALTY": "credit.penalty",
    "BLACK_LIST": "credit.blacklist",
    "黑名单": "credit.blacklist",
    "CREDIT.BLACKLIST": "credit.blacklist",
}
_RESULTS = {
    "0": "pending",
    "审核中": "pending",
    "PENDING": "pending",
    "1": "approved",
    "同意": "approved",
    "APPROVED": "approved",
    "2": "rejected",
    "不同意": "rejected",
    "REJECTED": "rejected",
}
_REGIONS = ("REGION_CODE", "BODY_REGION_CODE")


def body_party(fields: RowFields) -> dict[str, Any] | None:
    """The BODY_* party of a blacklist or repair row."""
    name = fields.text("BODY_NAME", required="主体名称")
    body_type = fields.text("BODY_TYPE")
    code_type = fields.choice("BODY_CODE_TYPE", _CODE_TYPES, label="BODY_CODE_TYPE")
    raw = fields.code("BODY_CODE", required="主体代码", keep_hyphens=False)
    role, region = fields.text("BODY_ROLE"), fields.region("BODY_REGION_CODE")
    if raw is None or name is None:
        return None
    if code_type is None:
        code_type = _inferred_code_type(raw, body_type)
    checks = {"uscc": fields.uscc, "org_code": fields.org_code, "id_card": fields.id_card}
    code = checks[code_type]("BODY_CODE") if code_type in checks else fields.code("BODY_CODE")
    if code_type is None:
        fields.problem(fields.own("bad_value"), "cannot tell the code type; give BODY_CODE_TYPE", "BODY_CODE")
    if code is None or code_type is None:
        return None
    return compact(name=name, code_type=code_type, code=code, role=role, region_code=region)


def _inferred_code_type(code: str, body_type: str | None) -> str | None:
    if body_type is not None and "自然人" in body_type:
        return "id_card"
    return {9: "org_code", 18: "uscc"}.get(len(code))


def blacklist_payload(fields: RowFields, *, revocation: bool) -> dict[str, Any]:
    record_date = fields.date("RECORD_DATE", required="列入日期")
    start_date, end_date = fields.date("START_DATE"), fields.date("END_DATE")
    revoked, revocation_date = _revocation(fields, revocation)
    fields.in_order(("RECORD_DATE", record_date), ("REVOCATION_DATE", revocation_date))
    fields.in_order(("START_DATE", start_date), ("END_DATE", end_date))
    if end_date is None:
        fields.warn("credit.blacklist.no_end_date", "no END_DATE: the entry has no stated end", "END_DATE")
    category = fields.first_present("LIST_CATEGORY", "F_MDLB")
    return compact(
        data_timestamp=fields.data_timestamp(*VERSION_FIELDS),
        blacklist_code=fields.code("BLACKLIST_CODE", required="黑名单编号"),
        list_category=None if category is None else fields.choice(category, LIST_CATEGORIES, label=category),
        party=body_party(fields),
        body_type=fields.text("BODY_TYPE"),
        record_reason=fields.text("RECORD_REASON", required="列入原因", multiline=True, limit=200_000),
        record_date=record_date,
        government=fields.text("GOVERNMENT", required="认定部门"),
        government_code=fields.uscc("GOVERNMENT_CODE"),
        document_code=fields.code("DOCUMENT_CODE"),
        confined_action=fields.text("CONFINED_ACTION", multiline=True, limit=200_000),
        start_date=start_date,
        end_date=end_date,
        scope=fields.text("SCOPE"),
        revoked=revoked,
        revocation_date=revocation_date,
        revocation_reason=fields.text("REVOCATION_REASON", multiline=True, limit=200_000),
        region_code=_region(fields),
    )


def _revocation(fields: RowFields, revocation: bool) -> tuple[bool, str | None]:
    status = fields.choice("REVOCATION_STATUS", _YES | _NO, label="REVOCATION_STATUS (0 or 1)")
    revocation_date = fields.date("REVOCATION_DATE")
    if status is False and (revocation or revocation_date is not None):
        why = "a 撤销黑名单 row" if revocation else "a revocation date on an entry"
        fields.problem(fields.own("bad_value"), f"{why} says REVOCATION_STATUS=0", "REVOCATION_STATUS")
    revoked = bool(status) or (status is None and (revocation or revocation_date is not None))
    if revoked and revocation_date is None and fields.first_present("REVOCATION_DATE") is None:
        fields.problem(
            fields.own("missing_field"), "撤销日期 is required for a revoked entry", "REVOCATION_DATE"
        )
    return revoked, revocation_date


def repair_payload(fields: RowFields) -> dict[str, Any]:
    target_type = fields.choice("TARGET_TYPE", _TARGETS, label="TARGET_TYPE (CF or BLACK_LIST)")
    if target_type is None and fields.first_present("TARGET_TYPE") is None:
        fields.problem(fields.own("missing_field"), "被修复信息类型 is required", "TARGET_TYPE")
    target_authority = fields.uscc("TARGET_AUTHORITY_CODE")
    if (
        target_type == "credit.penalty"
        and target_authority is None
        and not fields.first_present("TARGET_AUTHORITY_CODE")
    ):
        fields.problem(
            fields.own("missing_field"), "the penalty's 处罚机关 USCC is required", "TARGET_AUTHORITY_CODE"
        )
    result = fields.choice("REPAIR_RESULT", _RESULTS, label="REPAIR_RESULT (0, 1 or 2)")
    if result is None and fields.first_present("REPAIR_RESULT") is None:
        fields.problem(fields.own("missing_field"), "修复结果 is required", "REPAIR_RESULT")
    application_date = fields.date("APPLY_DATE", required="申请日期")
    decision_date = fields.date("DECISION_DATE", required="修复决定日期" if result == "approved" else "")
    fields.in_order(("APPLY_DATE", application_date), ("DECISION_DATE", decision_date))
    return compact(
        data_timestamp=fields.data_timestamp(*VERSION_FIELDS),
        repair_code=fields.code("REPAIR_CODE", required="修复编号"),
        party=body_party(fields),
        target_type=target_type,
        target_authority_code=target_authority,
        target_reference=fields.code("TARGET_CODE", required="被修复信息编号"),
        application_date=application_date,
        result=result,
        decision_date=decision_date,
        publicity_stopped_on=fields.date("STOP_PUBLICITY_DATE"),
        authority_name=fields.text("REPAIR_GOVERNMENT"),
        authority_code=fields.uscc("REPAIR_GOVERNMENT_CODE"),
        reason=fields.text("REPAIR_REASON", multiline=True, limit=200_000),
        region_code=_region(fields),
    )


def _region(fields: RowFields) -> str | None:
    region = fields.region("REGION_CODE")
    if region is None and fields.first_present(*_REGIONS) is None:
        fields.problem(
            fields.own("no_jurisdiction"), "REGION_CODE (or BODY_REGION_CODE) is required", "REGION_CODE"
        )
    return region
