"""`tender.candidate` (中标候选人公示, GCJS_WIN_CANDIDATE) and `tender.award` (中标结果公告,
GCJS_RESULT_NOTICE).

Both are per section (key: tender project + section); a corrected publication is a later version.
Candidates are listed in WIN_CANDIDATE_ORDER order and each carries its `order` (1 = first);
keeping the list sorted and the orders distinct is the adapter's duty (JSON Schema cannot state
it, and the model states nothing the schema does not). Prices the sources give in 万元
(EVALUATION_PRICE, WIN_PRICE, BID_AMOUNT) are Money in yuan with the source unit kept.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schemas.base import (
    Code,
    DecimalString,
    Money,
    Name,
    Party,
    Position,
    RegionCode,
    StandardModel,
    StandardRecord,
    Text,
    Timestamp,
    UnifiedDealCode,
    Url,
)

_REGION = "the tender project's REGION_CODE, carried for routing"


class Candidate(StandardModel):
    """One 中标候选人."""

    order: Position = Field(description="中标候选人排序 WIN_CANDIDATE_ORDER (1 = first)")
    candidate: Party = Field(
        description="候选人 WIN_CANDIDATE_NAME/WIN_CANDIDATE_CODE_TYPE/WIN_CANDIDATE_CODE/BIDDER_ROLE"
    )
    is_float_rate: bool | None = Field(default=None, description="是否费率/下浮率报价 IS_FLOAT_RATE")
    rate: DecimalString | None = Field(default=None, description="费率 RATE")
    bid_price: Money | None = Field(default=None, description="投标报价 BID_PRICE")
    evaluation_price: Money | None = Field(
        default=None, description="评标价 EVALUATION_PRICE (万元 at source)"
    )
    win_price: Money | None = Field(default=None, description="中标价 WIN_PRICE (万元 at source)")
    other_bid_price: Name | None = Field(default=None, description="其他类型报价 OTHER_BID_PRICE")
    evaluation_result: Name | None = Field(default=None, description="评标结果/得分 EVALUATION_RESULT")
    evaluation_status: Code | None = Field(default=None, description="评审情况 EVALUATION_STATUS")
    quality: Name | None = Field(default=None, description="质量 QUALITY")
    qualification: Name | None = Field(default=None, description="资质 WIN_CANDIDATE_QUALIFICATION")
    pm_name: Name | None = Field(default=None, description="项目负责人 PM_NAME")
    pm_code: Code | None = Field(default=None, description="项目负责人证书编号 PM_CODE")
    pm_certificates: Name | None = Field(default=None, description="项目负责人证书 PM_CERTIFICATES")
    time_limit: Name | None = Field(default=None, description="工期 TIME_LIMIT")


class TenderCandidate(StandardRecord):
    """中标候选人公示 GCJS_WIN_CANDIDATE (Fujian TENDER_CANDIDATE_ANN)."""

    record_type = "tender.candidate"
    business_key = ("tender_project_code", "bid_section_code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    notice_name: Name | None = Field(default=None, description="公示名称 NOTICE_NAME")
    notice_content: Text | None = Field(default=None, description="公示内容 NOTICE_CONTENT")
    notice_send_time: Timestamp = Field(description="公示发布时间 NOTICE_SEND_TIME")
    publicity_start_time: Timestamp | None = Field(default=None, description="公示开始时间")
    publicity_end_time: Timestamp | None = Field(
        default=None, description="公示结束时间 (≥ 3 days, 条例 art 54)"
    )
    url: Url | None = Field(default=None, description="公示链接 URL")
    candidates: Annotated[list[Candidate], Field(min_length=1)] = Field(description="中标候选人, in order")
    region_code: RegionCode | None = Field(default=None, description=_REGION)


class TenderAward(StandardRecord):
    """中标结果公告 GCJS_RESULT_NOTICE (Fujian WIN_RESULT_ANNO)."""

    record_type = "tender.award"
    business_key = ("tender_project_code", "bid_section_code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    notice_name: Name = Field(description="公告名称 NOTICE_NAME")
    notice_content: Text | None = Field(default=None, description="公告内容 NOTICE_CONTENT")
    notice_send_time: Timestamp = Field(description="公告发布时间 NOTICE_SEND_TIME")
    notice_media: Name | None = Field(default=None, description="发布媒介 NOTICE_MEDIA")
    url: Url | None = Field(default=None, description="公告链接 URL")
    notice_nature: Code | None = Field(default=None, description="公告性质 NOTICE_NATURE")
    bulletin_type: Code | None = Field(default=None, description="公告类型 BULLETIN_TYPE")
    win_bidder: Party = Field(
        description="中标人 WIN_BIDDER_NAME/BIDDER_CODE_TYPE (N_BIDDER_CODE_TYPE)/WIN_BIDDER_CODE/BIDDER_ROLE"
    )
    bid_amount: Money | None = Field(default=None, description="中标金额 BID_AMOUNT (万元 at source)")
    rate: DecimalString | None = Field(default=None, description="费率 RATE")
    other_win_price: Name | None = Field(default=None, description="其他类型中标价 OTHER_WIN_PRICE")
    tender_code: Code | None = Field(default=None, description="招标编号 TENDER_CODE")
    other_content: Text | None = Field(default=None, description="其他内容 OTHER_CONTENT")
    win_notice_time: Timestamp | None = Field(
        default=None, description="中标通知书发出时间 (BID_WINNING_NOTICE)"
    )
    bulletin_duty: Name | None = Field(default=None, description="公告发布责任人 BULLETIN_DUTY")
    examiner_name: Name | None = Field(default=None, description="审核人 EXAMINER_NAME")
    attachment_code: Code | None = Field(default=None, description="附件关联标识号 ATTACHMENT_CODE")
    trade_plat: Code | None = Field(default=None, description="交易平台或发布工具标识码 TRADE_PLAT")
    pub_service_plat_code: Code | None = Field(
        default=None, description="公共服务平台标识码 N_PUB_SERVICE_PLAT_CODE / PUB_SERVICE_PLAT_CODE"
    )
    region_code: RegionCode | None = Field(default=None, description=_REGION)
