"""All tables, imported here so that Alembic sees the whole metadata."""

from gateway.store.models import remote_evaluation as remote_evaluation
from gateway.store.models.base import Base
from gateway.store.models.complaint import ComplaintCase
from gateway.store.models.credit import CreditIndexEntry, Screening
from gateway.store.models.exchange import Delivery, DeliveryAttempt, Outbox
from gateway.store.models.federation import SeenToken
from gateway.store.models.inbox import InboxReceipt, InboxRefusal, InboxStream
from gateway.store.models.log import Checkpoint, LogLeaf, LogNode, LogState, RecordHead
from gateway.store.models.quarantine import QuarantineItem
from gateway.store.models.source import QuarantineOrigin, SourceBlob, SourceRaw
from gateway.store.models.witness import Cosignature

__all__ = [
    "Base",
    "Checkpoint",
    "ComplaintCase",
    "Cosignature",
    "CreditIndexEntry",
    "Delivery",
    "DeliveryAttempt",
    "InboxReceipt",
    "InboxRefusal",
    "InboxStream",
    "LogLeaf",
    "LogNode",
    "LogState",
    "Outbox",
    "QuarantineItem",
    "QuarantineOrigin",
    "RecordHead",
    "Screening",
    "SeenToken",
    "SourceBlob",
    "SourceRaw",
]
