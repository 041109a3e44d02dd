"""`alert`: something a reader of the region's records should look at, raised by the gateway itself.

Features raise alerts of their own kinds: `credit.hit` (a party of a bid, candidate list, award or
contract is on an effective blacklist or penalty publication), `record.conflict`, `delivery.failed`,
`obligation.overdue`, `complaint.overdue` and more to come. The kind is therefore a dotted code with a
fixed shape rather than a closed list, so a new feature adds a kind without a new schema version.

`subject_ids` names what the alert is about: envelope ids of the records concerned or business ids
(a complaint_id, an obligation_id). `details` is the kind's own object, kept verbatim. An alert is
open until a later version carries `resolved_at`.

Keyed by `alert_id`; it concerns `jurisdiction`, the region whose readers should see it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from schemas.base import Code, RegionCode, StandardRecord, Text, Timestamp

# Lower-case ASCII segments joined by dots, at least two: area.reason, as error codes are written.
ALERT_KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
AlertKind = Annotated[str, StringConstraints(pattern=ALERT_KIND_PATTERN, max_length=100)]


class Alert(StandardRecord):
    """A raised alert (credit hit, record conflict, failed delivery, overdue duty …)."""

    record_type = "alert"
    business_key = ("alert_id",)
    jurisdiction_fields = ("jurisdiction",)

    alert_id: Code = Field(description="alert id, stable across the versions of one alert")
    kind: AlertKind = Field(
        description="dotted kind code: credit.hit, record.conflict, delivery.failed, obligation.overdue …"
    )
    severity: Literal["info", "warning", "critical"] = Field(description="严重程度")
    jurisdiction: RegionCode = Field(description="the region the alert concerns (GB/T 2260)")
    subject_ids: Annotated[list[Code], Field(min_length=1)] = Field(
        description="envelope ids or business ids of the records the alert is about"
    )
    summary: Text = Field(description="摘要: what happened, in Chinese, for the reader")
    details: dict[str, Any] = Field(description="the kind's own details (matched entries, measures …)")
    raised_at: Timestamp = Field(description="when the alert was raised")
    resolved_at: Timestamp | None = Field(
        default=None, description="when it was resolved; absent while the alert is open"
    )
