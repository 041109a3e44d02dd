"""`complaint` (投诉) and `complaint.event` (one step of its history).

The complaint record carries the elements of the 投诉书 (投诉处理办法 art 7: complainant, respondent,
basic facts, requests, evidence and leads), the project/section it concerns, the date the
complainant knew (or should have known) of the matter (the 10-day clock of 条例 art 60), the
objection that had to come first (异议前置), and the trade type that decides the competent body.
Its later versions carry the current state and the handling outcome (COMPLAINT_INFO: ACCEPT_DATE,
HANDLE_RESULT, HANDLE_BASIS, HANDLE_DATE, CONFINED_ACTION, START_DATE/END_DATE, DEALING_UNIT,
ENTER_CREDIT_PLAT). Evidence travels by digest only.

Events are the append-only history (Rule 5: receipt, forwarding, acceptance, investigation,
decision, feedback): keyed by complaint id + 1-based sequence, each says what happened (`action`),
the state it left the complaint in, who, when and why. Routing events carry the target department
and the feedback deadline; an extension carries its approver and the new deadline.

Both concern `region_code`, the region of the project complained about.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from schemas.base import (
    Actor,
    Code,
    Condition,
    Date,
    Department,
    DocumentRef,
    Name,
    Party,
    Position,
    RegionCode,
    StandardRecord,
    Text,
    Timestamp,
    TradeType,
    UnifiedDealCode,
)

ComplaintState: TypeAlias = Literal[
    "received",  # 收到
    "routed",  # 已转交主管部门 (forwarded in writing, with a feedback deadline)
    "accepted",  # 受理
    "not_accepted",  # 不予受理
    "investigating",  # 调查中
    "paused",  # 计时中止: 检验、检测、鉴定、专家评审 (time not counted)
    "decided",  # 已作出处理决定
    "withdrawn",  # 撤回
    "closed",  # 办结 (decision served, feedback given)
]
ComplaintAction: TypeAlias = Literal[
    "receive", "route", "refer", "accept", "not_accept", "investigate", "pause", "resume",
    "extend", "decide", "withdraw", "feedback", "close",
]  # fmt: skip
Decision: TypeAlias = Literal["upheld", "partly_upheld", "dismissed"]


class ComplaintParty(Party):
    """A Party with the contact details art 7 requires (名称, 地址, 联系方式)."""

    address: Name | None = Field(default=None, description="地址")
    phone: Name | None = Field(default=None, description="联系电话 COMPLAINT_PHONE")
    email: Name | None = Field(default=None, description="电子邮箱 COMPLAINT_MAIL")


class Complaint(StandardRecord):
    """投诉 (COMPLAINT_INFO, 投诉处理办法 art 7)."""

    record_type = "complaint"
    business_key = ("complaint_id",)
    jurisdiction_fields = ("region_code",)
    conditions = (
        Condition("agent", require=("power_of_attorney",)),
        Condition("state", equals="decided", require=("decision", "handle_date")),
    )

    complaint_id: Code = Field(description="投诉编号, assigned at intake")
    received_at: Timestamp = Field(description="投诉日期 COMPLAINT_DATE (receipt)")
    channel: Literal["web", "phone", "letter", "trading_system", "in_person", "referral"] = Field(
        description="受理渠道"
    )
    trade_type: TradeType = Field(description="交易类型: decides the competent body and the time limits")
    region_code: RegionCode = Field(description="被投诉项目所在行政区划 (REGION_CODE)")
    filing_region: RegionCode | None = Field(
        default=None, description="受理窗口所在行政区划: where the complaint was filed; feedback goes there"
    )
    complainant: ComplaintParty = Field(description="投诉人 COMPLAINT_NAME, with address and contact")
    standing: Literal["bidder", "interested_party"] = Field(description="投诉人身份: 投标人 / 其他利害关系人")
    agent: ComplaintParty | None = Field(default=None, description="代理人 (art 10)")
    power_of_attorney: DocumentRef | None = Field(
        default=None, description="授权委托书 (required with an agent)"
    )
    respondents: Annotated[list[ComplaintParty], Field(min_length=1)] = Field(
        description="被投诉人 COMPLAINTED_BODY_NAME/_TYPE/_CODE"
    )
    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    tender_project_name: Name | None = Field(default=None, description="招标项目名称 TENDER_PROJECT_NAME")
    bid_section_code: Code | None = Field(default=None, description="标段(包)编号 BID_SECTION_CODE")
    bid_section_name: Name | None = Field(default=None, description="标段(包)名称 BID_SECTION_NAME")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    facts: Text = Field(description="基本事实 COMPLAINT_CONTENT")
    requests: Annotated[list[Text], Field(min_length=1)] = Field(description="投诉请求")
    grounds: Text | None = Field(default=None, description="依据和理由 DISSENT_REASON")
    evidence: Annotated[list[DocumentRef], Field(min_length=1)] | None = Field(
        default=None, description="证据材料, by digest"
    )
    leads: Text | None = Field(default=None, description="相关线索")
    letter: DocumentRef | None = Field(default=None, description="投诉书 (signed, sealed for a legal person)")
    date_known: Date = Field(description="知道或者应当知道之日 (start of the 10-day limit)")
    objection_date: Date | None = Field(
        default=None, description="异议提出日期 (异议前置, 条例 arts 22/44/54)"
    )
    objection_reply_date: Date | None = Field(
        default=None, description="异议答复日期 (not counted in the 10 days)"
    )
    state: ComplaintState = Field(description="current state")
    competent_department: Department | None = Field(
        default=None, description="主管部门 the complaint is with"
    )
    accept_date: Date | None = Field(default=None, description="受理日期 ACCEPT_DATE")
    decision: Decision | None = Field(default=None, description="处理决定: 成立 / 部分成立 / 驳回")
    handle_result: Text | None = Field(default=None, description="处理结果 HANDLE_RESULT")
    handle_basis: Text | None = Field(default=None, description="处理依据 HANDLE_BASIS")
    handle_date: Date | None = Field(default=None, description="处理日期 HANDLE_DATE")
    confined_action: Text | None = Field(default=None, description="限制的行为 CONFINED_ACTION")
    restriction_start: Date | None = Field(default=None, description="限制开始日期 START_DATE")
    restriction_end: Date | None = Field(default=None, description="限制结束日期 END_DATE")
    dealing_unit: Name | None = Field(default=None, description="处理单位 DEALING_UNIT")
    enter_credit_platform: bool | None = Field(default=None, description="是否进入信用平台 ENTER_CREDIT_PLAT")


class ComplaintEvent(StandardRecord):
    """One state change in a complaint's history."""

    record_type = "complaint.event"
    business_key = ("complaint_id", "sequence")
    jurisdiction_fields = ("region_code",)
    conditions = (
        Condition("action", equals="route", require=("to_department", "due_at")),
        Condition("action", equals="refer", require=("to_department",)),
        Condition("action", equals="not_accept", require=("reason",)),
        Condition("action", equals="pause", require=("reason",)),
        Condition("action", equals="extend", require=("approver", "due_at", "reason")),
        Condition("action", equals="decide", require=("decision",)),
    )

    complaint_id: Code = Field(description="投诉编号")
    sequence: Position = Field(description="position in the complaint's history, 1-based, gap-free")
    action: ComplaintAction = Field(description="what happened")
    state: ComplaintState = Field(description="the state the complaint is in after this event")
    occurred_at: Timestamp = Field(description="when it happened")
    actor: Actor = Field(description="who did it")
    reason: Text | None = Field(
        default=None, description="reason or note (不予受理理由, 中止原因, 延期理由 …)"
    )
    to_department: Department | None = Field(default=None, description="target of a route or refer")
    due_at: Timestamp | None = Field(
        default=None, description="feedback deadline (route) or new deadline (extend)"
    )
    approver: Actor | None = Field(default=None, description="who approved an extension (the office head)")
    decision: Decision | None = Field(default=None, description="the decision (decide)")
    documents: Annotated[list[DocumentRef], Field(min_length=1)] | None = Field(
        default=None, description="documents of this step (转办函, 受理通知书, 处理决定书 …), by digest"
    )
    region_code: RegionCode | None = Field(default=None, description="region of the project complained about")
    filing_region: RegionCode | None = Field(
        default=None, description="受理窗口所在行政区划: where the complaint was filed; feedback goes there"
    )
