"""POST /api/v1/ingest/standard: accepted, duplicate, new version, stale, conflict, and bad input."""

from __future__ import annotations

import json

import orjson
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.store.repositories.quarantine import QuarantineRepository
from tests.gateway.conftest import award, example

URL = "/api/v1/ingest/standard"
PROBLEM = "application/problem+json"


def open_quarantine(db: Session) -> list:
    return QuarantineRepository(db).list_open(limit=1000)


class TestIngestAccepts:
    def test_single_record_is_signed_logged_and_readable(self, client: TestClient, token) -> None:
        resp = client.post(URL, json=award(), headers=token("source"))
        assert resp.status_code == 201, resp.text
        (result,) = resp.json()["results"]
        assert result["status"] == "accepted"
        assert result["index"] == 0
        record = client.get(f"/api/v1/records/{result['id']}", headers=token("admin"))
        assert record.status_code == 200
        envelope = record.json()
        assert envelope["type"] == "tender.award"
        assert envelope["schema"] == "tender.award/1"
        assert envelope["origin"] == "530600"
        assert envelope["sig"]["alg"] == "EdDSA"

    def test_every_example_type_is_accepted(self, client: TestClient, token) -> None:
        from schemas.registry import RECORD_TYPES

        items = [{"type": t, "jurisdiction": "530621", "payload": example(t)} for t in sorted(RECORD_TYPES)]
        resp = client.post(URL, json=items, headers=token("source"))
        assert resp.status_code == 201, resp.text
        statuses = {r["status"] for r in resp.json()["results"]}
        assert statuses == {"accepted"}
        assert resp.json()["counts"] == {"accepted": len(RECORD_TYPES)}

    def test_reingest_is_a_duplicate_and_creates_nothing(self, client: TestClient, token) -> None:
        first = client.post(URL, json=[award(0), award(1)], headers=token("source")).json()["results"]
        again = client.post(URL, json=[award(0), award(1)], headers=token("source"))
        assert again.status_code == 200
        assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
        assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in first]
        assert client.get("/api/v1/feed", headers=token("admin")).headers["X-Log-Size"] == "2"

    def test_same_record_twice_in_one_batch_is_logged_once(self, client: TestClient, token) -> None:
        resp = client.post(URL, json=[award(0), award(0)], headers=token("source"))
        assert [r["status"] for r in resp.json()["results"]] == ["accepted", "duplicate"]

    def test_two_versions_in_one_batch_the_later_is_a_new_version(self, client: TestClient, token) -> None:
        later = award(0, version="2024-11-23T10:00:00+08:00")
        resp = client.post(URL, json=[award(0), later], headers=token("source"))
        first, second = resp.json()["results"]
        assert (first["status"], first.get("new_version")) == ("accepted", None)
        assert (second["status"], second.get("new_version")) == ("accepted", True)

    def test_later_version_is_a_new_envelope_and_older_is_stale(
        self, client: TestClient, token, db: Session
    ) -> None:
        v1 = client.post(URL, json=award(0), headers=token("source")).json()["results"][0]
        assert "new_version" not in v1
        v2 = client.post(URL, json=award(0, version="2024-11-23T10:00:00+08:00"), headers=token("source"))
        assert v2.status_code == 201
        assert v2.json()["results"][0]["id"] != v1["id"]
        assert v2.json()["results"][0]["status"] == "accepted"
        assert v2.json()["results"][0]["new_version"] is True
        assert v2.json()["counts"] == {"accepted": 1}
        old = client.post(URL, json=award(0, version="2024-11-21T10:00:00+08:00"), headers=token("source"))
        assert old.status_code == 409
        assert old.headers["content-type"] == PROBLEM
        assert old.json()["code"] == "record.stale"
        assert old.json()["results"][0]["quarantine_id"]
        assert [q.reasons[0]["code"] for q in open_quarantine(db)] == ["record.stale"]

    def test_same_id_with_other_content_is_a_conflict(self, client: TestClient, token, db: Session) -> None:
        client.post(URL, json=award(0), headers=token("source"))
        changed = award(0)
        changed["payload"]["notice_name"] = "篡改后的公告名称"
        resp = client.post(URL, json=changed, headers=token("source"))
        assert resp.status_code == 409
        assert resp.json()["code"] == "record.conflict"
        assert open_quarantine(db)[0].reasons[0]["code"] == "record.conflict"


class TestIngestRefusesBadInput:
    def assert_problem(self, resp, status: int, code: str) -> dict:
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"] == PROBLEM
        body = resp.json()
        assert body["code"] == code
        assert body["status"] == status
        assert {"type", "title", "detail", "request_id"} <= set(body)
        return body

    def test_non_json_body_is_refused_and_kept(self, client: TestClient, token, db: Session) -> None:
        resp = client.post(URL, content=b"<xml>not json</xml>", headers=token("source"))
        self.assert_problem(resp, 400, "request.malformed_json")
        (kept,) = open_quarantine(db)
        assert kept.raw == b"<xml>not json</xml>"
        assert kept.reasons[0]["code"] == "request.malformed_json"

    def test_schema_violation_names_the_field_and_is_kept(
        self, client: TestClient, token, db: Session
    ) -> None:
        bad = award()
        del bad["payload"]["tender_project_code"]
        body = self.assert_problem(client.post(URL, json=bad, headers=token("source")), 422, "record.invalid")
        assert any(
            "tender_project_code" in e["message"] or "tender_project_code" in e["pointer"]
            for e in body["errors"]
        )
        (kept,) = open_quarantine(db)
        assert json.loads(kept.raw)["payload"]["notice_name"] == bad["payload"]["notice_name"]

    def test_invalid_uscc_check_digit_is_refused(self, client: TestClient, token, db: Session) -> None:
        bad = award()
        code = bad["payload"]["win_bidder"]["code"]
        bad["payload"]["win_bidder"]["code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
        body = self.assert_problem(client.post(URL, json=bad, headers=token("source")), 422, "record.invalid")
        assert any(
            e["pointer"].startswith("/payload/win_bidder") or "uscc" in e["code"] for e in body["errors"]
        )
        assert len(open_quarantine(db)) == 1

    def test_unknown_record_type(self, client: TestClient, token, db: Session) -> None:
        item = {"type": "tender.unknown", "jurisdiction": "530621", "payload": {}}
        self.assert_problem(client.post(URL, json=item, headers=token("source")), 422, "record.unknown_type")
        assert open_quarantine(db)[0].record_type == "tender.unknown"

    def test_invalid_jurisdiction(self, client: TestClient, token) -> None:
        self.assert_problem(
            client.post(URL, json=award(jurisdiction="53062X"), headers=token("source")),
            422,
            "record.invalid",
        )

    def test_oversized_body_is_refused_with_its_prefix_kept(
        self, client: TestClient, token, db: Session
    ) -> None:
        big = orjson.dumps([award(n) for n in range(3000)])
        assert len(big) > 2 * 1024 * 1024
        self.assert_problem(client.post(URL, content=big, headers=token("source")), 413, "request.too_large")
        (kept,) = open_quarantine(db)
        assert kept.raw_size == len(big)
        assert 0 < len(kept.raw) <= 1024 * 1024

    def test_mixed_batch_keeps_the_good_and_quarantines_the_bad(
        self, client: TestClient, token, db: Session
    ) -> None:
        bad = award(1)
        bad["payload"]["data_timestamp"] = "2024-11-22 10:00:00"
        resp = client.post(URL, json=[award(0), bad, "not an object"], headers=token("source"))
        assert resp.status_code == 201
        assert [r["status"] for r in resp.json()["results"]] == ["accepted", "quarantined", "quarantined"]
        assert len(open_quarantine(db)) == 2

    def test_auditor_cannot_ingest(self, client: TestClient, token) -> None:
        self.assert_problem(client.post(URL, json=award(), headers=token("auditor")), 403, "auth.forbidden")

    def test_no_token(self, client: TestClient) -> None:
        self.assert_problem(client.post(URL, json=award()), 401, "auth.missing_token")
