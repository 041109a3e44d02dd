"""The context an event is checked in, and what its check hands back (jurisdiction, follow-up)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services import obligations as duties
from gateway.services.deadline_rules import DuePolicy
from gateway.services.identity import NodeIdentity
from gateway.store.models.remote_evaluation import ObligationRow, RemoteSession
from gateway.store.repositories.remote_evaluation import ObligationRepository, RemoteEvaluationRepository

# Runs after the event is appended, with its envelope id: (obligations created, obligations met).
After = Callable[[str], tuple[list[str], list[str]]]


@dataclass
class EventContext:
    db: Session
    node: NodeIdentity
    session: RemoteSession
    payload: dict[str, Any]
    sequence: int
    side: str | None  # "host", a guest venue code, None for an admin
    now: datetime
    policy: DuePolicy
    answer_by: str | None = None

    @property
    def host(self) -> Mapping[str, Any]:
        return self.session.payload["host"]

    @property
    def guests(self) -> list[Mapping[str, Any]]:
        return list(self.session.payload["guests"])

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(self.payload["occurred_at"])

    @property
    def repo(self) -> RemoteEvaluationRepository:
        return RemoteEvaluationRepository(self.db)


@dataclass
class Prepared:
    jurisdiction: str
    after: After | None = None
    fault: dict[str, Any] | None = None


def make_duty(ctx: EventContext, kind: str, debtor: Mapping[str, Any], creditor: Mapping[str, Any],
          discriminator: str) -> duties.Duty:
    return duties.Duty(kind=kind, debtor=debtor, creditor=creditor, subject_type="remote_evaluation",
                       subject_id=ctx.session.session_id, triggered_at=ctx.occurred_at,
                       trigger_sequence=ctx.sequence, discriminator=discriminator)


def fulfil_open(ctx: EventContext, kind: str, matches: Callable[[ObligationRow], bool]) -> list[str]:
    """Meet, by this event, the open duties of the session of `kind` that `matches` picks."""
    rows = ObligationRepository(ctx.db).of_subject(ctx.session.session_id, kind=kind)
    return [
        duties.fulfil(ctx.db, node=ctx.node, obligation_id=row.obligation_id, fulfilled_at=ctx.occurred_at,
                      by_sequence=ctx.sequence, now=ctx.now).obligation_id
        for row in rows if row.status == "open" and matches(row)
    ]
