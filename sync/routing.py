"""Where an envelope goes next: pure, from the directory tree and the rules in config/routing.json.

The nodes that keep a record are the node of the jurisdiction it concerns (the nearest node for that
code or an ancestor of it) and every ancestor of that node. A node on that path sends the record one
tree edge further: up to its parent, and down towards the concerned node when it lies below. A node
off the path holds a record of another branch; `cross_branch` says where it goes: to the root, which
forwards it down ("root"), to the nearest ancestor on the path ("common_ancestor"), or nowhere
("none"). Never back to the origin that signed it, nor to the node that delivered it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.errors import GatewayError
from signing.directory import Directory, UnknownNodeError

ROUTES = frozenset({"tree", "local"})
CROSS_BRANCH = frozenset({"root", "common_ancestor", "none"})
DEFAULT_STREAM = "records"
RULES_VERSION = 1


class RoutingRulesError(GatewayError):
    code = "routing.invalid_rules"
    status = 500


@dataclass(frozen=True)
class TypeRule:
    route: str = "tree"
    stream: str = DEFAULT_STREAM


@dataclass(frozen=True)
class RoutingRules:
    default: TypeRule = TypeRule()
    cross_branch: str = "root"
    types: Mapping[str, TypeRule] = field(default_factory=dict)

    def for_type(self, record_type: str) -> TypeRule:
        return self.types.get(record_type, self.default)


def targets(envelope: Mapping[str, Any], directory: Directory, self_id: str, rules: RoutingRules,
            *, sender: str | None = None) -> list[str]:
    """The nodes `self_id` sends the envelope (`type`, `jurisdiction`, `origin`) to, nearest first."""
    if rules.for_type(envelope["type"]).route == "local" or self_id not in directory:
        return []
    try:
        concerned = directory.node_for_jurisdiction(envelope["jurisdiction"])
    except UnknownNodeError:
        return []  # no node of this federation covers it: it stays here
    path = [concerned, *directory.parent_chain(concerned)]
    hops: list[str] = []
    if self_id in path:
        parent = directory.node(self_id).parent
        if parent is not None:
            hops.append(parent)
        if self_id != concerned:
            hops.append(path[path.index(self_id) - 1])
    elif rules.cross_branch == "root":
        hops.append(path[-1])
    elif rules.cross_branch == "common_ancestor":
        hops.extend(next(([node] for node in directory.parent_chain(self_id) if node in path), []))
    excluded = {self_id, envelope.get("origin"), sender}
    return [hop for hop in dict.fromkeys(hops) if hop not in excluded]


def parse_rules(document: Mapping[str, Any]) -> RoutingRules:
    if not isinstance(document, Mapping) or document.get("v") != RULES_VERSION:
        raise RoutingRulesError(f"routing rules are an object with v = {RULES_VERSION}")
    cross_branch = document.get("cross_branch", "root")
    if cross_branch not in CROSS_BRANCH:
        raise RoutingRulesError(f"cross_branch is one of {sorted(CROSS_BRANCH)}, not {cross_branch!r}")
    default = _type_rule(document.get("default", {}), "default", TypeRule())
    types = document.get("types", {})
    if not isinstance(types, Mapping):
        raise RoutingRulesError("types maps record types to rules")
    per_type = {name: _type_rule(rule, f"types.{name}", default) for name, rule in types.items()}
    return RoutingRules(default=default, cross_branch=cross_branch, types=per_type)


@lru_cache(maxsize=8)
def load_rules(path: Path) -> RoutingRules:
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise RoutingRulesError(f"cannot read the routing rules at {path}: {exc}") from exc
    return parse_rules(document)


def _type_rule(rule: Any, where: str, base: TypeRule) -> TypeRule:
    if not isinstance(rule, Mapping):
        raise RoutingRulesError(f"{where} is an object")
    route, stream = rule.get("route", base.route), rule.get("stream", base.stream)
    if route not in ROUTES:
        raise RoutingRulesError(f"{where}.route is one of {sorted(ROUTES)}, not {route!r}")
    if not isinstance(stream, str) or not 0 < len(stream) <= 64:
        raise RoutingRulesError(f"{where}.stream is a name of 1 to 64 characters")
    return TypeRule(route=route, stream=stream)
