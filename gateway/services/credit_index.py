"""Keep the credit index in step with the log: who each credit record names, and when it is in force.

Called at append time for accepted credit.* envelopes. The in-force window follows DOMAIN §8 and
Rule 10 — an entry is used only while it is effective, never after its publicity period:

- `credit.blacklist`: from START_DATE (else RECORD_DATE) through END_DATE (open-ended without one);
  a revoked entry (REVOCATION_STATUS) is not effective at all;
- `credit.penalty`: from the decision date through CF_GSJZQ; without CF_GSJZQ, through the day
  before the third anniversary of the decision (the longest penalty publicity, DOMAIN §8.1);
- `credit.repair`: an approved repair stops the publication of the penalty or blacklist entry it
  names from `publicity_stopped_on` (else its decision date) on;
- `credit.license` is not a sanction and is not indexed.

A record's versions share one `credit_key`; the newest version's rows replace the earlier ones, so a
revocation posted as a later version takes the entry out of screening.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gateway.store.repositories.credit import CreditIndexRepository
from schemas.registry import business_key
from signing.canonical import canonicalize

INDEXED_TYPES = frozenset({"credit.blacklist", "credit.penalty", "credit.repair"})
PENALTY_MAX_PUBLICITY_YEARS = 3
# Strongest first: a match is reported with the strongest key that found it.
KEY_KINDS = ("uscc", "org", "person", "name")
MAX_KEY_LENGTH = 500
_KEYED_HASH = re.compile(r"^hmac-sha256:[0-9a-f]{64}$")

PartyKey = tuple[str, str]


def normalize_name(name: str) -> str:
    """NFKC (full-width letters and brackets become ASCII), no whitespace, Latin letters upper-cased."""
    # NFKC can lengthen a name (㈱ → (株)); the cut keeps it within the index column, the same on both sides.
    return "".join(unicodedata.normalize("NFKC", name).split()).upper()[:MAX_KEY_LENGTH]


def party_keys(code_type: str | None, code: str | None, name: str) -> list[PartyKey]:
    """The keys a party can be found under. A USCC also yields its embedded 组织机构代码 (pos 9–17).

    Persons are found by ID number or keyed hash only: a person's name alone names too many people.
    """
    if code_type == "uscc" and code:
        upper = code.upper()
        return [("uscc", upper), ("org", upper[8:17]), ("name", normalize_name(name))]
    if code_type == "org_code" and code:
        return [("org", code.replace("-", "").upper()), ("name", normalize_name(name))]
    if code_type == "id_card" and code:
        return [("person", code.upper())]
    if code and _KEYED_HASH.match(code):
        return [("person", code)]
    return [("name", normalize_name(name))]


def credit_key(record_type: str, jurisdiction: str, payload: Mapping[str, Any]) -> str:
    """One credit record across its versions: type, jurisdiction and business key, as the log keys it."""
    material = canonicalize([record_type, jurisdiction, list(business_key(record_type, payload))])
    return hashlib.sha256(material).hexdigest()[:32]


def index_credit_records(db: Session, envelopes: Sequence[Mapping[str, Any]]) -> int:
    """Index accepted credit envelopes; returns the number of index rows written.

    An envelope older than the version already indexed for its record is skipped (ingest refuses
    stale versions before this point; the check keeps the index right if it is ever rebuilt).
    """
    newest: dict[str, tuple[datetime, list[dict[str, Any]]]] = {}
    for envelope in envelopes:
        record_type = envelope["type"]
        if record_type not in INDEXED_TYPES:
            continue
        payload = envelope["payload"]
        key = credit_key(record_type, envelope["jurisdiction"], payload)
        version = datetime.fromisoformat(payload["data_timestamp"])
        held = newest.get(key)
        if held is None or held[0] <= version:
            newest[key] = (version, _rows(envelope, key, version))
    repo = CreditIndexRepository(db)
    indexed = repo.versions(newest)
    fresh = {
        key: rows for key, (version, rows) in newest.items() if key not in indexed or indexed[key] <= version
    }
    rows = [row for key_rows in fresh.values() for row in key_rows]
    repo.replace_many(list(fresh), rows)
    return len(rows)


def _rows(envelope: Mapping[str, Any], key: str, version: datetime) -> list[dict[str, Any]]:
    record_type, payload = envelope["type"], envelope["payload"]
    party = payload["party"]
    common = {
        "credit_key": key,
        "envelope_id": envelope["id"],
        "record_type": record_type,
        "version_utc": version,
        "party_name": party["name"],
    }
    if record_type == "credit.repair":
        target = f"{payload['target_type']}|{payload['target_reference']}"
        stopped = payload.get("publicity_stopped_on") or payload.get("decision_date")
        return [{
            **common, "key_kind": "repair", "key_value": target,
            "reference": f"credit.repair|{payload['repair_code']}",
            "issuer_code": payload.get("target_authority_code"),
            "effective": payload["result"] == "approved" and stopped is not None,
            "valid_from": _date(stopped), "valid_to": None, "measures": payload.get("reason", ""),
        }]
    if record_type == "credit.blacklist":
        window = {
            "reference": f"credit.blacklist|{payload['blacklist_code']}",
            "issuer_code": payload.get("government_code"),
            "effective": not payload["revoked"],
            "valid_from": _date(payload.get("start_date") or payload["record_date"]),
            "valid_to": _date(payload.get("end_date")),
            "measures": f"{payload.get('list_category', '黑名单')}："
            f"{payload.get('confined_action') or payload['record_reason']}",
        }
    else:
        decided = date.fromisoformat(payload["decision_date"])
        end = payload.get("publicity_end")
        window = {
            "reference": f"credit.penalty|{payload['decision_number']}",
            "issuer_code": payload["authority_code"],
            "effective": True,
            "valid_from": decided,
            "valid_to": date.fromisoformat(end) if end else _longest_publicity_end(decided),
            "measures": f"{payload.get('penalty_category', '行政处罚')}：{payload['content']}",
        }
    keys = dict.fromkeys(party_keys(party["code_type"], party["code"], party["name"]))
    return [{**common, **window, "key_kind": kind, "key_value": value} for kind, value in keys]


def _longest_publicity_end(decided: date) -> date:
    year = decided.year + PENALTY_MAX_PUBLICITY_YEARS
    try:
        anniversary = decided.replace(year=year)
    except ValueError:  # decided on 29 February: the period runs to the end of February
        anniversary = date(year, 3, 1)
    return anniversary - timedelta(days=1)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
