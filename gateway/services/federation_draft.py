"""The root node's working copy of the next directory: `<data_dir>/federation/draft.json`.

A draft is a directory without `issued_at`, `expires_at` and `sig`; its `serial` is the last one
signed. Every change is checked as a whole directory before it is kept, so a mistake (an unknown
parent, a key listed twice, a department of a missing node) is refused where it is made, not at
signing time. Only the root node signs, and each signature takes the next serial.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from config.settings import Settings
from gateway.services.federation import directory_file, federation_dir, write_atomically
from gateway.services.identity import NodeIdentity
from schemas.errors import GatewayError
from signing.directory import DIRECTORY_VERSION, check_document, rfc3339, sign_directory
from signing.keys import PublicKey

DEFAULT_KEY_VALIDITY = timedelta(days=730)
_STAND_IN_ISSUED, _STAND_IN_EXPIRES = "2000-01-01T00:00:00+00:00", "2000-01-02T00:00:00+00:00"


class DraftError(GatewayError):
    code = "federation.draft_invalid"
    status = 422


class NotRootError(GatewayError):
    code = "federation.not_root"
    status = 403


def draft_file(settings: Settings) -> Path:
    return federation_dir(settings) / "draft.json"


def new_draft(name: str, node: NodeIdentity, *, now: datetime, key_validity: timedelta = DEFAULT_KEY_VALIDITY
              ) -> dict[str, Any]:
    """A draft federation `name` whose root, and only node so far, is `node` with its current key."""
    draft: dict[str, Any] = {"v": DIRECTORY_VERSION, "federation": name, "root": node.node_id, "serial": 0,
                             "nodes": [], "revoked_keys": [], "departments": []}
    return add_node(draft, node_id=node.node_id, parent=None, name=node.name, endpoint=node.endpoint,
                    keys=[node.key.public], not_before=now, not_after=now + key_validity)


def load_draft(settings: Settings) -> dict[str, Any]:
    path = draft_file(settings)
    if not path.exists():
        raise DraftError(f"no draft at {path}; start one with `ggzy federation init --name …`")
    try:
        draft = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise DraftError(f"the draft at {path} is not JSON: {exc}") from exc
    if not isinstance(draft, dict) or {"issued_at", "expires_at", "sig"} & draft.keys():
        raise DraftError(f"the draft at {path} is not a draft directory")
    check_draft(draft)
    return draft


def save_draft(settings: Settings, draft: dict[str, Any]) -> None:
    write_atomically(draft_file(settings), orjson.dumps(draft, option=orjson.OPT_INDENT_2))


def add_node(draft: dict[str, Any], *, node_id: str, parent: str | None, name: str, endpoint: str,
             keys: Sequence[PublicKey], not_before: datetime, not_after: datetime) -> dict[str, Any]:
    """The draft with the node added, or, for a listed node, updated and given any new keys.

    Keys already listed keep their window; a new key beside an old one is how a node rotates: both
    verify while their windows overlap.
    """
    result = copy.deepcopy(draft)
    entry = next((node for node in result["nodes"] if node["id"] == node_id), None)
    if entry is None:
        entry = {"id": node_id, "keys": []}
        result["nodes"].append(entry)
    entry.update(parent=parent, name=name, endpoint=endpoint)
    listed = {PublicKey.from_jwk(item["jwk"]).kid for item in entry["keys"]}
    for key in keys:
        if key.kid not in listed:
            entry["keys"].append({"jwk": key.to_jwk(), "not_before": rfc3339(not_before),
                                  "not_after": rfc3339(not_after)})
    check_draft(result)
    return result


def add_department(draft: dict[str, Any], *, department_id: str, name: str, jurisdiction: str, industry: str,
                   node: str) -> dict[str, Any]:
    result = copy.deepcopy(draft)
    result["departments"] = [dep for dep in result["departments"] if dep["id"] != department_id]
    result["departments"].append({"id": department_id, "name": name, "jurisdiction": jurisdiction,
                                  "industry": industry, "node": node})
    check_draft(result)
    return result


def revoke_key(draft: dict[str, Any], *, kid: str, reason: str, now: datetime) -> dict[str, Any]:
    listed = {PublicKey.from_jwk(item["jwk"]).kid for node in draft["nodes"] for item in node["keys"]}
    if kid not in listed:
        raise DraftError(f"key {kid} is not listed in the draft (check the kid)")
    if any(item["kid"] == kid for item in draft["revoked_keys"]):
        raise DraftError(f"key {kid} is already revoked")
    result = copy.deepcopy(draft)
    result["revoked_keys"].append({"kid": kid, "revoked_at": rfc3339(now), "reason": reason})
    check_draft(result)
    return result


def sign_draft(settings: Settings, draft: dict[str, Any], node: NodeIdentity, *, now: datetime,
               valid_for: timedelta) -> dict[str, Any]:
    """The signed directory of the draft, under the next serial, which the draft then records."""
    if node.node_id != draft["root"]:
        raise NotRootError(f"only the root {draft['root']} signs this directory; this node is {node.node_id}")
    if valid_for <= timedelta(0):
        raise DraftError("a directory is valid for a positive time")
    serial = max(draft["serial"], _held_serial(settings)) + 1
    body = {**draft, "serial": serial, "issued_at": rfc3339(now), "expires_at": rfc3339(now + valid_for)}
    signed = sign_directory(body, node.key)
    draft["serial"] = serial
    return signed


def check_draft(draft: dict[str, Any]) -> None:
    # A draft is checked as the directory it would become, with stand-in times.
    check_document({**draft, "issued_at": _STAND_IN_ISSUED, "expires_at": _STAND_IN_EXPIRES})


def _held_serial(settings: Settings) -> int:
    # Never sign below what this node already serves, even if the draft was restored from a backup.
    path = directory_file(settings)
    held = orjson.loads(path.read_bytes()) if path.exists() else {}
    serial = held.get("serial") if isinstance(held, dict) else None
    return serial if type(serial) is int else 0
