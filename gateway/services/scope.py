"""What a caller may see: the jurisdiction subtree of its token (admins see the whole node)."""

from __future__ import annotations

from gateway.services.auth import Principal
from schemas.errors import NotFoundError
from schemas.regions import is_within, region_level


def subtree_prefix(code: str) -> str:
    """Codes within a region's subtree share this prefix: 53 (province), 5306 (city), 530621 (county)."""
    return {"province": code[:2], "city": code[:4], "county": code}[region_level(code)]


def visible_prefix(principal: Principal) -> str:
    """Code prefix of the jurisdictions the caller may read ('' = all)."""
    return "" if principal.role == "admin" else subtree_prefix(principal.jurisdiction)


def narrowed_prefix(principal: Principal, jurisdiction: str | None) -> str:
    """The caller's prefix, narrowed to a requested jurisdiction inside it; outside it sees nothing."""
    if not jurisdiction:
        return visible_prefix(principal)
    if principal.role != "admin" and not is_within(jurisdiction, principal.jurisdiction):
        raise NotFoundError(f"jurisdiction {jurisdiction} is outside this token's subtree")
    return subtree_prefix(jurisdiction)


def ensure_visible(principal: Principal, jurisdiction: str, what: str) -> None:
    # 404, not 403: a caller outside the subtree learns nothing, not even that the record exists.
    if principal.role != "admin" and not is_within(jurisdiction, principal.jurisdiction):
        raise NotFoundError(f"{what} not found")
