"""Figures an operator asks for first: log size, last checkpoint, quarantine."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.quarantine import QuarantineRepository


def node_status(db: Session) -> dict[str, Any]:
    log = LogRepository(db)
    latest = log.latest_checkpoint()
    return {
        "log_size": log.size(),
        "checkpoint_size": latest.size if latest else None,
        "checkpoint_at": latest.created_at.isoformat() if latest else None,
        "quarantine_open": QuarantineRepository(db).count_open(),
    }


def store_gauges(db: Session) -> dict[str, float]:
    status = node_status(db)
    return {"log_size": float(status["log_size"]), "quarantine_open": float(status["quarantine_open"])}
