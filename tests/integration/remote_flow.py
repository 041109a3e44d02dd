"""A remote off-site evaluation driven across a loopback federation, for the end-to-end tests.

Topology: the province 530000 (云南省) is the root; the host city 530600 (昭通市) and the guest cities
530300 (曲靖市) and 530100 (昆明市) are its children, each a branch of its own. Each department acts at
its own node with a token of its own jurisdiction, as it would in production; the checks read what
each node serves (the API, its feed) and, for the exchange's delivery rows and signed receipts, the
node's own database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from gateway.demo.launcher import LocalFederation, NodeSpec, wait_for
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.repositories.exchange import ExchangeRepository
from schemas.deadlines import CHINA_TZ
from signing.receipt import verify_receipt

PROVINCE, HOST, QUJING, KUNMING = "530000", "530600", "530300", "530100"
TOPOLOGY = [NodeSpec(PROVINCE, "云南省"), NodeSpec(HOST, "昭通市", PROVINCE),
            NodeSpec(QUJING, "曲靖市", PROVINCE), NodeSpec(KUNMING, "昆明市", PROVINCE)]
TICK_ENV = {"GATEWAY_WORKFLOW__TICK_INTERVAL": "PT1S"}
ARRIVAL = 30.0  # seconds a record or a tick's effect may take on a busy two-core machine
EVENTS = "/api/v1/remote-evaluations/{}/events"


def expert(n: int) -> str:
    """An expert as the wire knows one: a keyed hash, never the ID number."""
    return "hmac-sha256:" + hashlib.sha256(f"e2e-expert-{n}".encode()).hexdigest()


def department(region: str, name: str) -> dict[str, Any]:
    return {"name": name, "code": f"11{region}MB0000000X", "region_code": region, "industry": "住建"}


DEPARTMENTS = {HOST: department(HOST, "昭通市住房和城乡建设局"),
               QUJING: department(QUJING, "曲靖市住房和城乡建设局"),
               KUNMING: department(KUNMING, "昆明市住房和城乡建设局")}
VENUES = {HOST: "ZT-01", QUJING: "QJ-03", KUNMING: "KM-11"}
# Seats: two experts in the host venue, two in each guest venue.
SEATED = {HOST: (1, 2), QUJING: (3, 4), KUNMING: (5, 6)}


def venue(region: str) -> dict[str, Any]:
    dept = DEPARTMENTS[region]
    return {"venue_code": VENUES[region], "name": f"{dept['name']}远程异地评标室", "region_code": region,
            "supervisory_department": dept}


def session_payload(session_id: str, scheduled_start: datetime) -> dict[str, Any]:
    seats: list[dict[str, Any]] = [
        {"expert_id": expert(n), "venue_code": VENUES[region], "seat_no": f"{VENUES[region]}-{n:02d}"}
        for region, numbers in SEATED.items() for n in numbers]
    seats[0]["is_chairman"] = True
    return {"session_id": session_id, "tender_project_code": "A015306022611050001001",
            "bid_section_codes": ["A015306022611050001001001"], "host": venue(HOST),
            "guests": [venue(QUJING), venue(KUNMING)], "seats": seats,
            "scheduled_start": scheduled_start.astimezone(CHINA_TZ).isoformat(), "status": "planned"}


def event(kind: str, occurred_at: datetime, region: str = HOST, **fields: Any) -> dict[str, Any]:
    dept = DEPARTMENTS[region]
    actor = {"name": dept["name"], "department_code": dept["code"], "region_code": region}
    return {"kind": kind, "occurred_at": occurred_at.astimezone(CHINA_TZ).isoformat(), "actor": actor,
            **fields}


def copy_event(investigation_id: str, to_region: str, occurred_at: datetime) -> dict[str, Any]:
    title = f"{investigation_id} 调查结论.pdf"
    document = {"digest": "sha256:" + hashlib.sha256(title.encode()).hexdigest(), "title": title}
    return event("copy", occurred_at, investigation_id=investigation_id, from_department=DEPARTMENTS[HOST],
                 to_department=DEPARTMENTS[to_region], documents=[document])


def now_china() -> datetime:
    return datetime.now(CHINA_TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class RemoteFlow:
    """The departments, auditors and operators of the federation, each acting at its own node."""

    fed: LocalFederation
    _headers: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    # callers -------------------------------------------------------------------------------------------

    def dept(self, region: str) -> dict[str, str]:
        """The supervisory department of `region`, at the node of `region`."""
        return self._cached(region, "department", region)

    def auditor(self, node_id: str, jurisdiction: str) -> dict[str, str]:
        return self._cached(node_id, "auditor", jurisdiction, "records:read")

    def _cached(self, node_id: str, role: str, jurisdiction: str, *scopes: str) -> dict[str, str]:
        key = (node_id, role, jurisdiction)
        if key not in self._headers:
            self._headers[key] = self.fed[node_id].headers(role, *scopes, jurisdiction=jurisdiction)
        return self._headers[key]

    # remote evaluation API -----------------------------------------------------------------------------

    def register(self, payload: dict[str, Any]) -> str:
        resp = self.fed[HOST].post("/api/v1/remote-evaluations", payload, headers=self.dept(HOST))
        assert resp.status_code == 201, resp.text
        envelope_id: str = resp.json()["envelope_id"]
        return envelope_id

    def record(self, region: str, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`region`'s department records an event at its own node."""
        resp = self.fed[region].post(EVENTS.format(session_id), {"event": body}, headers=self.dept(region))
        assert resp.status_code == 201, resp.text
        result: dict[str, Any] = resp.json()
        return result

    def view(self, region: str, session_id: str) -> httpx.Response:
        return self.fed[region].get(f"/api/v1/remote-evaluations/{session_id}", headers=self.dept(region))

    def holds(self, region: str, session_id: str) -> bool:
        return self.view(region, session_id).status_code == 200

    def event_kinds(self, region: str, session_id: str) -> list[str]:
        resp = self.view(region, session_id)
        return [e["kind"] for e in resp.json()["events"]] if resp.status_code == 200 else []

    def obligations(self, status: str, node_id: str = HOST) -> list[dict[str, Any]]:
        resp = self.fed[node_id].get("/api/v1/obligations", headers=self.dept(node_id), status=status)
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    def obligation(self, status: str, obligation_id: str) -> dict[str, Any] | None:
        return next((o for o in self.obligations(status) if o["obligation_id"] == obligation_id), None)

    def wait_obligation(self, status: str, obligation_id: str, what: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def listed() -> bool:
            item = self.obligation(status, obligation_id)
            found[:] = [item] if item is not None else []
            return bool(found)

        wait_for(listed, timeout=ARRIVAL, what=what, interval=0.3,
                 on_fail=lambda: f"held: {self.obligations('due') + self.obligations('overdue')}")
        return found[0]

    # logs and feeds ------------------------------------------------------------------------------------

    def envelopes(self, node_id: str, record_type: str, headers: dict[str, str] | None = None
                  ) -> list[dict[str, Any]]:
        """The node's log through its feed, the envelopes of one type (an admin reader by default)."""
        resp = self.fed[node_id].get("/api/v1/feed", headers=headers, type=record_type, limit=50_000)
        assert resp.status_code == 200, resp.text
        return [orjson.loads(line)["envelope"] for line in resp.content.splitlines() if line.strip()]

    def copies_held(self, node_id: str, session_id: str) -> list[dict[str, Any]]:
        return [env for env in self.envelopes(node_id, "remote_evaluation.event")
                if env["payload"]["session_id"] == session_id and env["payload"]["kind"] == "copy"]

    def holds_envelope(self, node_id: str, envelope_id: str) -> bool:
        return self.fed[node_id].get(f"/api/v1/records/{envelope_id}").status_code == 200

    # the exchange's own rows ---------------------------------------------------------------------------

    @contextmanager
    def _database(self, node_id: str) -> Iterator[ExchangeRepository]:
        engine = make_engine(self.fed[node_id].db_url)
        try:
            with make_session_factory(engine)() as db:
                yield ExchangeRepository(db)
        finally:
            engine.dispose()

    def deliveries(self, node_id: str, envelope_id: str) -> dict[str, tuple[str, bytes | None]]:
        """target node → (status, stored receipt bytes) of `node_id`'s deliveries of the envelope."""
        with self._database(node_id) as exchange:
            rows = [row for target in self.fed.nodes
                    if (row := exchange.get_by_envelope(envelope_id, target)) is not None]
            return {row.target_node: (row.status, row.receipt) for row in rows}

    def verified_receipt(self, node_id: str, envelope_id: str, receiver: str) -> dict[str, Any]:
        """`node_id`'s stored receipt of the envelope from `receiver`, verified with the receiver's key
        from the federation directory."""
        status, receipt = self.deliveries(node_id, envelope_id).get(receiver, ("absent", None))
        assert receipt is not None, f"no receipt of {envelope_id} from {receiver} at {node_id} ({status})"
        keys = self.fed.directory().node_keyring(receiver, datetime.now(UTC))
        fields = verify_receipt(receipt, keys)
        assert (fields["receiver"], fields["envelope_id"]) == (receiver, envelope_id)
        return fields

