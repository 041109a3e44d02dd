"""Figures an operator on call asks for first, read in one round of cheap queries.

`node_status` is what `ggzy status` prints and `store_gauges` what `/metrics` exports at scrape time:
the log and its last checkpoint, open quarantine, the outbox per destination (what waits, since
when, what stopped for good), and the obligations and complaints past or near their deadline.
"Overdue" and "due soon" read as the sweeps read them (obligation_watch, complaint_sweep), so the
figures match the alerts the sweeps raise. The gauge names below are a contract: dashboards and
alert rules use them (docs/deploy.md lists them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.metrics import GaugeReading
from gateway.services.complaint_state import due_soon_threshold
from gateway.services.obligation_watch import DEFAULT_DUE_SOON
from gateway.store.repositories.complaint import ComplaintRepository
from gateway.store.repositories.exchange import Backlog, ExchangeRepository
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.quarantine import QuarantineRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository

DUE_STATES = ("overdue", "due_soon")


def node_status(db: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """The status at `now` (default: the current time); times are RFC 3339, ages in seconds."""
    now = now or datetime.now(UTC)
    log = LogRepository(db)
    latest = log.latest_checkpoint()
    obligations = ObligationRepository(db).count_open_by_due(now=now, soon_before=now + DEFAULT_DUE_SOON)
    complaints = ComplaintRepository(db).count_open_by_due(now=now, threshold=due_soon_threshold(now))
    return {
        "now": now.isoformat(),
        "log_size": log.size(),
        "checkpoint_size": latest.size if latest else None,
        "checkpoint_at": latest.created_at.isoformat() if latest else None,
        "checkpoint_age_seconds": _age(latest.created_at, now) if latest else None,
        "quarantine_open": QuarantineRepository(db).count_open(),
        "outbox": _outbox(ExchangeRepository(db).list_backlogs(), now),
        "obligations": dict(zip(DUE_STATES, obligations, strict=True)),
        "complaints": dict(zip(DUE_STATES, complaints, strict=True)),
    }


def store_gauges(db: Session, *, now: datetime | None = None) -> list[GaugeReading]:
    """The status as Prometheus gauges (prefixed `ggzy_` by the collector)."""
    status = node_status(db, now=now)
    destinations: dict[str, dict[str, Any]] = status["outbox"]["destinations"]
    gauges = [
        GaugeReading("log_size", "entries in the node log", status["log_size"]),
        GaugeReading("quarantine_open", "quarantined inputs not yet resolved", status["quarantine_open"]),
    ]
    if status["checkpoint_size"] is not None:
        gauges += [
            GaugeReading("checkpoint_size", "tree size of the latest signed checkpoint",
                         status["checkpoint_size"]),
            GaugeReading("checkpoint_age_seconds", "seconds since the latest checkpoint was signed",
                         status["checkpoint_age_seconds"]),
        ]

    def per_destination(field: str) -> dict[str, float]:
        return {node: float(backlog[field] or 0) for node, backlog in destinations.items()}

    return [
        *gauges,
        GaugeReading("outbox_depth", "deliveries waiting to be sent (pending or retrying), per destination",
                     label="destination", samples=per_destination("undelivered")),
        GaugeReading("outbox_retrying", "waiting deliveries that failed at least once and will be retried",
                     label="destination", samples=per_destination("retrying")),
        GaugeReading("outbox_failed", "deliveries stopped for good until `ggzy exchange retry` releases them",
                     label="destination", samples=per_destination("failed")),
        GaugeReading("outbox_oldest_undelivered_seconds",
                     "age of the oldest waiting delivery, per destination (0 when none waits)",
                     label="destination", samples=per_destination("oldest_undelivered_seconds")),
        GaugeReading("obligations", "open obligations by deadline state", label="status",
                     samples={state: float(status["obligations"][state]) for state in DUE_STATES}),
        GaugeReading("complaints", "open complaint cases by deadline state", label="status",
                     samples={state: float(status["complaints"][state]) for state in DUE_STATES}),
    ]


def _outbox(backlogs: list[Backlog], now: datetime) -> dict[str, Any]:
    destinations = {b.target_node: _backlog(b, now) for b in backlogs}
    oldest = min((b.oldest_waiting_at for b in backlogs if b.oldest_waiting_at), default=None)
    return {
        "undelivered": sum(b.waiting for b in backlogs),
        "retrying": sum(b.retrying for b in backlogs),
        "failed": sum(b.failed for b in backlogs),
        "oldest_undelivered_at": oldest.isoformat() if oldest else None,
        "oldest_undelivered_seconds": _age(oldest, now) if oldest else None,
        "destinations": destinations,
    }


def _backlog(backlog: Backlog, now: datetime) -> dict[str, Any]:
    oldest = backlog.oldest_waiting_at
    return {
        "undelivered": backlog.waiting,
        "retrying": backlog.retrying,
        "failed": backlog.failed,
        "oldest_undelivered_at": oldest.isoformat() if oldest else None,
        "oldest_undelivered_seconds": _age(oldest, now) if oldest else None,
    }


def _age(moment: datetime, now: datetime) -> float:
    # A row written by a process whose clock runs ahead must not show a negative age.
    return max(0.0, (now - moment).total_seconds())


def status_text(status: dict[str, Any]) -> str:
    """`node_status` as a short table for a person on call."""
    outbox = status["outbox"]
    checkpoint = ("none" if status["checkpoint_size"] is None else
                  f"{status['checkpoint_size']} at {status['checkpoint_at']} "
                  f"({_duration(status['checkpoint_age_seconds'])} ago)")
    lines = [
        f"status at       {status['now']}",
        f"log size        {status['log_size']}",
        f"checkpoint      {checkpoint}",
        f"quarantine      {status['quarantine_open']} open",
        f"obligations     {_due(status['obligations'])}",
        f"complaints      {_due(status['complaints'])}",
        f"outbox          {outbox['undelivered']} waiting ({outbox['retrying']} retrying), "
        f"{outbox['failed']} failed, oldest waiting {_since(outbox)}",
    ]
    if outbox["destinations"]:
        lines.append(f"  {'destination':<12} {'waiting':>8} {'retrying':>9} {'failed':>7}  oldest waiting")
        lines += [f"  {node:<12} {b['undelivered']:>8} {b['retrying']:>9} {b['failed']:>7}  {_since(b)}"
                  for node, b in outbox["destinations"].items()]
    return "\n".join(lines)


def _due(counts: dict[str, int]) -> str:
    return f"{counts['overdue']} overdue, {counts['due_soon']} due soon"


def _since(backlog: dict[str, Any]) -> str:
    if backlog["oldest_undelivered_at"] is None:
        return "-"
    return f"{backlog['oldest_undelivered_at']} ({_duration(backlog['oldest_undelivered_seconds'])})"


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"
