"""`remote_evaluation` (远程异地评标 session) and `remote_evaluation.event` (what happened in it).

A session has one host venue (主场: project location, its supervisory department leads) and one or
more guest venues (客场/副场: their departments assist), each with its region and supervisory
department — the responsibility fields host/guest region and supervisor of DOMAIN §7. Seats tie an
expert (keyed hash) to a venue (by `venue_code`) and a seat number. Keyed by `session_id`; it
concerns the host's region (the host leads supervision, Rule 3(a)).

Events are keyed by session + 1-based sequence. The fields an event needs depend on its kind and
are required by kind (see `RemoteEvaluationEvent.conditions`):

- check_in: the expert (and whether identity was verified);
- fault_start / fault_end: a `fault_id` pairing the two (the 2 h / 4 h rules measure between them);
- misconduct: a description;
- handover: the documents handed over, by digest (the 5-working-day 副场 → 主场 rule);
- report_completed: the report, by digest;
- investigation_opened / investigation_finding / investigation_concluded: an `investigation_id`;
  the conclusion says whether guest-venue experts are involved (that starts the 7-working-day
  抄送 duty of Rule 3(c));
- assistance_letter (函告, host → guest department) and copy (抄送): sender, receiver, documents;
- assistance_answer: sender, receiver and the sequence of the letter it answers.

An event concerns the region of the venue where it happened, else the session's host region (which
the caller supplies from the session).
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from schemas.base import (
    Actor,
    Code,
    Condition,
    Department,
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


class Venue(StandardModel):
    """主场 or 客场 evaluation venue."""

    venue_code: Code = Field(description="场地编号, unique within the session (referenced by seats)")
    name: Name = Field(description="场地名称 (交易中心评标室)")
    region_code: RegionCode = Field(description="场地所在行政区划 (regCode / awayRegCode)")
    supervisory_department: Department = Field(description="该场地的行政监督部门")
    trading_centre: Name | None = Field(default=None, description="所属公共资源交易中心")


class Seat(StandardModel):
    """Expert ↔ venue ↔ seat (工位)."""

    expert_id: KeyedHash = Field(description="the expert, keyed hash of the ID number")
    venue_code: Code = Field(description="venue_code of the host or a guest venue")
    seat_no: Code = Field(description="工位号")
    is_chairman: bool | None = Field(default=None, description="是否组长 IS_CHAIR_MAN")


class RemoteEvaluation(StandardRecord):
    """远程异地评标 session."""

    record_type = "remote_evaluation"
    business_key = ("session_id",)
    jurisdiction_fields = ("host.region_code",)

    session_id: Code = Field(description="远程异地评标场次编号")
    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_codes: Annotated[list[Code], Field(min_length=1)] = Field(description="标段(包)编号")
    host: Venue = Field(description="主场 (host venue, project location)")
    guests: Annotated[list[Venue], Field(min_length=1)] = Field(description="客场/副场 (guest venues)")
    seats: Annotated[list[Seat], Field(min_length=1)] | None = Field(default=None, description="工位分配")
    scheduled_start: Timestamp = Field(description="计划评标开始时间")
    scheduled_end: Timestamp | None = Field(default=None, description="计划评标结束时间")
    status: Literal["planned", "in_progress", "suspended", "completed", "cancelled"] = Field(
        description="场次状态"
    )


EventKind: TypeAlias = Literal[
    "check_in", "fault_start", "fault_end", "misconduct", "handover", "report_completed",
    "investigation_opened", "investigation_finding", "investigation_concluded",
    "assistance_letter", "assistance_answer", "copy",
]  # fmt: skip

_INVESTIGATION_KINDS = ("investigation_opened", "investigation_finding", "investigation_concluded")
_CORRESPONDENCE = ("from_department", "to_department", "documents")


class RemoteEvaluationEvent(StandardRecord):
    """One event of a remote evaluation session."""

    record_type = "remote_evaluation.event"
    business_key = ("session_id", "sequence")
    jurisdiction_fields = ("region_code",)
    conditions = (
        Condition("kind", equals="check_in", require=("expert_id", "venue_code")),
        Condition("kind", equals="fault_start", require=("fault_id", "venue_code", "description")),
        Condition("kind", equals="fault_end", require=("fault_id", "venue_code")),
        Condition("kind", equals="misconduct", require=("description",)),
        Condition("kind", equals="handover", require=("venue_code", "documents")),
        Condition("kind", equals="report_completed", require=("documents",)),
        *(Condition("kind", equals=kind, require=("investigation_id",)) for kind in _INVESTIGATION_KINDS),
        Condition("kind", equals="investigation_concluded", require=("involves_guest_experts",)),
        Condition("kind", equals="assistance_letter", require=_CORRESPONDENCE),
        Condition("kind", equals="copy", require=(*_CORRESPONDENCE, "investigation_id")),
        Condition("kind", equals="assistance_answer", require=(*_CORRESPONDENCE, "answers_sequence")),
    )

    session_id: Code = Field(description="远程异地评标场次编号")
    sequence: Position = Field(description="position in the session's history, 1-based, gap-free")
    kind: EventKind = Field(description="event kind")
    occurred_at: Timestamp = Field(description="when it happened")
    actor: Actor = Field(description="who recorded or did it")
    venue_code: Code | None = Field(default=None, description="venue where it happened")
    region_code: RegionCode | None = Field(default=None, description="region of that venue")
    host_region: RegionCode | None = Field(
        default=None, description="主场所在行政区划: the host leads supervision and receives every event"
    )
    expert_id: KeyedHash | None = Field(default=None, description="the expert concerned")
    identity_verified: bool | None = Field(default=None, description="身份核验 passed at check-in")
    fault_id: Code | None = Field(default=None, description="pairs fault_start with fault_end")
    fault_phase: Literal["before_start", "during"] | None = Field(
        default=None, description="fault before evaluation started (2 h rule) or during it (4 h rule)"
    )
    investigation_id: Code | None = Field(default=None, description="调查编号")
    involves_guest_experts: bool | None = Field(
        default=None, description="the finding involves guest-venue experts (starts the 抄送 duty)"
    )
    from_department: Department | None = Field(default=None, description="sender (函告, 抄送, 复函)")
    to_department: Department | None = Field(default=None, description="receiver (函告, 抄送, 复函)")
    subject: Name | None = Field(default=None, description="事由 of a letter")
    answers_sequence: Position | None = Field(default=None, description="sequence of the letter answered")
    description: Text | None = Field(default=None, description="what happened, finding text")
    documents: Annotated[list[DocumentRef], Field(min_length=1)] | None = Field(
        default=None, description="documents, recordings (音视频), handover items, by digest"
    )
