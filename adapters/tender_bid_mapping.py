"""Datasets of the bidding and result stage: bidder list and result notice.

| dataset | record type |
| --- | --- |
| GCJS_TENDER_LIST | `tender.bid`, one per bidder row, with the bid-file fingerprint |
| GCJS_RESULT_NOTICE | `tender.award`, one per section |

The candidates (GCJS_WIN_CANDIDATE) are in `adapters.tender_candidates`.

Prices (BID_PRICE, EVALUATION_PRICE, WIN_PRICE, BID_AMOUNT) are in 万元 in the national datasets;
a `<FIELD>_UNIT` or PRICE_UNIT field of the row overrides that, and a currency other than 人民币
(PRICE_CURRENCY, BID_CURRENCY) is refused rather than converted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from adapters.base import NormalizedRecord, RawItem
from adapters.tender_reader import BAD_VALUE, RowReader, compact
from adapters.tender_record import Options, finish, header, require

_MEMBER_SEPARATORS = re.compile(r"[,;，；、]+")
CURRENCIES = ("PRICE_CURRENCY", "BID_CURRENCY")


def single_section(reader: RowReader) -> str | None:
    """BID_SECTION_CODE, or a BID_SECTION_CODES naming exactly one section."""
    sections = reader.codes("BID_SECTION_CODE") or reader.codes("BID_SECTION_CODES")
    if sections is not None and len(sections) > 1:
        reader.fail(
            "BID_SECTION_CODES", "tender.multiple_sections", "this dataset is per section; one code expected"
        )
        return None
    require(reader, "BID_SECTION_CODE", sections)
    return sections[0] if sections else None


def map_bid(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    payload = compact(
        **header(reader, item),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        bid_section_code=single_section(reader),
        bidder=reader.party(
            name="BIDDER_NAME",
            code="BIDDER_ORG_CODE",
            code_types=("BIDDER_CODE_TYPE",),
            role="BIDDER_ROLE",
            region="BIDDER_REGION_CODE",
            default_role="投标人",
            required=True,
        ),
        bidder_property=reader.text("BIDDER_PROPERTY"),
        bidder_credit_score=reader.decimal("BIDDER_CREDIT_SCORE"),
        is_lost=reader.flag("IS_LOST"),
        union_members=_union_members(reader),
        operation_person=reader.text("BIDDER_OPERATION_PERSON"),
        bid_manager=reader.text("BID_MANAGER"),
        bid_manager_id=reader.person_id("ID_CARD", type_field="ID_CARD_TYPE"),
        regist_certificate=reader.code("REGIST_CERTIFICATE"),
        pm_code=reader.code("PM_CODE"),
        pm_certificates=reader.text("PM_CERTIFICATES"),
        margin_pay_form=reader.text("MARGIN_PAY_FORM"),
        is_commit_margin=reader.flag("IS_COMMIT_MARGIN"),
        margin_receive_time=reader.time("MARGIN_RECEIVE_TIME"),
        price_form_code=reader.code("PRICE_FORM_CODE"),
        bid_price=reader.money("BID_PRICE", default_unit="万元", currencies=CURRENCIES),
        other_bid_price=reader.text("OTHER_BID_PRICE"),
        time_limit=reader.text("TIME_LIMIT"),
        is_review_shortlisted=reader.flag("IS_REVIEW_SHORTLISTED"),
        checkin_time=reader.time("CHECKIN_TIME"),
        bid_file=_fingerprint(reader),
        region_code=reader.region("REGION_CODE"),
    )
    return finish("tender.bid", [payload], [reader], item)


def _union_members(reader: RowReader) -> list[dict[str, str]] | None:
    """联合体成员: UNION_ENTERPRISE_NAME and UNION_ORGAN_SET_CODE list the members in the same order."""
    names = reader.value("UNION_ENTERPRISE_NAME")
    codes = reader.value("UNION_ORGAN_SET_CODE")
    if names is None and codes is None:
        return None
    name_list = [part for part in _MEMBER_SEPARATORS.split(names or "") if part.strip()]
    code_list = [part for part in _MEMBER_SEPARATORS.split(codes or "") if part.strip()]
    if len(name_list) != len(code_list):
        reader.fail(
            "UNION_ORGAN_SET_CODE", BAD_VALUE, "union members need one code per name, in the same order"
        )
        return None
    members = []
    for index, (name, code) in enumerate(zip(name_list, code_list, strict=True)):
        member = RowReader(
            {"NAME": name, "CODE": code},
            pointer=f"{reader.base}/UNION_ENTERPRISE_NAME/{index}",
            regions=reader.regions,
        )
        party = member.party(name="NAME", code="CODE", default_role="联合体成员", required=True)
        reader.errors.extend(member.errors)
        reader.warnings.extend(member.warnings)
        if party is not None:
            members.append(party)
    return members if len(members) == len(name_list) else None


def _fingerprint(reader: RowReader) -> dict[str, Any] | None:
    """投标文件特征码 / 制作工具: what the 文件制作雷同性 indicator compares (DOMAIN §10.6)."""
    submit = reader.first("SUBMITTIME", "TENDER_DOC_SUBMITTIME")
    fingerprint = compact(
        bid_document_name=reader.text("BID_DOCUMENT_NAME"),
        bid_document_size=reader.count("BID_DOCUMENT_SIDE"),
        bid_document_md5=reader.md5("BID_DOCUMENT_MD5"),
        submit_time=reader.time(submit[0]) if submit else None,
        cpu_id=reader.code("CPU_ID", keep_hyphens=True),
        hard_disk_serial_number=reader.code("HARD_DISK_SERIAL_NUMBER"),
        memory_serial_number=reader.code("MEMORY_SERIAL_NUMBER"),
        net_id=reader.code("NET_ID"),
        mac_address=reader.mac_address("MAC_ADDRESS"),
        tool_version=reader.text("TOOL_VERSION"),
        tender_documents_url=reader.url("TENDER_DOCUMENTS_URL"),
        valuation_digest=_valuation_digest(reader),
    )
    return fingerprint or None


def _valuation_digest(reader: RowReader) -> str | None:
    # VALUATION_XML travels by digest: it is large, and only its identity matters for comparison.
    value = reader.row.get("VALUATION_XML")
    if not isinstance(value, str) or not value.strip():
        return None
    reader.used.add("VALUATION_XML")
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def map_award(item: RawItem, options: Options) -> list[NormalizedRecord]:
    reader = options.reader(item.row)
    plat = reader.first("N_PUB_SERVICE_PLAT_CODE", "PUB_SERVICE_PLAT_CODE")
    payload = compact(
        **header(reader, item),
        tender_project_code=reader.code("TENDER_PROJECT_CODE", required=True),
        bid_section_code=single_section(reader),
        unified_deal_code=reader.deal_code("UNIFIED_DEAL_CODE"),
        notice_name=reader.text("NOTICE_NAME", required=True),
        notice_content=reader.text("NOTICE_CONTENT", multiline=True),
        notice_send_time=reader.time("NOTICE_SEND_TIME", required=True),
        notice_media=reader.text("NOTICE_MEDIA"),
        url=reader.url("URL"),
        notice_nature=reader.code("NOTICE_NATURE"),
        bulletin_type=reader.code("BULLETIN_TYPE"),
        win_bidder=reader.party(
            name="WIN_BIDDER_NAME",
            code="WIN_BIDDER_CODE",
            code_types=("N_BIDDER_CODE_TYPE", "WIN_BIDDER_CODE_TYPE", "BIDDER_CODE_TYPE"),
            role="BIDDER_ROLE",
            region="BIDDER_REGION_CODE",
            default_role="中标人",
            required=True,
        ),
        bid_amount=reader.money("BID_AMOUNT", default_unit="万元", currencies=CURRENCIES),
        rate=reader.decimal("RATE", percent=True),
        other_win_price=reader.text("OTHER_WIN_PRICE"),
        tender_code=reader.code("TENDER_CODE"),
        other_content=reader.text("OTHER_CONTENT", multiline=True),
        win_notice_time=reader.time("WIN_NOTICE_TIME"),
        bulletin_duty=reader.text("BULLETIN_DUTY"),
        examiner_name=reader.text("EXAMINER_NAME"),
        attachment_code=reader.code("ATTACHMENT_CODE"),
        trade_plat=reader.code("TRADE_PLAT"),
        pub_service_plat_code=reader.code(plat[0]) if plat else None,
        region_code=reader.region("REGION_CODE"),
    )
    return finish("tender.award", [payload], [reader], item)
