"""`access.event`: one logged read of a node's data (DOMAIN §11: every read is access-logged).

It says who read (token subject, role and the jurisdiction subtree the token covers), with which
token (`token_id` = the JWT `jti`), what (the resource, and the feed range or the record ids or the
query), when, and how many items were returned. Keyed by `access_id`; it concerns the node that
served the read (`node_id`), whose own log keeps it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import Code, Count, Name, RegionCode, StandardModel, StandardRecord, Timestamp

ReaderRole = Literal["source", "department", "auditor", "discipline", "admin", "peer"]


class FeedRange(StandardModel):
    """The part of the feed that was read: leaf indexes `after` (exclusive) up to `limit` items."""

    after: Count | None = Field(default=None, description="the `after` cursor (absent = from index 0)")
    limit: Count = Field(description="the `limit` asked for")
    first_index: Count | None = Field(default=None, description="first leaf index returned")
    last_index: Count | None = Field(default=None, description="last leaf index returned")


class AccessEvent(StandardRecord):
    """A logged read."""

    record_type = "access.event"
    business_key = ("access_id",)
    jurisdiction_fields = ("node_id",)

    access_id: Code = Field(description="access log entry id")
    node_id: RegionCode = Field(description="the node that served the read")
    subject: Name = Field(description="who read: the token subject (sub)")
    role: ReaderRole = Field(description="the token's role")
    reader_jurisdiction: RegionCode | None = Field(
        default=None, description="the token's jurisdiction subtree"
    )
    token_id: Code = Field(description="the token id (jti)")
    resource: Literal[
        "feed", "checkpoint", "proof", "record", "records", "complaint", "remote_evaluation", "obligation",
    ] = Field(description="what kind of data was read")  # fmt: skip
    feed_range: FeedRange | None = Field(default=None, description="the feed range read")
    record_ids: Annotated[list[Code], Field(min_length=1, max_length=1000)] | None = Field(
        default=None, description="ids of the records read (envelope, complaint or session ids)"
    )
    query: dict[str, str] | None = Field(default=None, description="the query parameters of a list read")
    result_count: Count = Field(description="how many items were returned")
    accessed_at: Timestamp = Field(description="when")
