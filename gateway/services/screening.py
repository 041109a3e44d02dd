"""Credit screening of the parties of bids, candidate lists, awards and contracts (DOMAIN §8.3, Rule 10).

Every named party — bidder and 联合体 members, each 中标候选人, the 中标人, the contractor, and the
项目负责人 where the record gives an ID hash — is looked up in the credit index (never the log) under
its keys, strongest first: upper-cased USCC, the 组织机构代码 (a USCC's 9-character body, so old-code
entries and USCC parties find each other), then the normalised name. A name-only match is reported
with confidence "name": a reader must confirm it. Only entries in force on the relevant date count:
the bid time, the notice time or the contract date, else the record's DATA_TIMESTAMP.

The screening is recorded on the screened envelope (`screenings`, one row per party); every hit also
becomes a signed `alert` record in the log (gateway/services/credit_alert.py) so feeds carry it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.credit_alert import IngestStandard, raise_credit_alerts
from gateway.services.credit_index import INDEXED_TYPES, KEY_KINDS, PartyKey, index_credit_records, party_keys
from gateway.services.identity import NodeIdentity
from gateway.services.scope import ensure_visible
from gateway.store.models.credit import Screening
from gateway.store.repositories.credit import CreditIndexRepository, IndexedCredit, ScreeningRepository
from gateway.store.repositories.log import LogRepository, NewLeaf
from schemas.errors import NotFoundError

SCREENED_TYPES = frozenset({"tender.bid", "tender.candidate", "tender.award", "contract"})
_HOOKED_TYPES = INDEXED_TYPES | SCREENED_TYPES
CHINA_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class ScreenedParty:
    role: str  # bidder | union_member | project_manager | candidate | win_bidder | contractor
    name: str
    code_type: str | None  # a Party code_type, or keyed_hash for a person's ID hash
    code: str | None

    @property
    def keys(self) -> list[PartyKey]:
        return party_keys(self.code_type, self.code, self.name)


@dataclass(frozen=True, slots=True)
class CreditMatch:
    envelope_id: str
    record_type: str
    match_kind: str  # uscc | org | person | name
    party_name: str
    measures: str
    valid_from: date | None
    valid_to: date | None

    @property
    def confidence(self) -> str:
        return "name" if self.match_kind == "name" else "identifier"

    def as_dict(self) -> dict[str, Any]:
        return {
            "envelope_id": self.envelope_id, "record_type": self.record_type, "match_kind": self.match_kind,
            "confidence": self.confidence, "party_name": self.party_name, "measures": self.measures,
            "valid_from": _iso(self.valid_from), "valid_to": _iso(self.valid_to),
        }


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    envelope_id: str
    record_type: str
    jurisdiction: str
    position: int  # the party's place among the record's named parties
    party: ScreenedParty
    checked_on: date
    matches: tuple[CreditMatch, ...]  # strongest match kind first

    @property
    def result(self) -> str:
        return "hit" if self.matches else "clear"

    @property
    def match_kind(self) -> str | None:
        return self.matches[0].match_kind if self.matches else None

    @property
    def confidence(self) -> str | None:
        return self.matches[0].confidence if self.matches else None


def screen_parties(
    db: Session, *, records: Sequence[Mapping[str, Any]], at: date | None = None
) -> list[ScreeningResult]:
    """Screen the named parties of accepted envelopes; other record types are passed over."""
    plans = [
        (envelope, at or checked_on(envelope["type"], envelope["payload"]),
         named_parties(envelope["type"], envelope["payload"]))
        for envelope in records if envelope["type"] in SCREENED_TYPES
    ]
    wanted = {key for _, _, parties in plans for party in parties for key in party.keys}
    repo = CreditIndexRepository(db)
    by_key: dict[PartyKey, list[IndexedCredit]] = defaultdict(list)
    for entry in repo.list_by_keys(wanted) if wanted else ():
        by_key[(entry.key_kind, entry.key_value)].append(entry)
    references = {entry.reference for entries in by_key.values() for entry in entries}
    stops: dict[str, list[IndexedCredit]] = defaultdict(list)
    for stop in repo.list_by_keys(("repair", ref) for ref in references) if references else ():
        stops[stop.key_value].append(stop)
    results = []
    for envelope, day, parties in plans:
        for position, party in enumerate(parties):
            matches = _matches(party, day, by_key, stops)
            results.append(ScreeningResult(envelope["id"], envelope["type"], envelope["jurisdiction"],
                                           position, party, day, matches))
    return results


def record_screenings(
    db: Session, *, results: Sequence[ScreeningResult], now: datetime, replace: bool = True
) -> None:
    """Store the results as the screening of their envelopes, replacing an earlier one unless
    `replace` is false (envelopes accepted in this transaction have none)."""
    rows = [_row(result, now) for result in results]
    repo = ScreeningRepository(db)
    if replace:
        repo.replace_many([result.envelope_id for result in results], rows)
    else:
        repo.add_many(rows)


def after_append(
    db: Session, *, leaves: Sequence[NewLeaf], node: NodeIdentity, now: datetime, ingest: IngestStandard,
    envelopes: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """The ingest hook: index accepted credit records, then screen accepted screenable records.

    Credit records come first, so a batch's own blacklist entries apply to its bids. Alerts go
    through `ingest` (the standard ingest path) and are not screened themselves. `envelopes`, by
    envelope id, are the leaves' envelopes as the caller already holds them (else the leaves are read).
    """
    wanted = [leaf for leaf in leaves if leaf.record_type in _HOOKED_TYPES]
    if not wanted:
        return
    held = envelopes or {}
    parsed = [held.get(leaf.envelope_id) or orjson.loads(leaf.leaf) for leaf in wanted]
    index_credit_records(db, [envelope for envelope in parsed if envelope["type"] in INDEXED_TYPES])
    screened = [envelope for envelope in parsed if envelope["type"] in SCREENED_TYPES]
    if screened:
        results = screen_parties(db, records=screened)
        record_screenings(db, results=results, now=now, replace=False)
        alerted = raise_credit_alerts(db, results=results, node=node, now=now, ingest=ingest)
        repo = ScreeningRepository(db)
        for (envelope_id, position), alert_envelope_id in alerted.items():
            repo.mark_alerted(envelope_id, position, alert_envelope_id)


@dataclass(frozen=True, slots=True)
class RecordScreening:
    envelope_id: str
    record_type: str
    jurisdiction: str
    screened: bool
    result: str | None  # hit | clear; None when the record was not screened
    parties: list[Screening]


def read_screening(db: Session, *, envelope_id: str, principal: Principal) -> RecordScreening:
    """The screening recorded on an envelope, for a caller allowed to read that envelope."""
    stored = LogRepository(db).get_by_envelope_id(envelope_id)
    if stored is None:
        raise NotFoundError(f"record {envelope_id} not found")
    ensure_visible(principal, stored.jurisdiction, f"record {envelope_id}")
    rows = ScreeningRepository(db).list_by_envelope_id(envelope_id)
    result = None if not rows else ("hit" if any(row.result == "hit" for row in rows) else "clear")
    return RecordScreening(envelope_id, stored.record_type, stored.jurisdiction, bool(rows), result, rows)


def named_parties(record_type: str, payload: Mapping[str, Any]) -> list[ScreenedParty]:
    if record_type == "tender.bid":
        parties = [_party("bidder", payload["bidder"])]
        parties += [_party("union_member", member) for member in payload.get("union_members", ())]
        if "bid_manager_id" in payload:
            name = payload.get("bid_manager", "项目负责人")
            parties.append(ScreenedParty("project_manager", name, "keyed_hash", payload["bid_manager_id"]))
        return parties
    if record_type == "tender.candidate":
        return [_party("candidate", entry["candidate"]) for entry in payload["candidates"]]
    if record_type == "tender.award":
        return [_party("win_bidder", payload["win_bidder"])]
    if record_type == "contract":
        return [_party("contractor", payload["contractor"])]
    return []


def checked_on(record_type: str, payload: Mapping[str, Any]) -> date:
    """The date whose credit standing counts: bid time, notice time, contract date, else the version."""
    if record_type == "contract":
        return date.fromisoformat(payload["sign_date"])
    if record_type == "tender.bid":
        stamp = payload.get("bid_file", {}).get("submit_time") or payload.get("checkin_time")
    else:
        stamp = payload.get("notice_send_time")
    return datetime.fromisoformat(stamp or payload["data_timestamp"]).astimezone(CHINA_TZ).date()


def _party(role: str, party: Mapping[str, Any]) -> ScreenedParty:
    return ScreenedParty(role, party["name"], party["code_type"], party["code"])


def _matches(
    party: ScreenedParty, day: date, by_key: Mapping[PartyKey, Sequence[IndexedCredit]],
    stops: Mapping[str, Sequence[IndexedCredit]],
) -> tuple[CreditMatch, ...]:
    best: dict[str, tuple[int, IndexedCredit]] = {}
    for key in party.keys:
        strength = KEY_KINDS.index(key[0])
        for entry in by_key.get(key, ()):
            held = best.get(entry.credit_key)
            if (held is None or strength < held[0]) and _in_force(entry, day, stops.get(entry.reference, ())):
                best[entry.credit_key] = (strength, entry)
    ranked = sorted(best.values(), key=lambda pair: (pair[0], pair[1].envelope_id))
    return tuple(
        CreditMatch(entry.envelope_id, entry.record_type, KEY_KINDS[strength], entry.party_name,
                    entry.measures, entry.valid_from, entry.valid_to)
        for strength, entry in ranked
    )


def _in_force(entry: IndexedCredit, day: date, stops: Iterable[IndexedCredit]) -> bool:
    if (entry.valid_from and day < entry.valid_from) or (entry.valid_to and day > entry.valid_to):
        return False
    # A decision number is unique only within its authority: a repair naming another authority is
    # about another entry.
    return not any(
        stop.valid_from is not None and stop.valid_from <= day
        and (stop.issuer_code is None or entry.issuer_code is None or stop.issuer_code == entry.issuer_code)
        for stop in stops
    )


def _row(result: ScreeningResult, screened_at: datetime) -> dict[str, Any]:
    party = result.party
    return {
        "envelope_id": result.envelope_id, "position": result.position, "record_type": result.record_type,
        "jurisdiction": result.jurisdiction, "party_role": party.role, "party_name": party.name,
        "party_code_type": party.code_type,
        # An ID number stays in its record: the screening names the person by role and name only.
        "party_code": None if party.code_type == "id_card" else party.code,
        "checked_on": result.checked_on, "result": result.result, "match_kind": result.match_kind,
        "confidence": result.confidence, "matched_envelope_ids": [m.envelope_id for m in result.matches],
        "matches": [m.as_dict() for m in result.matches], "screened_at": screened_at,
        "alert_envelope_id": None,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
