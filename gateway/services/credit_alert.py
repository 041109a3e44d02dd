"""A credit hit becomes an `alert` record (kind `credit.hit`) in the log, through the standard ingest.

One alert per party hit: its subjects are the screened envelope and the credit envelopes matched,
its details carry the matches with their measures (限制的行为, 处罚内容). The alert id names the
screened envelope and the party's position, so screening the same envelope again gives a later
version of the same alert rather than a second alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity

if TYPE_CHECKING:
    from gateway.services.ingest import Outcome
    from gateway.services.screening import ScreeningResult

ALERT_KIND = "credit.hit"
SCREENING_SOURCE = "screening"
MAX_SUMMARY_MEASURES = 400  # characters of measures quoted in the summary; details keep them whole
CHINA_TZ = timezone(timedelta(hours=8))
ROLE_LABELS = {
    "bidder": "投标人",
    "union_member": "联合体成员",
    "project_manager": "项目负责人",
    "candidate": "中标候选人",
    "win_bidder": "中标人",
    "contractor": "承包人",
}


class IngestStandard(Protocol):
    """The standard ingest (gateway.services.ingest.ingest_standard), handed in by its caller."""

    def __call__(
        self, db: Session, *, items: Sequence[Any], node: NodeIdentity, source_system: str, now: datetime
    ) -> Sequence[Outcome]: ...


def raise_credit_alerts(
    db: Session, *, results: Sequence[ScreeningResult], node: NodeIdentity, now: datetime,
    ingest: IngestStandard,
) -> dict[tuple[str, int], str]:
    """Log an alert for each hit; returns (screened envelope id, party position) → alert envelope id."""
    hits = [result for result in results if result.matches]
    if not hits:
        return {}
    stamp = now.astimezone(CHINA_TZ).isoformat(timespec="seconds")
    items = [{"type": "alert", "jurisdiction": hit.jurisdiction, "payload": alert_payload(hit, stamp)}
             for hit in hits]
    outcomes = ingest(db, items=items, node=node, source_system=SCREENING_SOURCE, now=now)
    return {
        (hit.envelope_id, hit.position): outcome.id
        for hit, outcome in zip(hits, outcomes, strict=True)
        if outcome.id is not None and outcome.status in ("accepted", "duplicate")
    }


def alert_payload(hit: ScreeningResult, stamp: str) -> dict[str, Any]:
    party = hit.party
    described = {"role": party.role, "name": party.name}
    if party.code_type is not None and party.code is not None and party.code_type != "id_card":
        described |= {"code_type": party.code_type, "code": party.code}
    return {
        "data_timestamp": stamp,
        "alert_id": f"{ALERT_KIND}-{hit.envelope_id}-{hit.position}",
        "kind": ALERT_KIND,
        "severity": "warning",
        "jurisdiction": hit.jurisdiction,
        "subject_ids": [hit.envelope_id, *(match.envelope_id for match in hit.matches)],
        "summary": _summary(hit),
        "details": {
            "screened_envelope_id": hit.envelope_id,
            "record_type": hit.record_type,
            "party": described,
            "checked_on": hit.checked_on.isoformat(),
            "match_kind": hit.match_kind,
            "confidence": hit.confidence,
            "matches": [match.as_dict() for match in hit.matches],
        },
        "raised_at": stamp,
    }


def _summary(hit: ScreeningResult) -> str:
    measures = "；".join(match.measures for match in hit.matches)
    if len(measures) > MAX_SUMMARY_MEASURES:
        measures = measures[: MAX_SUMMARY_MEASURES - 1] + "…"
    role = ROLE_LABELS.get(hit.party.role, hit.party.role)
    text = (
        f"{role}「{hit.party.name}」在{hit.checked_on.isoformat()}有{len(hit.matches)}条有效的信用惩戒记录："
        f"{measures}"
    )
    if hit.confidence == "name":
        text += "（仅名称一致，须人工核实）"
    return text
