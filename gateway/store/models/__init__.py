"""All tables, imported here so that Alembic sees the whole metadata."""

from gateway.store.models.base import Base
from gateway.store.models.inbox import InboxReceipt, InboxRefusal, InboxStream
from gateway.store.models.log import Checkpoint, LogLeaf, LogNode, LogState, RecordHead
from gateway.store.models.quarantine import QuarantineItem
from gateway.store.models.source import QuarantineOrigin, SourceBlob, SourceRaw
from gateway.store.models.witness import Cosignature

__all__ = [
    "Cosignature",
    "Base",
    "Checkpoint",
    "InboxReceipt",
    "InboxRefusal",
    "InboxStream",
    "LogLeaf",
    "LogNode",
    "LogState",
    "QuarantineItem",
    "QuarantineOrigin",
    "RecordHead",
    "SourceBlob",
    "SourceRaw",
]
