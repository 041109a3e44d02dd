"""Refused input: kept in quarantine, answered with a problem that names the reasons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.store.repositories.quarantine import QuarantineRepository

_REFUSED = {"quarantined", "stale", "conflict"}
_OUTCOME_CODES = {"stale": "record.stale", "conflict": "record.conflict"}


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    errors: list[dict[str, Any]]


def refusal_of(results: list[dict[str, Any]], *, single: bool) -> Refusal | None:
    """A refusal when no record of the request was accepted or already held; else None."""
    if not results or any(r["status"] not in _REFUSED for r in results):
        return None
    statuses = {r["status"] for r in results}
    code = _OUTCOME_CODES.get(statuses.pop(), "record.invalid") if len(statuses) == 1 else "record.invalid"
    if single and results[0].get("reasons", [{}])[0].get("code") == "record.unknown_type":
        code = "record.unknown_type"
    errors = [
        {
            **reason,
            "pointer": reason.get("pointer", "")
            if single
            else f"/{r['position']}{reason.get('pointer', '')}",
        }
        for r in results
        for reason in r.get("reasons", [])
    ]
    return Refusal(code, "no record was accepted; each is kept in quarantine (see results)", errors[:200])


def quarantine_body(
    session_factory: Callable[[], Session],
    body: bytes,
    *,
    source: str,
    reason: str,
    message: str,
    raw_size: int | None = None,
) -> str:
    """Keep a body that could not be read as records, in its own transaction (the request fails)."""
    with session_factory() as db, db.begin():
        (qid,) = QuarantineRepository(db).add_many(
            [
                {
                    "source": source,
                    "adapter": "standard@1",
                    "record_type": None,
                    "raw": body,
                    "raw_size": raw_size if raw_size is not None else len(body),
                    "reasons": [{"pointer": "", "code": reason, "message": message}],
                }
            ],
            received_at=datetime.now(UTC),
        )
    return qid
