"""Who handles a complaint (属地管理、分类负责), read from config/complaints/routing.json.

The competent jurisdiction is the region of the project complained about; the department kind comes
from the routing table by trade type and industry (投诉处理办法 art 4, 94号令: 政府采购 → 财政). A
国家重大建设项目 goes to NDRC, with the sector department of the project's region as the other
competent body: when the complainant filed with that department, it handles the matter (art 4: a
sector department that has accepted it keeps it). Every department, route and refusal reason in the
file names its source; nothing here hard-codes a department.

A department's code is `<region>.<kind code>` (530621.JT): tokens of a department carry it as their
subject, which is how an action is checked against the competent department.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.errors import GatewayError
from schemas.regions import is_region_code

ROUTING_FILE = Path(__file__).resolve().parents[2] / "config" / "complaints" / "routing.json"
ROUTING_FORMAT = "ggzy.complaint-routing.v1"
ANY_INDUSTRY = "*"


class RoutingError(GatewayError):
    """No department can be named for the complaint (unknown kind, trade type or region)."""

    code = "complaint.unroutable"
    status = 422


class UnknownReasonError(GatewayError):
    code = "complaint.unknown_reason"
    status = 422


@dataclass(frozen=True)
class Route:
    """A competent department, as the `Department` object of the records, with the rule's source."""

    kind: str
    code: str
    name: str
    region_code: str
    source: str

    def as_department(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "region_code": self.region_code, "industry": self.kind}


@dataclass(frozen=True)
class RefusalReason:
    code: str
    text: str
    source: str

    def as_text(self) -> str:
        return f"{self.code}: {self.text} ({self.source})"


class RoutingTable:
    def __init__(self, document: Mapping[str, Any]) -> None:
        if document.get("format") != ROUTING_FORMAT:
            raise RoutingError(f"not a complaint routing file (format {ROUTING_FORMAT} expected)")
        self.departments: dict[str, dict[str, str]] = dict(document["departments"])
        self.aliases: dict[str, str] = dict(document.get("industry_aliases") or {})
        self.national_major: dict[str, str] = dict(document["national_major_project"])
        self.routes = {(r["trade_type"], r["industry"]): r for r in document["routes"]}
        self.reasons = {
            r["code"]: RefusalReason(r["code"], r["text"], r["source"]) for r in document["refusal_reasons"]
        }
        self.objection_first: dict[str, str] = dict(document["objection_first_matters"])
        self.jurisdiction_source: str = document["jurisdiction"]["source"]
        for route in self.routes.values():
            if route["department"] not in self.departments:
                raise RoutingError(f"route {route} names an unknown department")

    @classmethod
    def from_file(cls, path: Path = ROUTING_FILE) -> RoutingTable:
        return cls(json.loads(path.read_text("utf-8")))

    def industry_of(self, industry: str | None) -> str | None:
        if not industry:
            return None
        name = industry.strip()
        return name if name in self.departments else self.aliases.get(name, name)

    def department(self, kind: str, region_code: str, *, source: str | None = None) -> Route:
        entry = self.departments.get(kind)
        if entry is None:
            raise RoutingError(f"unknown department kind {kind!r}; kinds: {', '.join(self.departments)}")
        if not is_region_code(region_code):
            raise RoutingError(f"{region_code!r} is not a GB/T 2260 region code")
        return Route(kind, f"{region_code}.{entry['code']}", f"{region_code} {entry['name']}", region_code,
                     source or entry["source"])

    def route(self, *, trade_type: str, industry: str | None, region_code: str) -> Route:
        """The department of the project's region that the table names for the trade type and industry."""
        kind = self.industry_of(industry)
        entry = self.routes.get((trade_type, kind or "")) or self.routes.get((trade_type, ANY_INDUSTRY))
        if entry is None:
            raise RoutingError(f"no route for trade type {trade_type!r}")
        source = f"{entry['source']}; {self.jurisdiction_source}"
        return self.department(entry["department"], region_code, source=source)

    def routes_by_industry(self, trade_type: str) -> bool:
        """Whether the table tells departments of this trade type apart by the project's industry."""
        return any(t == trade_type and industry != ANY_INDUSTRY for t, industry in self.routes)

    def candidates(
        self, *, trade_type: str, industry: str | None, region_code: str, national_major: bool
    ) -> list[Route]:
        """Competent departments, the one the table routes to first."""
        sector = self.route(trade_type=trade_type, industry=industry, region_code=region_code)
        if not national_major:
            return [sector]
        major = self.national_major
        ndrc = Route(major["department"], major["code"], major["name"], region_code[:2] + "0000",
                     major["source"])
        return [ndrc] if sector.kind == ndrc.kind else [ndrc, sector]

    def reason(self, code: str) -> RefusalReason:
        found = self.reasons.get(code)
        if found is None:
            raise UnknownReasonError(
                f"unknown refusal reason {code!r}; reasons: {', '.join(self.reasons)}",
                details=[{"pointer": "/reason_code", "code": UnknownReasonError.code, "message": "unknown"}],
            )
        return found


@lru_cache(maxsize=1)
def default_routing() -> RoutingTable:
    return RoutingTable.from_file()
