"""Personal data in served records: masked unless the token holds the unmasking scope.

The signed leaf is never changed. A masked feed line carries the masked envelope, the JSON
pointers that were masked and the hash of the original leaf, so an auditor without the scope still
checks the log's order, completeness and root; only the masked records' own signatures need the
scope (they cover the personal data). Rules are data: config/masking.json.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from config.settings import CONFIG_DIR
from signing.merkle import leaf_hash


@dataclass(frozen=True)
class MaskingRules:
    field_names: frozenset[str]
    party_code_types: frozenset[str]
    whole_objects: Mapping[str, tuple[str, ...]]
    mask_value: str
    scope: str
    needles: re.Pattern[bytes]  # a leaf matching none of these needs no parsing (one pass over the bytes)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MaskingRules:
        fields = frozenset(data["field_names"])
        objects = {t: tuple(names) for t, names in data.get("whole_objects", {}).items()}
        codes = frozenset(data.get("party_code_types", ()))
        needles = {f'"{name}"'.encode() for name in fields}
        needles |= {f'"{name}"'.encode() for names in objects.values() for name in names}
        needles |= {f'"code_type":"{code}"'.encode() for code in codes}
        return cls(
            fields, codes, objects, data["mask_value"], data["scope_that_unmasks"],
            re.compile(b"|".join(re.escape(n) for n in sorted(needles))),
        )


@lru_cache
def default_rules(path: Path = CONFIG_DIR / "masking.json") -> MaskingRules:
    return MaskingRules.from_json(orjson.loads(path.read_bytes()))


def mask_leaf(leaf: bytes, rules: MaskingRules) -> tuple[bytes, list[str]] | None:
    """(masked envelope bytes, masked pointers), or None when the leaf holds no personal data."""
    if rules.needles.search(leaf) is None:
        return None
    envelope = orjson.loads(leaf)
    pointers: list[str] = []
    payload = envelope.get("payload")
    if isinstance(payload, dict):
        for name in rules.whole_objects.get(str(envelope.get("type")), ()):
            if name in payload:
                payload[name] = rules.mask_value
                pointers.append(f"/payload/{name}")
        _walk(payload, "/payload", rules, pointers)
    if not pointers:
        return None
    return orjson.dumps(envelope), pointers


def _walk(node: Any, path: str, rules: MaskingRules, pointers: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("code_type") in rules.party_code_types and isinstance(node.get("code"), str):
            node["code"] = rules.mask_value
            pointers.append(f"{path}/code")
        for key, value in node.items():
            if key in rules.field_names and isinstance(value, str):
                node[key] = rules.mask_value
                pointers.append(f"{path}/{_escape(key)}")
            elif isinstance(value, dict | list):
                _walk(value, f"{path}/{_escape(key)}", rules, pointers)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{path}/{i}", rules, pointers)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def feed_lines(rows: Iterable[tuple[int, bytes]], rules: MaskingRules | None) -> bytes:
    """NDJSON feed lines; with rules, personal data is masked and the line says so."""
    out = []
    for idx, leaf in rows:
        masked = mask_leaf(leaf, rules) if rules is not None else None
        if masked is None:
            out.append(b'{"index":%d,"envelope":%b}\n' % (idx, leaf))
            continue
        body, pointers = masked
        note = orjson.dumps({"pointers": pointers, "leaf_hash": base64.b64encode(leaf_hash(leaf)).decode()})
        out.append(b'{"index":%d,"masked":%b,"envelope":%b}\n' % (idx, note, body))
    return b"".join(out)
