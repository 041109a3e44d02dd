"""The error model shared by every layer: a stable dotted code, an HTTP status, details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class GatewayError(Exception):
    """Base of every failure a client may see. `code` never changes meaning once published."""

    code: ClassVar[str] = "gateway.internal"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = [dict(d) for d in details]


class RecordInvalidError(GatewayError):
    """A standard record breaks its schema or carries an invalid identifier."""

    code = "record.invalid"
    status = 422


class UnknownRecordTypeError(GatewayError):
    code = "record.unknown_type"
    status = 422


class DuplicateRecordError(GatewayError):
    code = "record.duplicate"
    status = 409


class ConflictingRecordError(GatewayError):
    """Same envelope id, different content: never silently overwritten."""

    code = "record.conflict"
    status = 409


class StaleRecordError(GatewayError):
    """An older version of a record than the one already held."""

    code = "record.stale"
    status = 409


class NotFoundError(GatewayError):
    code = "record.not_found"
    status = 404


class AdapterError(GatewayError):
    code = "adapter.invalid_payload"
    status = 422


class CalendarError(GatewayError):
    """A deadline falls in a year with no working-day calendar data: never guessed."""

    code = "calendar.no_data"
    status = 422
