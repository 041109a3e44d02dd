"""GET /api/v1/records/{id}/screening: the credit screening recorded on a record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.services.access_log import log_access
from gateway.services.auth import READ, Principal
from gateway.services.screening import RecordScreening, read_screening
from gateway.store.models.credit import Screening

router = APIRouter(prefix="/api/v1/records", tags=["records"])
Reader = Annotated[Principal, Depends(requires(READ))]


class CreditMatchRead(BaseModel):
    envelope_id: str
    record_type: str
    match_kind: str
    confidence: str
    party_name: str
    measures: str
    valid_from: date | None
    valid_to: date | None


class PartyScreeningRead(BaseModel):
    position: int
    role: str
    name: str
    code_type: str | None
    code: str | None
    checked_on: date
    result: str
    match_kind: str | None
    confidence: str | None
    matched_envelope_ids: list[str]
    matches: list[CreditMatchRead]
    screened_at: datetime
    alert_envelope_id: str | None

    @classmethod
    def of(cls, row: Screening) -> PartyScreeningRead:
        fields: dict[str, Any] = {
            "position": row.position, "role": row.party_role, "name": row.party_name,
            "code_type": row.party_code_type, "code": row.party_code, "checked_on": row.checked_on,
            "result": row.result, "match_kind": row.match_kind, "confidence": row.confidence,
            "matched_envelope_ids": row.matched_envelope_ids, "matches": row.matches,
            "screened_at": row.screened_at, "alert_envelope_id": row.alert_envelope_id,
        }
        return cls.model_validate(fields)


class ScreeningRead(BaseModel):
    envelope_id: str
    record_type: str
    jurisdiction: str
    screened: bool
    result: str | None
    parties: list[PartyScreeningRead]

    @classmethod
    def of(cls, screening: RecordScreening) -> ScreeningRead:
        return cls(
            envelope_id=screening.envelope_id, record_type=screening.record_type,
            jurisdiction=screening.jurisdiction, screened=screening.screened, result=screening.result,
            parties=[PartyScreeningRead.of(row) for row in screening.parties],
        )


@router.get("/{envelope_id}/screening", response_model=ScreeningRead,
            responses={404: {"description": "record.not_found"}})
def get_screening(
    envelope_id: str, db: DbDep, node: NodeDep, now: NowDep, principal: Reader
) -> ScreeningRead:
    """Per named party: hit or clear, the credit envelopes matched (match kind, confidence, measures,
    in-force window) and the alert raised. `screened` is false for a record that was never screened."""
    screening = read_screening(db, envelope_id=envelope_id, principal=principal)
    log_access(db, node=node, principal=principal, resource="record", now=now, result_count=1,
               record_ids=[envelope_id])
    return ScreeningRead.of(screening)
