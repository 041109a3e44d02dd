"""`tender.evaluation`: the 评标报告 of one section with its committee and score details.

One record per section (key: tender project + section); a re-evaluation (重新评审) is a later
version of the same record. Experts are identified by keyed hash (`schemas.base.KeyedHash`) so
that the 专家打分倾向性 indicator can follow one expert across projects and nodes without the ID
number ever leaving the node that holds it. Score details (EVALUATION_SCORE_DETAIL) reference the
expert by that hash and the bidder by its Party code, as in `tender.bid`. The report document
itself travels by digest.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import (
    Code,
    DecimalString,
    DocumentRef,
    KeyedHash,
    Name,
    Position,
    RegionCode,
    StandardModel,
    StandardRecord,
    Text,
    Timestamp,
)


class EvaluationExpert(StandardModel):
    """评标专家 BID_EVALUATION_EXPERT."""

    expert_id: KeyedHash = Field(description="专家身份证号 ID_CARD, as a keyed hash")
    expert_name: Name | None = Field(default=None, description="专家姓名 EXPERT_NAME")
    expert_type: Code | None = Field(default=None, description="专家类型 EXPERT_TYPE")
    id_card_type: Code | None = Field(default=None, description="证件类型 ID_CARD_TYPE")
    check_in_time: Timestamp | None = Field(default=None, description="签到时间 EXPERT_CHECK_IN_TIME")
    is_chairman: bool | None = Field(default=None, description="是否组长 IS_CHAIR_MAN")
    is_invalid_score: bool | None = Field(default=None, description="评分是否无效 IS_INVALID_SCORE")
    is_tender_agent: bool | None = Field(default=None, description="是否招标人代表 IS_TENDER_AGENT")
    is_economical_expert: bool | None = Field(default=None, description="经济专家 IS_ECONOMICAL_EXPERT")
    is_technological_expert: bool | None = Field(default=None, description="技术专家 IS_TECHNOLOGICAL_EXPERT")
    venue_region_code: RegionCode | None = Field(
        default=None, description="region of the venue where the expert sat (远程异地评标)"
    )


class ScoreDetail(StandardModel):
    """One score one expert gave one bidder on one item (EVALUATION_SCORE_DETAIL)."""

    expert_id: KeyedHash = Field(description="the scoring expert, as in EvaluationExpert.expert_id")
    bidder_code: Code = Field(description="the bidder's Party code, as in tender.bid bidder.code")
    item_name: Name = Field(description="评分项名称")
    item_kind: Literal["objective", "subjective", "price"] | None = Field(
        default=None, description="客观分 / 主观分 / 价格分"
    )
    score: DecimalString = Field(description="得分")
    max_score: DecimalString | None = Field(default=None, description="该项满分")


class BidderResult(StandardModel):
    """EVALUATION_RESULT / REJECTED_BID_INFO for one bidder."""

    bidder_code: Code = Field(description="the bidder's Party code")
    bidder_name: Name = Field(description="投标人名称")
    total_score: DecimalString | None = Field(default=None, description="综合得分")
    evaluation_price: DecimalString | None = Field(default=None, description="评标价 (元)")
    rank: Position | None = Field(default=None, description="排名")
    is_rejected: bool | None = Field(default=None, description="是否否决投标 (REJECTED_BID_INFO)")
    reject_reason: Text | None = Field(default=None, description="否决原因")


class TenderEvaluation(StandardRecord):
    """评标报告 EVALUATION_REPORT with committee and scores."""

    record_type = "tender.evaluation"
    business_key = ("tender_project_code", "bid_section_code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    evaluating_method: Name | None = Field(default=None, description="评标办法 EVALUATING_METHOD")
    evaluation_start_time: Timestamp | None = Field(default=None, description="评标开始时间")
    evaluation_end_time: Timestamp | None = Field(default=None, description="评标结束时间")
    report_time: Timestamp = Field(description="评标报告完成时间")
    report: DocumentRef | None = Field(default=None, description="评标报告 EVALUATION_REPORT, by digest")
    is_remote: bool | None = Field(default=None, description="是否远程异地评标 (remoteEvaluation)")
    remote_evaluation_id: Code | None = Field(
        default=None, description="the remote_evaluation session_id, when evaluated off-site"
    )
    experts: Annotated[list[EvaluationExpert], Field(min_length=1)] = Field(description="评标委员会")
    scores: Annotated[list[ScoreDetail], Field(min_length=1)] | None = Field(
        default=None, description="评分明细 EVALUATION_SCORE_DETAIL"
    )
    results: Annotated[list[BidderResult], Field(min_length=1)] | None = Field(
        default=None, description="评标结果 EVALUATION_RESULT"
    )
    region_code: RegionCode | None = Field(
        default=None, description="the tender project's REGION_CODE, carried for routing"
    )
