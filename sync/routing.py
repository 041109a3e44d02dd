"""Where an envelope goes next: pure, from the directory tree and the rules in config/routing.json.

The nodes that keep a record are the node of the jurisdiction it concerns (the nearest node for that
code or an ancestor of it) and every ancestor of that node. A node on that path sends the record one
tree edge further: up to its parent, and down towards the concerned node when it lies below. A node
off the path holds a record of another branch; `cross_branch` says where it goes: to the root, which
forwards it down ("root"), to the nearest ancestor on the path ("common_ancestor"), or nowhere
("none"). Never back to the origin that signed it, nor to the node that delivered it.

A workflow record also goes straight to the nodes that must act on it (DESIGN §3): a type's `direct`
pointers name, in the envelope, the regions of those parties (the competent department, the filing
window, the guest venues); the node that accepted the record sends it to each party's node itself,
so that the receipt it keeps is that node's own. Forwarding nodes do not repeat direct sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
    direct: tuple[str, ...] = ()  # JSON pointers into the envelope, `*` for every array item


@dataclass(frozen=True)
class RoutingRules:
    default: TypeRule = TypeRule()
    cross_branch: str = "root"
    types: Mapping[str, TypeRule] = field(default_factory=dict)

    def for_type(self, record_type: str) -> TypeRule:
        return self.types.get(record_type, self.default)

    def parties_of(self, envelope: Mapping[str, Any]) -> tuple[str, ...]:
        """`direct_regions`, skipping the pointer walk for the many types without direct parties."""
        return direct_regions(envelope, self) if self.for_type(envelope["type"]).direct else ()


def direct_regions(envelope: Mapping[str, Any], rules: RoutingRules) -> tuple[str, ...]:
    """The regions the type's `direct` pointers name in the envelope, in rule order, without repeats."""
    found: dict[str, None] = {}
    for pointer in rules.for_type(envelope["type"]).direct:
        for value in _resolve(envelope, pointer.split("/")[1:]):
            if isinstance(value, str):
                found[value] = None
    return tuple(found)


def targets(envelope: Mapping[str, Any], directory: Directory, self_id: str, rules: RoutingRules,
            *, sender: str | None = None, direct: Sequence[str] = ()) -> list[str]:
    """The nodes `self_id` sends the envelope (`type`, `jurisdiction`, `origin`) to, nearest first;
    then, for a record accepted here (no sender), the nodes of the `direct` regions."""
    if rules.for_type(envelope["type"]).route == "local" or self_id not in directory:
        return []
    hops = _tree_hops(envelope, directory, self_id, rules)
    if sender is None:
        for region in direct:
            try:
                hops.append(directory.node_for_jurisdiction(region))
            except UnknownNodeError:
                continue  # a party outside this federation: the tree route is all there is
    excluded = {self_id, envelope.get("origin"), sender}
    return [hop for hop in dict.fromkeys(hops) if hop not in excluded]


def _tree_hops(envelope: Mapping[str, Any], directory: Directory, self_id: str, rules: RoutingRules
               ) -> list[str]:
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
    return hops


def _resolve(value: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return [value]
    head, rest = parts[0].replace("~1", "/").replace("~0", "~"), parts[1:]
    if head == "*" and isinstance(value, list):
        return [found for item in value for found in _resolve(item, rest)]
    if isinstance(value, Mapping) and head in value:
        return _resolve(value[head], rest)
    return []


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
    direct = rule.get("direct", [])
    if not isinstance(direct, list) or not all(isinstance(p, str) and p.startswith("/") for p in direct):
        raise RoutingRulesError(f"{where}.direct is a list of JSON pointers into the envelope")
    if route not in ROUTES:
        raise RoutingRulesError(f"{where}.route is one of {sorted(ROUTES)}, not {route!r}")
    if not isinstance(stream, str) or not 0 < len(stream) <= 64:
        raise RoutingRulesError(f"{where}.stream is a name of 1 to 64 characters")
    return TypeRule(route=route, stream=stream, direct=tuple(direct))
