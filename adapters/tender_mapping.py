"""Datasets of the tender stage: project, tender project, section, notice, opening, contract.

| dataset | record type(s) |
| --- | --- |
| GCJS_TENDER_PROJECT | `tender.project`, plus `project` when the row carries PROJECT_NAME |
| GCJS_SECTION | `tender.section` |
| GCJS_TENDER_NOTICE | `tender.notice` (BID_SECTION_CODES split into a list) |
| GCJS_OPENING_RECORD | `tender.opening`, one per section of BID_SECTION_CODES |
| GCJS_CONTRACT_PERFORMANCE | `contract` (performance fields stay in `extensions`) |

Amounts without a unit field are read in the unit of the national dataset: 万元 for prices,
control prices, contract amounts and investment, 元 for fees and document prices.
"""

from __future__ import annotations

from typing import Any

from adapters.base import NormalizedRecord, RawItem
from adapters.normalize import clean_code
from adapters.tender_reader import BAD_VALUE, RowReader, compact
from adapters.tender_record import Options, call_of, finish, header, require
from schemas.identifiers import check_invest_project_code, check_unified_deal_code

TRADE_TYPES = frozenset({"工程建设", "政府采购", "土地使用权", "矿业权", "国有产权", "其他"})
PROJECT_REGION_FIELDS = ("PROJECT_REGION_CODE", "REGION_CODE")


def map_tender_project(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    top = header(reader, item)
    records: list[NormalizedRecord] = []
    project = _project(reader, top) if reader.value("PROJECT_NAME") is not None else None
    payload = compact(
        **top,
        project_code=reader.code("PROJECT_CODE"),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        tender_self_code=reader.code("TENDER_SELF_CODE"),
        unified_deal_code=reader.deal_code("UNIFIED_DEAL_CODE"),
        tender_project_name=reader.text("TENDER_PROJECT_NAME", required=True),
        tender_project_type=reader.code("TENDER_PROJECT_TYPE"),
        tender_project_industries_type=reader.code("TENDER_PROJECT_INDUSTRIES_TYPE"),
        trade_type=_trade_type(reader),
        is_to_law=reader.flag("IS_TO_LAW"),
        region_code=reader.region("REGION_CODE", required=True),
        tender_content=reader.text("TENDER_CONTENT", multiline=True),
        owner_name=reader.text("OWNER_NAME"),
        tenderer=_tenderer(reader, required=True),
        tenderer_property=reader.text("TENDERER_PROPERTY"),
        is_union=reader.flag("ISUNION"),
        tender_agency=reader.party(
            name="TENDER_AGENCY_NAME",
            code="TENDER_AGENCY_CODE",
            code_types=("TENDER_AGENCY_CODE_TYPE", "N_TENDER_AGENCY_CODE_TYPE"),
            role="TENDER_AGENCY_ROLE",
            region="TENDER_AGENCY_REGION_CODE",
            default_role="招标代理机构",
        ),
        tender_agency_property=reader.text("TENDER_AGENCY_PROPERTY"),
        tender_mode=reader.code("TENDER_MODE"),
        tender_organize_form=reader.code("TENDER_ORGANIZE_FORM"),
        create_time=reader.time("CREATE_TIME"),
        supervise_dept_name=reader.text("SUPERVISE_DEPT_NAME"),
        supervise_dept_code=reader.code("SUPERVISE_DEPT_CODE"),
        approve_dept_name=reader.text("APPROVE_DEPT_NAME"),
        approve_dept_code=reader.code("APPROVE_DEPT_CODE"),
        report_duty=reader.text("REPORT_DUTY"),
        operation_name=reader.text("OPERATION_NAME"),
        trade_system_no=reader.code("TRADE_SYSTEM_NO"),
        trade_system_fee=reader.money("TRADE_SYSTEM_FEE", default_unit="元", units=(), currencies=()),
    )
    extensions = reader.leftovers()
    if project is not None:
        records.extend(finish("project", [project], [reader], item, extensions={}))
    records.extend(finish("tender.project", [payload], [reader], item, extensions=extensions))
    return records


def _project(reader: RowReader, top: dict[str, Any]) -> dict[str, Any]:
    """项目 PROJECT, when the tender-project row also describes its project."""
    region = reader.first(*PROJECT_REGION_FIELDS)
    project = compact(
        **top,
        project_code=reader.code("PROJECT_CODE"),
        project_name=reader.text("PROJECT_NAME", required=True),
        region_code=reader.region(region[0]) if region else None,
        invest_project_code=_invest_code(reader),
        address=reader.text("ADDRESS"),
        legal_person=reader.text("LEGAL_PERSON"),
        industries_type=reader.code("INDUSTRIES_TYPE"),
        fund_source=reader.text("FUND_SOURCE"),
        contribution_scale=reader.text("CONTRIBUTION_SCALE"),
        project_scale=reader.text("PROJECT_SCALE", multiline=True),
        total_investment=reader.money("TOTAL_INVESTMENT", default_unit="万元", units=(), currencies=()),
        contactor=reader.text("CONTACTOR"),
        contact_information=reader.text("CONTACT_INFORMATION"),
        approval_name=reader.text("APPROVAL_NAME"),
        approval_number=reader.code("APPROVAL_NUMBER"),
        approval_authority=reader.text("APPROVAL_AUTHORITY"),
        create_time=reader.time("PROJECT_CREATE_TIME"),
    )
    require(reader, "PROJECT_CODE", project.get("project_code"))
    require(reader, "REGION_CODE", project.get("region_code"))
    return project


def _invest_code(reader: RowReader) -> str | None:
    code = reader.code("INVEST_PROJECT_CODE")
    if code is None:
        return None
    found = check_invest_project_code(code, reader.regions)
    return code if reader.findings("INVEST_PROJECT_CODE", found) else None


def _trade_type(reader: RowReader) -> str | None:
    # DEAL_TYPE may also be a 公共资源交易分类代码; only the category names map, a code stays an extension.
    for name in ("TRADE_TYPE", "DEAL_TYPE"):
        text = reader.row.get(name)
        if isinstance(text, str) and text.strip() in TRADE_TYPES:
            reader.used.add(name)
            return text.strip()
    return None


def _tenderer(reader: RowReader, *, required: bool) -> dict[str, str] | None:
    return reader.party(
        name="TENDERER_NAME",
        code="TENDERER_CODE",
        code_types=("TENDERER_CODE_TYPE", "TENDER_CODE_TYPE"),
        role="TENDERER_ROLE",
        region="TENDERER_REGION_CODE",
        default_role="招标人",
        required=required,
    )


def map_section(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    payload = compact(
        **header(reader, item),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        bid_section_code=reader.code("BID_SECTION_CODE", required=True),
        bid_section_name=reader.text("BID_SECTION_NAME", required=True),
        unified_deal_code=reader.deal_code("UNIFIED_DEAL_CODE"),
        bid_section_content=reader.text("BID_SECTION_CONTENT", multiline=True),
        tender_project_classify_code=reader.code("TENDER_PROJECT_CLASSIFY_CODE"),
        control_price=reader.money("CONTROL_PRICE", default_unit="万元", units=(), currencies=()),
        region_code=reader.region("REGION_CODE"),
    )
    return finish("tender.section", [payload], [reader], item)


def map_notice(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    notice_code = reader.first("NOTICE_CODE", "NOTICE_ID", "PLATID")
    plat_id = call_of(item).get("PLATID")
    payload = compact(
        **header(reader, item),
        project_code=reader.code("PROJECT_CODE"),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        notice_code=_clean_id(notice_code[1] if notice_code else plat_id),
        bid_section_codes=reader.codes("BID_SECTION_CODES") or reader.codes("BID_SECTION_CODE"),
        unified_deal_codes=_deal_codes(reader, "UNIFIED_DEAL_CODES")
        or _deal_codes(reader, "UNIFIED_DEAL_CODE"),
        notice_name=reader.text("NOTICE_NAME", required=True),
        notice_content=reader.text("NOTICE_CONTENT", multiline=True),
        notice_send_time=reader.time("NOTICE_SEND_TIME", required=True),
        notice_media=reader.text("NOTICE_MEDIA"),
        url=reader.url("URL"),
        notice_nature=reader.code("NOTICE_NATURE"),
        bulletin_type=reader.code("BULLETIN_TYPE"),
        doc_get_start_time=reader.time("DOC_GET_START_TIME"),
        doc_get_end_time=reader.time("DOC_GET_END_TIME"),
        tender_doc_get_method=reader.text("TENDER_DOC_GET_METHOD"),
        bid_doc_refer_end_time=reader.time("BID_DOC_REFER_END_TIME"),
        bid_open_time=reader.time("BID_OPEN_TIME"),
        doc_price=reader.money("DOC_PRICE", default_unit="元", units=(), currencies=()),
        bulletin_duty=reader.text("BULLETIN_DUTY"),
        examiner_name=reader.text("EXAMINER_NAME"),
        attachment_code=reader.code("ATTACHMENT_CODE"),
        region_code=reader.region("REGION_CODE"),
    )
    require(reader, "NOTICE_CODE", payload.get("notice_code"))
    require(reader, "BID_SECTION_CODES", payload.get("bid_section_codes"))
    return finish("tender.notice", [payload], [reader], item)


def _clean_id(value: object) -> str | None:
    code = clean_code(value) if isinstance(value, str) else ""
    return code if 0 < len(code) <= 100 else None


def _deal_codes(reader: RowReader, name: str) -> list[str] | None:
    codes = reader.codes(name)
    return None if codes is None else _checked_deal_codes(reader, name, codes)


def _checked_deal_codes(reader: RowReader, name: str, codes: list[str]) -> list[str] | None:
    valid = [code for code in codes if reader.findings(name, check_unified_deal_code(code))]
    return valid if len(valid) == len(codes) else None


def map_opening(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    sections = reader.codes("BID_SECTION_CODES") or reader.codes("BID_SECTION_CODE")
    require(reader, "BID_SECTION_CODES", sections)
    deal_codes = _paired_deal_codes(reader, len(sections or ()))
    shared = compact(
        **header(reader, item),
        project_code=reader.code("PROJECT_CODE"),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        bid_opening_time=reader.time("BID_OPENING_TIME", required=True),
        bid_opening_address=reader.text("BID_OPENING_ADDRESS"),
        bid_opening_actor=reader.text("BID_OPENING_ACTOR"),
        bid_opening_content=reader.text("BID_OPENING_CONTENT", multiline=True),
        notice_name=reader.text("NOTICE_NAME"),
        url=reader.url("URL"),
        bidder_count=reader.count("BIDDER_COUNT"),
        region_code=reader.region("REGION_CODE"),
    )
    payloads = [
        compact(
            **shared, bid_section_code=section, unified_deal_code=deal_codes[index] if deal_codes else None
        )
        for index, section in enumerate(sections or ())
    ]
    return finish("tender.opening", payloads, [reader], item)


def _paired_deal_codes(reader: RowReader, sections: int) -> list[str] | None:
    """UNIFIED_DEAL_CODES matched to the sections by position."""
    name = "UNIFIED_DEAL_CODES" if "UNIFIED_DEAL_CODES" in reader.row else "UNIFIED_DEAL_CODE"
    codes = reader.codes(name)
    if codes is None:
        return None
    if len(codes) != sections:
        # Which code belongs to which section is unknown: the list stays verbatim in extensions.
        reader.used.discard(name)
        return None
    return _checked_deal_codes(reader, name, codes)


def map_contract(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    sections = reader.codes("BID_SECTION_CODE") or reader.codes("BID_SECTION_CODES")
    if sections is not None and len(sections) > 1:
        reader.fail("BID_SECTION_CODE", BAD_VALUE, "a contract belongs to one section")
    payload = compact(
        **header(reader, item),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        bid_section_code=sections[0] if sections else None,
        contract_code=reader.code("CONTRACT_CODE", required=True),
        unified_deal_code=reader.deal_code("UNIFIED_DEAL_CODE"),
        contract_name=reader.text("CONTRACT_NAME", required=True),
        is_supplementary=reader.flag("IS_SUPPLEMENTARY"),
        tenderer=_tenderer(reader, required=True),
        contractor=reader.party(
            name="WIN_BIDDER_NAME",
            code="WIN_BIDDER_CODE",
            code_types=("N_BIDDER_CODE_TYPE", "WIN_BIDDER_CODE_TYPE", "BIDDER_CODE_TYPE"),
            role="BIDDER_ROLE",
            region="BIDDER_REGION_CODE",
            default_role="中标人",
            required=True,
        ),
        contract_amount=reader.money(
            "CONTRACT_AMOUNT",
            default_unit="万元",
            currencies=("PRICE_CURRENCY", "CONTRACT_CURRENCY"),
            required=True,
        ),
        sign_date=reader.date("SIGN_DATE", required=True),
        time_limit=reader.text("TIME_LIMIT"),
        plan_start_date=reader.date("PLAN_START_DATE"),
        plan_end_date=reader.date("PLAN_END_DATE"),
        quality=reader.text("QUALITY"),
        pm_name=reader.text("PM_NAME"),
        pm_code=reader.code("PM_CODE"),
        contract_content=reader.text("CONTRACT_CONTENT", multiline=True),
        publish_time=reader.time("PUBLISH_TIME"),
        region_code=reader.region("REGION_CODE"),
    )
    require(reader, "BID_SECTION_CODE", payload.get("bid_section_code"))
    return finish("contract", [payload], [reader], item)
