"""Standard record payloads from one county export row: one `RecordBuilder` per record type.

The mapping file decides which header gives which dataset field; this module decides what a field
means for its record type (see adapters.county_center_builder for the building blocks).
"""

from __future__ import annotations

from typing import get_args

from adapters.county_center_builder import (
    Payload,
    RecordBuilder,
    compact,
    deal_code,
    party,
    per_section,
    sections,
)
from adapters.county_center_cells import RowReader
from schemas.base import TradeType

_TRADE_TYPES = frozenset(get_args(TradeType))


# --- tender.award (中标结果) -----------------------------------------------------------------------


def _award(reader: RowReader, simple: Payload) -> list[Payload]:
    codes = sections(reader, "BID_SECTION_CODES")
    count = len(codes)
    deal_codes = per_section(
        reader, "UNIFIED_DEAL_CODES", count, lambda v: deal_code(reader, "UNIFIED_DEAL_CODES", v)
    )
    amounts = per_section(reader, "BID_AMOUNT", count, lambda v: reader.money("BID_AMOUNT", value=v))
    winner = party(
        reader,
        name="WIN_BIDDER_NAME",
        code="WIN_BIDDER_CODE",
        code_type="BIDDER_CODE_TYPE",
        role="BIDDER_ROLE",
        region="WIN_BIDDER_REGION_CODE",
        required=True,
    )
    return [
        compact(
            {
                **simple,
                "bid_section_code": code,
                "unified_deal_code": deal,
                "win_bidder": winner,
                "bid_amount": amount,
            }
        )
        for code, deal, amount in zip(codes, deal_codes, amounts, strict=True)
    ]


AWARD = RecordBuilder(
    simple=(
        ("tender_project_code", "TENDER_PROJECT_CODE", "code"),
        ("notice_name", "NOTICE_NAME", "name"),
        ("notice_content", "NOTICE_CONTENT", "text"),
        ("notice_send_time", "NOTICE_SEND_TIME", "time"),
        ("notice_media", "NOTICE_MEDIA", "name"),
        ("url", "URL", "url"),
        ("notice_nature", "NOTICE_NATURE", "code"),
        ("bulletin_type", "BULLETIN_TYPE", "code"),
        ("rate", "RATE", "decimal"),
        ("other_win_price", "OTHER_WIN_PRICE", "name"),
        ("tender_code", "TENDER_CODE", "code"),
        ("other_content", "OTHER_CONTENT", "text"),
        ("win_notice_time", "WIN_NOTICE_TIME", "time"),
        ("bulletin_duty", "BULLETIN_DUTY", "name"),
        ("examiner_name", "EXAMINER_NAME", "name"),
        ("attachment_code", "ATTACHMENT_CODE", "code"),
        ("trade_plat", "TRADE_PLAT", "code"),
        ("pub_service_plat_code", "PUB_SERVICE_PLAT_CODE", "code"),
    ),
    composite=frozenset(
        {
            "BID_SECTION_CODES",
            "UNIFIED_DEAL_CODES",
            "BID_AMOUNT",
            "WIN_BIDDER_NAME",
            "WIN_BIDDER_CODE",
            "BIDDER_CODE_TYPE",
            "BIDDER_ROLE",
            "WIN_BIDDER_REGION_CODE",
        }
    ),
    mandatory=(
        "TENDER_PROJECT_CODE",
        "BID_SECTION_CODES",
        "NOTICE_NAME",
        "NOTICE_SEND_TIME",
        "WIN_BIDDER_NAME",
        "WIN_BIDDER_CODE",
    ),
    build=_award,
)


# --- tender.bid (投标人名单) -----------------------------------------------------------------------


def _bid(reader: RowReader, simple: Payload) -> list[Payload]:
    reader.currency("PRICE_CURRENCY")
    bidder = party(
        reader,
        name="BIDDER_NAME",
        code="BIDDER_ORG_CODE",
        code_type="BIDDER_CODE_TYPE",
        role="BIDDER_ROLE",
        region="BIDDER_REGION_CODE",
        required=True,
    )
    return [
        compact(
            {
                **simple,
                "bidder": bidder,
                "union_members": _union(reader) or None,
                "bid_manager_id": reader.id_hash("ID_CARD"),
            }
        )
    ]


def _union(reader: RowReader) -> list[Payload]:
    names = reader.items("UNION_ENTERPRISE_NAME")
    codes = reader.items("UNION_ORGAN_SET_CODE")
    if len(names) != len(codes):
        reader.fail(
            "UNION_ORGAN_SET_CODE", "county.union_mismatch", "联合体成员 names and codes do not pair up"
        )
        return []
    kind = reader.code_type("UNION_ORGAN_SET_CODE", None) if codes else None
    members: list[Payload] = []
    for name, code in zip(names, codes, strict=True):
        name_value = reader.text("UNION_ENTERPRISE_NAME", value=name)
        code_value = reader.party_code("UNION_ORGAN_SET_CODE", kind, value=code) if kind else None
        if name_value is not None and code_value is not None:
            members.append({"name": name_value, "code_type": kind, "code": code_value, "role": "联合体成员"})
    return members


BID = RecordBuilder(
    simple=(
        ("tender_project_code", "TENDER_PROJECT_CODE", "code"),
        ("bid_section_code", "BID_SECTION_CODE", "code"),
        ("bidder_property", "BIDDER_PROPERTY", "name"),
        ("bidder_credit_score", "BIDDER_CREDIT_SCORE", "decimal"),
        ("is_lost", "IS_LOST", "bool"),
        ("operation_person", "BIDDER_OPERATION_PERSON", "name"),
        ("bid_manager", "BID_MANAGER", "name"),
        ("regist_certificate", "REGIST_CERTIFICATE", "code"),
        ("pm_code", "PM_CODE", "code"),
        ("pm_certificates", "PM_CERTIFICATES", "name"),
        ("margin_pay_form", "MARGIN_PAY_FORM", "name"),
        ("is_commit_margin", "IS_COMMIT_MARGIN", "bool"),
        ("margin_receive_time", "MARGIN_RECEIVE_TIME", "time"),
        ("price_form_code", "PRICE_FORM_CODE", "code"),
        ("bid_price", "BID_PRICE", "money"),
        ("other_bid_price", "OTHER_BID_PRICE", "name"),
        ("time_limit", "TIME_LIMIT", "name"),
        ("is_review_shortlisted", "IS_REVIEW_SHORTLISTED", "bool"),
        ("checkin_time", "CHECKIN_TIME", "time"),
    ),
    composite=frozenset(
        {
            "BIDDER_NAME",
            "BIDDER_ORG_CODE",
            "BIDDER_CODE_TYPE",
            "BIDDER_ROLE",
            "BIDDER_REGION_CODE",
            "ID_CARD",
            "UNION_ENTERPRISE_NAME",
            "UNION_ORGAN_SET_CODE",
            "PRICE_CURRENCY",
            "PRICE_UNIT",
        }
    ),
    mandatory=("TENDER_PROJECT_CODE", "BID_SECTION_CODE", "BIDDER_NAME", "BIDDER_ORG_CODE"),
    build=_bid,
)


# --- tender.project (招标项目) ---------------------------------------------------------------------


def _project(reader: RowReader, simple: Payload) -> list[Payload]:
    trade_type = reader.text("TRADE_TYPE")
    if trade_type is not None and trade_type not in _TRADE_TYPES:
        reader.fail(
            "TRADE_TYPE", "county.bad_trade_type", "交易分类 is one of " + "、".join(sorted(_TRADE_TYPES))
        )
        trade_type = None
    tenderer = party(
        reader,
        name="TENDERER_NAME",
        code="TENDERER_CODE",
        code_type="TENDERER_CODE_TYPE",
        role="TENDERER_ROLE",
        region="TENDERER_REGION_CODE",
        required=True,
    )
    agency = party(
        reader,
        name="TENDER_AGENCY_NAME",
        code="TENDER_AGENCY_CODE",
        code_type="TENDER_AGENCY_CODE_TYPE",
        role="TENDER_AGENCY_ROLE",
        region="TENDER_AGENCY_REGION_CODE",
    )
    return [compact({**simple, "trade_type": trade_type, "tenderer": tenderer, "tender_agency": agency})]


PROJECT = RecordBuilder(
    simple=(
        ("project_code", "PROJECT_CODE", "code"),
        ("tender_project_code", "TENDER_PROJECT_CODE", "code"),
        ("tender_self_code", "TENDER_SELF_CODE", "code"),
        ("unified_deal_code", "UNIFIED_DEAL_CODE", "deal_code"),
        ("tender_project_name", "TENDER_PROJECT_NAME", "name"),
        ("tender_project_type", "TENDER_PROJECT_TYPE", "code"),
        ("tender_project_industries_type", "TENDER_PROJECT_INDUSTRIES_TYPE", "code"),
        ("is_to_law", "IS_TO_LAW", "bool"),
        ("tender_content", "TENDER_CONTENT", "text"),
        ("owner_name", "OWNER_NAME", "name"),
        ("tenderer_property", "TENDERER_PROPERTY", "name"),
        ("is_union", "ISUNION", "bool"),
        ("tender_agency_property", "TENDER_AGENCY_PROPERTY", "name"),
        ("tender_mode", "TENDER_MODE", "code"),
        ("tender_organize_form", "TENDER_ORGANIZE_FORM", "code"),
        ("create_time", "CREATE_TIME", "time"),
        ("supervise_dept_name", "SUPERVISE_DEPT_NAME", "name"),
        ("supervise_dept_code", "SUPERVISE_DEPT_CODE", "code"),
        ("approve_dept_name", "APPROVE_DEPT_NAME", "name"),
        ("approve_dept_code", "APPROVE_DEPT_CODE", "code"),
        ("report_duty", "REPORT_DUTY", "name"),
        ("operation_name", "OPERATION_NAME", "name"),
        ("trade_system_no", "TRADE_SYSTEM_NO", "code"),
        ("trade_system_fee", "TRADE_SYSTEM_FEE", "money"),
    ),
    composite=frozenset(
        {
            "TRADE_TYPE",
            "TENDERER_NAME",
            "TENDERER_CODE",
            "TENDERER_CODE_TYPE",
            "TENDERER_ROLE",
            "TENDERER_REGION_CODE",
            "TENDER_AGENCY_NAME",
            "TENDER_AGENCY_CODE",
            "TENDER_AGENCY_CODE_TYPE",
            "TENDER_AGENCY_ROLE",
            "TENDER_AGENCY_REGION_CODE",
        }
    ),
    mandatory=("TENDER_PROJECT_CODE", "TENDER_PROJECT_NAME", "TENDERER_NAME", "TENDERER_CODE"),
    build=_project,
)


# --- tender.section (标段) and tender.opening (开标记录) ---------------------------------------------


SECTION = RecordBuilder(
    simple=(
        ("tender_project_code", "TENDER_PROJECT_CODE", "code"),
        ("bid_section_code", "BID_SECTION_CODE", "code"),
        ("bid_section_name", "BID_SECTION_NAME", "name"),
        ("unified_deal_code", "UNIFIED_DEAL_CODE", "deal_code"),
        ("bid_section_content", "BID_SECTION_CONTENT", "text"),
        ("tender_project_classify_code", "TENDER_PROJECT_CLASSIFY_CODE", "code"),
        ("control_price", "CONTROL_PRICE", "money"),
    ),
    composite=frozenset(),
    mandatory=("TENDER_PROJECT_CODE", "BID_SECTION_CODE", "BID_SECTION_NAME"),
    build=lambda _reader, simple: [compact(simple)],
)


def _opening(reader: RowReader, simple: Payload) -> list[Payload]:
    codes = sections(reader, "BID_SECTION_CODES")
    count = len(codes)
    deal_codes = per_section(
        reader, "UNIFIED_DEAL_CODES", count, lambda v: deal_code(reader, "UNIFIED_DEAL_CODES", v)
    )
    bidders = per_section(reader, "BIDDER_COUNT", count, lambda v: reader.count("BIDDER_COUNT", v))
    return [
        compact({**simple, "bid_section_code": code, "unified_deal_code": deal, "bidder_count": bidder_count})
        for code, deal, bidder_count in zip(codes, deal_codes, bidders, strict=True)
    ]


OPENING = RecordBuilder(
    simple=(
        ("project_code", "PROJECT_CODE", "code"),
        ("tender_project_code", "TENDER_PROJECT_CODE", "code"),
        ("bid_opening_time", "BID_OPENING_TIME", "time"),
        ("bid_opening_address", "BID_OPENING_ADDRESS", "name"),
        ("bid_opening_actor", "BID_OPENING_ACTOR", "name"),
        ("bid_opening_content", "BID_OPENING_CONTENT", "text"),
        ("notice_name", "NOTICE_NAME", "name"),
        ("url", "URL", "url"),
    ),
    composite=frozenset({"BID_SECTION_CODES", "UNIFIED_DEAL_CODES", "BIDDER_COUNT"}),
    mandatory=("TENDER_PROJECT_CODE", "BID_SECTION_CODES", "BID_OPENING_TIME"),
    build=_opening,
)


BUILDERS: dict[str, RecordBuilder] = {
    "tender.award": AWARD,
    "tender.bid": BID,
    "tender.project": PROJECT,
    "tender.section": SECTION,
    "tender.opening": OPENING,
}
KNOWN_FIELDS: dict[str, frozenset[str]] = {record_type: b.fields for record_type, b in BUILDERS.items()}
