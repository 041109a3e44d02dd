"""Feed, checkpoint and proofs as an auditor sees them, and jurisdiction scoping of reads."""

from __future__ import annotations

import base64

import orjson
from fastapi.testclient import TestClient

from gateway.services.identity import NodeIdentity
from signing.audit import split_feed_line
from signing.merkle import leaf_hash, verify_consistency, verify_inclusion
from signing.note import NoteVerifier, verify_note
from tests.gateway.conftest import award

INGEST = "/api/v1/ingest/standard"


def ingest(client: TestClient, token, items) -> list[dict]:
    resp = client.post(INGEST, json=items, headers=token("source"))
    assert resp.status_code == 201, resp.text
    return resp.json()["results"]


def checkpoint(client: TestClient, token, node: NodeIdentity):
    note = client.get("/api/v1/feed/checkpoint", headers=token("admin")).text
    return verify_note(note, [NoteVerifier(node.origin, node.key.public)]).checkpoint


class TestFeed:
    def test_pages_cover_the_log_in_order_without_gaps(self, client: TestClient, token) -> None:
        ingest(client, token, [award(n) for n in range(25)])
        seen: list[int] = []
        after, size = None, None
        # Each read by an auditor appends its own access.event: a pull stops at the size it started from.
        while size is None or (after if after is not None else -1) + 1 < size:
            params = {"limit": 10} if after is None else {"limit": 10, "after": after}
            resp = client.get("/api/v1/feed", params=params, headers=token("auditor", "530000"))
            assert resp.headers["content-type"].startswith("application/x-ndjson")
            size = size if size is not None else int(resp.headers["X-Log-Size"])
            seen += [split_feed_line(line).index for line in resp.content.splitlines()]
            after = int(resp.headers["X-Next-After"])
        assert seen[:25] == list(range(25))
        assert size == 25

    def test_feed_serves_the_stored_bytes(self, client: TestClient, token) -> None:
        (result,) = ingest(client, token, [award(0)])
        line = client.get("/api/v1/feed", headers=token("admin")).content.splitlines()[0]
        leaf = split_feed_line(line).envelope
        assert leaf == client.get(f"/api/v1/records/{result['id']}", headers=token("admin")).content

    def test_checkpoint_is_signed_and_matches_the_log(
        self, client: TestClient, token, node: NodeIdentity
    ) -> None:
        assert checkpoint(client, token, node).size == 0
        ingest(client, token, [award(n) for n in range(7)])
        cp = checkpoint(client, token, node)
        assert cp.size == 7
        assert cp.origin == "ggzy-gateway/530600"

    def test_inclusion_proofs_verify_against_the_checkpoint(
        self, client: TestClient, token, node: NodeIdentity
    ) -> None:
        ingest(client, token, [award(n) for n in range(11)])
        cp = checkpoint(client, token, node)
        lines = client.get("/api/v1/feed", headers=token("admin")).content.splitlines()
        for index in (0, 5, 10):
            proof = client.get(
                "/api/v1/feed/proof/inclusion",
                params={"index": index, "size": cp.size},
                headers=token("admin"),
            ).json()
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            verify_inclusion(
                leaf_hash(split_feed_line(lines[index]).envelope), index, cp.size, hashes, cp.root
            )

    def test_consistency_proof_links_two_checkpoints(
        self, client: TestClient, token, node: NodeIdentity
    ) -> None:
        ingest(client, token, [award(n) for n in range(3)])
        old = checkpoint(client, token, node)
        ingest(client, token, [award(n) for n in range(3, 9)])
        new = checkpoint(client, token, node)
        proof = client.get(
            "/api/v1/feed/proof/consistency",
            params={"from": old.size, "to": new.size},
            headers=token("admin"),
        ).json()
        verify_consistency(
            old.size, new.size, old.root, new.root, [base64.b64decode(h) for h in proof["hashes"]]
        )

    def test_bad_proof_requests_are_problems(self, client: TestClient, token) -> None:
        ingest(client, token, [award(0)])
        resp = client.get(
            "/api/v1/feed/proof/inclusion", params={"index": 3, "size": 2}, headers=token("admin")
        )
        assert resp.status_code == 422
        assert resp.json()["code"] == "log.bad_proof_request"


class TestJurisdictionScope:
    def test_county_token_sees_only_its_county(self, client: TestClient, token) -> None:
        mine = ingest(client, token, [award(0, jurisdiction="530621")])[0]
        other = ingest(client, token, [award(1, jurisdiction="530602")])[0]
        county = token("auditor", "530621")
        lines = client.get("/api/v1/feed", headers=county).content.splitlines()
        ids = [orjson.loads(split_feed_line(line).envelope)["id"] for line in lines]
        assert ids == [mine["id"]]
        assert client.get(f"/api/v1/records/{mine['id']}", headers=county).status_code == 200
        hidden = client.get(f"/api/v1/records/{other['id']}", headers=county)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "record.not_found"

    def test_city_token_sees_its_counties(self, client: TestClient, token) -> None:
        ingest(
            client,
            token,
            [
                award(0, jurisdiction="530621"),
                award(1, jurisdiction="530602"),
                award(2, jurisdiction="532301"),
            ],
        )
        lines = client.get("/api/v1/feed", headers=token("discipline", "530600")).content.splitlines()
        assert len(lines) == 2

    def test_records_query_outside_the_subtree_is_refused(self, client: TestClient, token) -> None:
        resp = client.get(
            "/api/v1/records", params={"jurisdiction": "532301"}, headers=token("auditor", "530621")
        )
        assert resp.status_code == 404


class TestNode:
    def test_node_and_keys_are_public(self, client: TestClient, node: NodeIdentity) -> None:
        assert client.get("/api/v1/node").json()["id"] == "530600"
        jwks = client.get("/api/v1/node/keys").json()
        assert jwks["keys"][0]["kid"] == node.key.kid

    def test_health_and_metrics(self, client: TestClient, token) -> None:
        assert client.get("/healthz").json()["status"] == "ok"
        ingest(client, token, [award(n) for n in range(4)])
        text = client.get("/metrics").text
        assert 'ggzy_ingest_records_total{status="accepted"} 4.0' in text
        assert "ggzy_log_size 4.0" in text

    def test_unknown_route_is_a_problem(self, client: TestClient) -> None:
        resp = client.get("/api/v1/nothing")
        assert resp.status_code == 404
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["code"] == "route.not_found"

    def test_openapi_and_docs(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        for path in (
            "/api/v1/ingest/standard",
            "/api/v1/feed",
            "/api/v1/feed/checkpoint",
            "/api/v1/feed/proof/inclusion",
            "/api/v1/feed/proof/consistency",
            "/api/v1/records/{envelope_id}",
        ):
            assert path in paths
        assert client.get("/docs").status_code == 200


def access_events(client: TestClient, token) -> list[dict]:
    resp = client.get("/api/v1/feed", params={"type": "access.event"}, headers=token("admin"))
    return [orjson.loads(split_feed_line(line).envelope)["payload"] for line in resp.content.splitlines()]


class TestAccessLog:
    def test_every_auditor_read_is_logged_with_who_what_and_which_token(
        self, client: TestClient, token
    ) -> None:
        (result,) = ingest(client, token, [award(0)])
        auditor = token("auditor", "530600")
        assert client.get("/api/v1/feed", params={"limit": 5}, headers=auditor).status_code == 200
        assert client.get(f"/api/v1/records/{result['id']}", headers=auditor).status_code == 200
        assert client.get("/api/v1/feed/checkpoint", headers=auditor).status_code == 200
        assert (
            client.get(
                "/api/v1/feed/proof/inclusion", params={"index": 0, "size": 1}, headers=auditor
            ).status_code
            == 200
        )
        assert client.get("/api/v1/records", headers=token("discipline", "530600")).status_code == 200
        events = access_events(client, token)
        assert [e["resource"] for e in events] == ["feed", "record", "checkpoint", "proof", "records"]
        assert [e["role"] for e in events] == ["auditor"] * 4 + ["discipline"]
        assert events[0]["feed_range"] == {"limit": 5, "first_index": 0, "last_index": 0}
        assert events[1]["record_ids"] == [result["id"]]
        assert all(e["token_id"] and e["subject"] and e["reader_jurisdiction"] == "530600" for e in events)

    def test_admin_and_source_reads_are_not_access_events(self, client: TestClient, token) -> None:
        ingest(client, token, [award(0)])
        client.get("/api/v1/feed", headers=token("admin"))
        assert access_events(client, token) == []


class TestMasking:
    def complaint(self) -> dict:
        from tests.gateway.conftest import example

        return {"type": "complaint", "jurisdiction": "530621", "payload": example("complaint")}

    def test_feed_masks_personal_data_and_still_verifies(
        self, client: TestClient, token, node: NodeIdentity
    ) -> None:
        ingest(client, token, [self.complaint(), award(0)])
        lines = client.get("/api/v1/feed", headers=token("auditor", "530000")).content.splitlines()[:2]
        masked = split_feed_line(lines[0])
        assert masked.masked is not None
        assert "/payload/complainant" in masked.masked["pointers"]
        envelope = orjson.loads(masked.envelope)
        assert envelope["payload"]["complainant"] == "[masked]"
        raw = client.get(
            "/api/v1/feed", headers=token("auditor", "530000", scopes=["records:read", "pii:read"])
        )
        original = split_feed_line(raw.content.splitlines()[0])
        assert original.masked is None
        assert base64.b64decode(masked.masked["leaf_hash"]) == leaf_hash(original.envelope)

    def test_record_read_masks_without_the_scope(self, client: TestClient, token) -> None:
        (result,) = ingest(client, token, [self.complaint()])
        resp = client.get(f"/api/v1/records/{result['id']}", headers=token("discipline", "530621"))
        assert "/payload/complainant" in resp.headers["X-Masked"]
        assert resp.json()["payload"]["complainant"] == "[masked]"
        full = client.get(
            f"/api/v1/records/{result['id']}",
            headers=token("discipline", "530621", scopes=["records:read", "pii:read"]),
        )
        assert "X-Masked" not in full.headers
        assert full.json()["payload"]["complainant"]["name"]
