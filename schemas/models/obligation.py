"""`obligation`: a duty with a due date that one body owes another.

Kinds: `copy` (抄送 of an investigation result to the guest department, 7 working days, Rule 3(c)),
`handover` (副场 → 主场 materials, 5 working days), `feedback` (a routed complaint's feedback by its
stated deadline, Rule 5), `assistance_answer` (the answer to a 函告). The deadline is computed
elsewhere from a deadline rule; the record names that rule (`rule_id`) and its source document, so a
reader can check the arithmetic. `status` is `open` until the duty is met (`fulfilled`, with
`fulfilled_at` and the `late` flag) or lapses without being due any more (`cancelled`, with a reason).
"Overdue" is not a stored state: it is `open` with `due_at` in the past, decided at read time.

Keyed by `obligation_id`; it concerns the debtor's region (the node that must act).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Code, Condition, Department, Name, Position, StandardRecord, Text, Timestamp


class Obligation(StandardRecord):
    """A duty with a due date (抄送, 移交, 反馈, 复函)."""

    record_type = "obligation"
    business_key = ("obligation_id",)
    jurisdiction_fields = ("debtor.region_code",)
    conditions = (
        Condition("status", equals="fulfilled", require=("fulfilled_at", "late")),
        Condition("status", equals="cancelled", require=("reason",)),
    )

    obligation_id: Code = Field(description="duty id")
    kind: Literal["copy", "handover", "feedback", "assistance_answer"] = Field(description="duty kind")
    debtor: Department = Field(description="the body that owes the duty")
    creditor: Department = Field(description="the body the duty is owed to")
    subject_type: Literal["remote_evaluation", "complaint"] = Field(description="record type of the subject")
    subject_id: Code = Field(description="session_id or complaint_id of the subject")
    trigger_sequence: Position | None = Field(
        default=None, description="sequence of the subject's event that started the clock"
    )
    triggered_at: Timestamp = Field(description="when the clock started")
    due_at: Timestamp = Field(description="deadline (end of the last working day counted)")
    rule_id: Code = Field(description="deadline rule applied")
    rule_source: Name = Field(
        description="its source: document number and article (云发改交易监督〔2020〕972号 §六(十二))"
    )
    status: Literal["open", "fulfilled", "cancelled"] = Field(description="duty status")
    fulfilled_at: Timestamp | None = Field(
        default=None, description="when it was met (required when fulfilled)"
    )
    fulfilled_by_sequence: Position | None = Field(
        default=None, description="the subject's event that met it"
    )
    late: bool | None = Field(default=None, description="met after due_at (required when fulfilled)")
    reason: Text | None = Field(default=None, description="note; why it was cancelled")
