"""Quarantine operations: list, show, reprocess with the current adapter, resolution by re-submission."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.services.source_ingest import StandardRecordsAdapter
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.quarantine import QuarantineRepository
from gateway.store.repositories.source import SourceRawRepository
from tests.gateway.conftest import award
from tests.gateway.test_source_ingest import V2, V3, FakeAdapter, lines, log_size, use_registry

URL = "/api/v1/quarantine"
FAKE = "/api/v1/ingest/fake-source"
STANDARD = "/api/v1/ingest/standard"


def post(client: TestClient, token: Any, data: bytes, *, filename: str = "f.csv") -> Any:
    return client.post(FAKE, params={"filename": filename}, content=data, headers=token("source"))


def refused_ids(body: dict[str, Any]) -> list[str]:
    ids = [r["quarantine_id"] for r in body.get("results", []) if "quarantine_id" in r]
    return ids + ([body["refusal"]["quarantine_id"]] if "refusal" in body else [])


def reprocess(client: TestClient, token: Any, item_id: str) -> Any:
    return client.post(f"{URL}/{item_id}/reprocess", headers=token("admin"))


@pytest.fixture
def v1(app: Any) -> None:
    use_registry(app, fake=FakeAdapter("1"), standard=StandardRecordsAdapter())


class TestQuarantineApi:
    def test_listing_needs_the_admin_scope(self, client: TestClient, token: Any, v1: None) -> None:
        resp = client.get(URL, headers=token("source"))
        assert resp.status_code == 403
        assert resp.json()["code"] == "auth.forbidden"
        assert client.get(URL).json()["code"] == "auth.missing_token"

    def test_the_list_filters_and_holds_no_raw_bytes(self, client: TestClient, token: Any, v1: None) -> None:
        post(client, token, lines(f"1,{V2},X", "!ragged"))
        client.post(STANDARD, json={"type": "tender.award", "jurisdiction": "530621", "payload": {}},
                    headers=token("source"))
        items = client.get(URL, headers=token("admin")).json()["items"]
        assert len(items) == 3
        assert all("raw_base64" not in item and "raw" not in item for item in items)
        fake = client.get(URL, params={"adapter": "fake-source"}, headers=token("admin")).json()["items"]
        assert sorted((i["ref"], i["reasons"][0]["code"]) for i in fake) == [
            ("f.csv:line 1", "fake.bad_flag"), ("f.csv:line 2", "csv.ragged_row")]
        exact = client.get(URL, params={"adapter": "standard@1"}, headers=token("admin")).json()["items"]
        assert [i["adapter"] for i in exact] == ["standard@1"]
        assert client.get(URL, params={"source": "nobody"}, headers=token("admin")).json()["items"] == []
        assert client.get(URL, params={"status": "resolved"}, headers=token("admin")).json()["items"] == []
        page = client.get(URL, params={"limit": 2}, headers=token("admin")).json()
        assert (len(page["items"]), page["next_offset"]) == (2, 2)

    def test_show_gives_reasons_origin_and_the_raw_bytes(
        self, client: TestClient, token: Any, v1: None,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"0,{V2}", f"1,{V2},X")).json())
        item = client.get(f"{URL}/{qid}", headers=token("admin")).json()
        assert base64.b64decode(item["raw_base64"]) == f"1,{V2},X".encode()
        assert item["raw_complete"] is True
        assert (item["ref"], item["filename"], item["scope"]) == ("f.csv:line 2", "f.csv", "item")
        assert item["attempts"] == 0
        assert item["reasons"][0]["code"] == "fake.bad_flag"
        assert item["item"] == {"dataset": "FAKE", "row": {"cells": ["1", V2, "X"]}}

    def test_an_unknown_item_is_404(self, client: TestClient, token: Any, v1: None) -> None:
        for resp in (client.get(f"{URL}/nope", headers=token("admin")), reprocess(client, token, "nope")):
            assert resp.status_code == 404
            assert resp.json()["code"] == "quarantine.not_found"


class TestReprocess:
    def test_an_adapter_fix_resolves_the_item(
        self, app: Any, client: TestClient, token: Any, v1: None, db: Session,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"0,{V2}", f"1,{V2},X")).json())
        use_registry(app, fake=FakeAdapter("2"))
        resp = reprocess(client, token, qid)
        assert resp.status_code == 200
        body = resp.json()
        assert (body["status"], body["adapter"], body["attempts"]) == ("resolved", "fake-source@2", 1)
        (result,) = body["results"]
        assert result["status"] == "accepted"
        assert body["envelope_id"] == result["id"]
        envelope = client.get(f"/api/v1/records/{result['id']}", headers=token("admin")).json()
        assert envelope["source"]["adapter"] == "fake-source@2"
        assert envelope["source"]["ref"] == "f.csv:line 2"
        db.rollback()
        stored = SourceRawRepository(db).get_by_envelope_id(result["id"])
        assert stored is not None
        assert stored[1] == f"1,{V2},X".encode()
        item = client.get(f"{URL}/{qid}", headers=token("admin")).json()
        assert (item["status"], item["resolved_envelope_id"], item["last_adapter"]) == (
            "resolved", result["id"], "fake-source@2")
        again = reprocess(client, token, qid)
        assert again.status_code == 409
        assert again.json()["code"] == "quarantine.not_open"

    def test_an_item_still_refused_stays_open_counting_attempts(
        self, client: TestClient, token: Any, v1: None, db: Session,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"1,{V2},X")).json())
        for attempt in (1, 2):
            body = reprocess(client, token, qid).json()
            assert (body["status"], body["attempts"]) == ("open", attempt)
            assert body["reasons"][0]["code"] == "fake.bad_flag"
        item = client.get(f"{URL}/{qid}", headers=token("admin")).json()
        assert (item["status"], item["attempts"], item["last_adapter"]) == ("open", 2, "fake-source@1")
        assert log_size(db) == 0

    def test_an_upload_refused_whole_is_read_again_row_by_row(
        self, app: Any, client: TestClient, token: Any, v1: None,
    ) -> None:
        body = post(client, token, b"BROKEN\n" + lines(f"0,{V2}", f"1,{V2}", "!ragged")).json()
        (qid,) = refused_ids(body)
        use_registry(app, fake=FakeAdapter("2"))
        fixed = reprocess(client, token, qid).json()
        assert fixed["status"] == "resolved"
        assert [r["status"] for r in fixed["results"]] == ["accepted", "accepted", "quarantined"]
        assert fixed["envelope_id"] == fixed["results"][0]["id"]
        open_items = client.get(URL, headers=token("admin")).json()["items"]
        assert [i["reasons"][0]["code"] for i in open_items] == ["csv.ragged_row"]

    def test_an_item_inside_a_whole_upload_is_found_by_its_ref(
        self, app: Any, client: TestClient, token: Any, db: Session,
    ) -> None:
        use_registry(app, fake=FakeAdapter("1", whole=True))
        body = post(client, token, lines(f"0,{V2}", f"1,{V2},X", f"2,{V2},X")).json()
        first, second = refused_ids(body)
        use_registry(app, fake=FakeAdapter("2", whole=True))
        fixed = reprocess(client, token, second).json()
        assert [(r["ref"], r["status"]) for r in fixed["results"]] == [("f.csv:line 3", "accepted")]
        assert client.get(f"{URL}/{first}", headers=token("admin")).json()["status"] == "open"
        assert log_size(db) == 2

    def test_bytes_that_cannot_be_split_alone_use_the_parsed_item(
        self, app: Any, client: TestClient, token: Any,
    ) -> None:
        use_registry(app, fake=FakeAdapter("1", header=True))
        body = post(client, token, lines("n,version,flag", f"0,{V2}", f"1,{V2},X")).json()
        (qid,) = refused_ids(body)
        use_registry(app, fake=FakeAdapter("2", header=True))
        fixed = reprocess(client, token, qid).json()
        assert fixed["status"] == "resolved"
        assert fixed["results"][0]["status"] == "accepted"

    def test_a_version_older_than_the_one_held_meanwhile_stays_open(
        self, app: Any, client: TestClient, token: Any, v1: None, db: Session,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"1,{V2},X")).json())
        post(client, token, lines(f"1,{V3}"))  # a later version of the same record arrives meanwhile
        use_registry(app, fake=FakeAdapter("2"))
        body = reprocess(client, token, qid).json()
        assert (body["status"], body["reasons"][0]["code"]) == ("open", "record.stale")
        assert log_size(db) == 1
        db.rollback()
        assert len(QuarantineRepository(db).list_open()) == 1  # nothing new filed by the attempt

    def test_an_item_kept_only_in_part_cannot_be_reprocessed(
        self, client: TestClient, token: Any, v1: None,
    ) -> None:
        big = lines(*(f"{n},{V2}" for n in range(80_000)))
        assert post(client, token, big).status_code == 413
        (item,) = client.get(URL, headers=token("admin")).json()["items"]
        resp = reprocess(client, token, item["id"])
        assert resp.status_code == 409
        assert resp.json()["code"] == "quarantine.raw_incomplete"

    def test_an_item_of_a_source_without_adapter_cannot_be_reprocessed(
        self, app: Any, client: TestClient, token: Any, v1: None,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"1,{V2},X")).json())
        use_registry(app, standard=StandardRecordsAdapter())
        resp = reprocess(client, token, qid)
        assert resp.status_code == 409
        assert resp.json()["code"] == "quarantine.no_adapter"

    def test_reprocessing_needs_the_admin_scope(self, client: TestClient, token: Any, v1: None) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"1,{V2},X")).json())
        resp = client.post(f"{URL}/{qid}/reprocess", headers=token("source"))
        assert resp.status_code == 403
        assert resp.json()["code"] == "auth.forbidden"

    def test_a_standard_record_and_an_unreadable_body_are_read_again(
        self, client: TestClient, token: Any, v1: None,
    ) -> None:
        bad = award(0)
        bad["payload"]["data_timestamp"] = "2024-11-22 10:00:00"
        record = client.post(STANDARD, json=bad, headers=token("source")).json()["results"][0]
        body = client.post(STANDARD, content=b"[{not json", headers=token("source")).json()
        assert body["code"] == "request.malformed_json"
        first = reprocess(client, token, record["quarantine_id"]).json()
        assert (first["status"], first["adapter"], first["attempts"]) == ("open", "standard@1", 1)
        assert first["reasons"][0]["pointer"] == "/data_timestamp"
        items = client.get(URL, headers=token("admin")).json()["items"]
        (unreadable,) = [i for i in items if i["scope"] == "upload"]
        second = reprocess(client, token, unreadable["id"]).json()
        assert (second["status"], second["attempts"]) == ("open", 1)
        assert second["reasons"][0]["code"] == "json.malformed"


class TestResubmission:
    def invalid_award(self) -> dict[str, Any]:
        bad = award(0)
        bad["payload"]["data_timestamp"] = "2024-11-22 10:00:00"  # no offset: refused, key still readable
        return bad

    def test_a_fixed_record_resolves_its_open_item(self, client: TestClient, token: Any, v1: None) -> None:
        qid = client.post(STANDARD, json=self.invalid_award(), headers=token("source")).json()["results"][0][
            "quarantine_id"]
        accepted = client.post(STANDARD, json=award(0), headers=token("source")).json()["results"][0]
        item = client.get(f"{URL}/{qid}", headers=token("admin")).json()
        assert (item["status"], item["resolved_envelope_id"]) == ("resolved", accepted["id"])

    def test_another_source_does_not_resolve_it(
        self, client: TestClient, token: Any, node: Any, v1: None,
    ) -> None:
        qid = client.post(STANDARD, json=self.invalid_award(), headers=token("source")).json()["results"][0][
            "quarantine_id"]
        client.post(STANDARD, json=award(0), headers=token("admin"))  # subject admin-test: another sender
        assert client.get(f"{URL}/{qid}", headers=token("admin")).json()["status"] == "open"

    def test_a_later_version_resolves_a_stale_refusal(self, client: TestClient, token: Any, v1: None) -> None:
        client.post(STANDARD, json=award(0, version=V3), headers=token("source"))
        stale = client.post(STANDARD, json=award(0, version=V2), headers=token("source")).json()
        qid = stale["results"][0]["quarantine_id"]
        newest = award(0, version="2024-11-24T10:00:00+08:00")
        taken = client.post(STANDARD, json=newest, headers=token("source")).json()["results"][0]
        item = client.get(f"{URL}/{qid}", headers=token("admin")).json()
        assert (item["status"], item["resolved_envelope_id"]) == ("resolved", taken["id"])

    def test_an_item_the_adapter_refused_has_no_key_and_stays_open(
        self, client: TestClient, token: Any, v1: None,
    ) -> None:
        (qid,) = refused_ids(post(client, token, lines(f"1,{V2},X")).json())
        assert post(client, token, lines(f"1,{V2}")).status_code == 201
        assert client.get(f"{URL}/{qid}", headers=token("admin")).json()["status"] == "open"


class TestQuarantineDedup:
    def test_the_same_bad_record_sent_twice_is_one_item(
        self, client: TestClient, token: Any, v1: None, db: Session,
    ) -> None:
        bad = award(0)
        bad["payload"]["data_timestamp"] = "2024-11-22 10:00:00"
        first, second = (client.post(STANDARD, json=bad, headers=token("source")).json()["results"][0]
                         for _ in range(2))
        first, second = first["quarantine_id"], second["quarantine_id"]
        assert first == second
        item = client.get(f"{URL}/{first}", headers=token("admin")).json()
        assert item["received_count"] == 2
        assert orjson.loads(base64.b64decode(item["raw_base64"])) == bad
        db.rollback()
        assert LogRepository(db).size() == 0
        assert len(QuarantineRepository(db).list_open()) == 1
