"""双公示 rows (DOMAIN §8.2) → `credit.license` (XK_) and `credit.penalty` (CF_) payloads.

The 行政相对人 becomes one Party, identified by the first valid code of: 统一社会信用代码
(`*_XDR_SHXYM`), 组织机构代码 (`*_XDR_ZZJG`, written XXXXXXXX-X), the 证件号码 of a natural person
(`*_XDR_ZJHM`; a 居民身份证 number is checked and carried as `id_card`, as the Party model does for
natural persons; a masked number such as 5306211985****0012 or another document type is `other`),
then 工商注册号 / 税务登记号 / 事业单位证书号 / 社会组织登记证号 as `other`. Codes given beside the
one chosen stay in `extensions` under their source names.

The standard records have no field for the 法定代表人's ID number (`*_FR_ZJHM`) nor for the ID
number of a 个体工商户's operator given beside its USCC: those are checked (a wrong check digit
refuses the row, since it shows the row is corrupt) and then dropped, never copied to extensions.

Publicity windows (DOMAIN §0 rule 10, §8.1): `publicity_end` is CF_GSJZQ as given; a window shorter
than 3 months or longer than 3 years from CF_JDRQ is kept but warned about
(`credit.penalty.publicity_under_minimum` / `_over_maximum`), a missing one is warned about
(`credit.penalty.no_publicity_end`: screening then applies the 3-year statutory maximum), and an
end before the decision date refuses the row (`credit.date_order`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from adapters.row_fields import RowFields
from adapters.row_records import add_months, compact, is_id_card_type

PUBLICITY_MINIMUM_MONTHS = 3
PUBLICITY_MAXIMUM_MONTHS = 36
VERSION_FIELDS = ("DATA_TIMESTAMP", "VERSIONNUMBER")
REGION_FIELDS = ("DFBM", "XK_DFBM", "CF_DFBM")
_OTHER_CODES = ("XDR_GSZC", "XDR_SWDJ", "XDR_SYDW", "XDR_SHZZ")
_MASKED_ID = re.compile(r"[0-9*]{17}[0-9X*]", re.ASCII)


def party_of(fields: RowFields, prefix: str) -> dict[str, Any] | None:
    """The 行政相对人 Party of a 双公示 row; problems go to `fields`."""
    name = fields.text(f"{prefix}_XDR_MC", required="行政相对人名称")
    uscc = fields.uscc(f"{prefix}_XDR_SHXYM")
    org_code = fields.org_code(f"{prefix}_XDR_ZZJG")
    person = _person_code(fields, prefix)
    others = {f"{prefix}_{suffix}": fields.code(f"{prefix}_{suffix}") for suffix in _OTHER_CODES}
    _check_representative_id(fields, prefix)
    candidates = [("uscc", uscc), ("org_code", org_code), person]
    candidates += [("other", code) for code in others.values()]
    chosen = next(((kind, code) for kind, code in candidates if code is not None), None)
    if chosen is None:
        if not fields.reasons:
            fields.problem(
                fields.own("missing_field"),
                "行政相对人代码 is required (统一社会信用代码, 组织机构代码 or 证件号码)",
                f"{prefix}_XDR_SHXYM",
            )
        return None
    if name is None:
        return None
    leftovers = {f"{prefix}_XDR_ZZJG": org_code, **others}
    fields.carried.update(
        {key: code for key, code in leftovers.items() if code is not None and code != chosen[1]}
    )
    return {"name": name, "code_type": chosen[0], "code": chosen[1]}


def _person_code(fields: RowFields, prefix: str) -> tuple[str, str | None]:
    document_type = fields.text(f"{prefix}_XDR_ZJLX")
    number_field = f"{prefix}_XDR_ZJHM"
    if not is_id_card_type(document_type):
        return "other", fields.code(number_field)
    number = fields.code(number_field, keep_hyphens=False)
    if number is not None and _MASKED_ID.fullmatch(number) and "*" in number:
        fields.warn(
            "identifier.id_card.masked", "masked ID number: carried as an unchecked code", number_field
        )
        return "other", number
    return "id_card", None if number is None else fields.id_card(number_field)


def _check_representative_id(fields: RowFields, prefix: str) -> None:
    number_field = f"{prefix}_FR_ZJHM"
    number = fields.code(number_field, keep_hyphens=False)
    if number is None or "*" in number or not is_id_card_type(fields.text(f"{prefix}_FR_ZJLX")):
        return
    fields.id_card(number_field)


def license_payload(fields: RowFields) -> dict[str, Any]:
    party = party_of(fields, "XK")
    decision_date = fields.date("XK_JDRQ", required="许可决定日期")
    valid_from, valid_to = fields.date("XK_YXQZ"), fields.date("XK_YXQZI")
    fields.in_order(("XK_YXQZ", valid_from), ("XK_YXQZI", valid_to))
    fields.in_order(("XK_JDRQ", decision_date), ("XK_YXQZI", valid_to))
    return compact(
        data_timestamp=fields.data_timestamp(*VERSION_FIELDS),
        decision_number=fields.code("XK_WSH", required="行政许可决定文书号"),
        decision_document_name=fields.text("XK_XKWS"),
        party=party,
        party_category=fields.text("XK_XDR_LB"),
        legal_representative=fields.text("XK_FRDB"),
        license_category=fields.text("XK_XKLB"),
        certificate_name=fields.text("XK_XKZS"),
        license_number=fields.code("XK_XKBH"),
        content=fields.text("XK_NR", multiline=True, limit=200_000),
        decision_date=decision_date,
        valid_from=valid_from,
        valid_to=valid_to,
        authority_name=fields.text("XK_XKJG", required="许可机关"),
        authority_code=fields.uscc("XK_XKJGDM", required="许可机关统一社会信用代码"),
        status=fields.code("XK_ZT"),
        data_source_unit=fields.text("XK_LYDW"),
        data_source_unit_code=fields.uscc("XK_LYDWDM"),
        scope_of_use=fields.text("XK_SYFW"),
        remarks=fields.text("BZ", multiline=True, limit=200_000),
        region_code=_region(fields),
    )


def penalty_payload(fields: RowFields) -> dict[str, Any]:
    party = party_of(fields, "CF")
    decision_date = fields.date("CF_JDRQ", required="处罚决定日期")
    valid_until, publicity_end = fields.date("CF_YXQ"), fields.date("CF_GSJZQ")
    fields.in_order(("CF_JDRQ", decision_date), ("CF_YXQ", valid_until))
    fields.in_order(("CF_JDRQ", decision_date), ("CF_GSJZQ", publicity_end))
    _check_publicity_window(fields, decision_date, publicity_end)
    return compact(
        data_timestamp=fields.data_timestamp(*VERSION_FIELDS),
        decision_number=fields.code("CF_WSH", required="行政处罚决定书文号"),
        party=party,
        party_category=fields.text("CF_XDR_LB"),
        legal_representative=fields.text("CF_FRDB"),
        offence_type=fields.text("CF_WFXW"),
        facts=fields.text("CF_SY", multiline=True, limit=200_000),
        legal_basis=fields.text("CF_YJ", multiline=True, limit=200_000),
        penalty_category=fields.text("CF_CFLB"),
        content=fields.text("CF_NR", required="处罚内容", multiline=True, limit=200_000),
        fine=fields.money_wan("CF_NR_FK"),
        confiscation=fields.money_wan("CF_NR_WFFF"),
        license_action=fields.text("CF_NR_ZKDX"),
        decision_date=decision_date,
        valid_until=valid_until,
        publicity_end=publicity_end,
        authority_name=fields.text("CF_CFJG", required="处罚机关"),
        authority_code=fields.uscc("CF_CFJGDM", required="处罚机关统一社会信用代码"),
        data_source=fields.text("CF_SJLY"),
        data_source_code=fields.uscc("CF_SJLYDM"),
        remarks=fields.text("BZ", multiline=True, limit=200_000),
        region_code=_region(fields),
    )


def _region(fields: RowFields) -> str | None:
    present = fields.first_present(*REGION_FIELDS)
    if present is None:
        fields.problem(
            fields.own("no_jurisdiction"),
            "地方编码 (DFBM) of the deciding authority is required",
            REGION_FIELDS[0],
        )
        return None
    return fields.region(present)


def _check_publicity_window(fields: RowFields, decision: str | None, end: str | None) -> None:
    if decision is None:
        return
    if end is None:
        fields.warn(
            "credit.penalty.no_publicity_end",
            "no 公示截止期: the 3-year statutory maximum applies",
            "CF_GSJZQ",
        )
        return
    decided = date.fromisoformat(decision)
    # A window of exactly three months ends on the day before the same date three months on.
    shortest = date.fromordinal(add_months(decided, PUBLICITY_MINIMUM_MONTHS).toordinal() - 1)
    if end < shortest.isoformat():
        fields.warn("credit.penalty.publicity_under_minimum", "publicity shorter than 3 months", "CF_GSJZQ")
    elif end > add_months(decided, PUBLICITY_MAXIMUM_MONTHS).isoformat():
        fields.warn("credit.penalty.publicity_over_maximum", "publicity longer than 3 years", "CF_GSJZQ")
