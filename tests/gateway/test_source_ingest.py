"""Raw source data through the adapters: the ingest_source service and POST /api/v1/ingest/{source}.

`FakeAdapter` (also used by the quarantine, CLI and watch tests) reads one tender.award per line
"n,version[,flag]"; its version 1 refuses the flag X, a bug its version 2 fixes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.base import NormalizedRecord, RawItem, RejectedItem, invalid, reason
from adapters.county_center_mapping import load_mapping
from adapters.errors import DetailCode, SourceFormatError
from adapters.registry import SOURCE_NAMES, build_registry
from adapters.soap import build_receive_info_request, parse_receive_info
from config.settings import DEV_ID_HASH_KEY, Settings
from gateway.routes.source import get_registry
from gateway.services.identity import NodeIdentity
from gateway.services.source_ingest import (
    StandardRecordsAdapter,
    ingest_source,
    source_registry,
    without_app_key,
)
from gateway.store.models import SourceBlob
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.quarantine import QuarantineRepository
from gateway.store.repositories.source import QuarantineOriginRepository, SourceRawRepository
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import award

SAMPLES = Path(__file__).resolve().parents[2] / "config" / "samples"
PROBLEM = "application/problem+json"
V1, V2, V3 = "2024-11-21T10:00:00+08:00", "2024-11-22T10:00:00+08:00", "2024-11-23T10:00:00+08:00"


class FakeAdapter:
    """`whole=True`: every item's raw bytes are the whole upload (as XML or xlsx adapters do)."""

    name = "fake-source"

    def __init__(self, version: str = "1", *, whole: bool = False, header: bool = False) -> None:
        self.version, self.whole, self.header = version, whole, header

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        lines = data.splitlines()
        if data.startswith(b"BROKEN") and self.version == "1":
            raise SourceFormatError.of(DetailCode.CSV_MALFORMED, "the upload is broken", line=1)
        # Like a CSV export: a lone row without its header cannot be read.
        if self.header and (not lines or lines[0] != b"n,version,flag"):
            raise SourceFormatError.of(DetailCode.HEADER_MISSING, "no header")
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith(b"BROKEN") or (self.header and number == 1):
                continue
            if line == b"BREAK":
                raise SourceFormatError.of(DetailCode.CSV_MALFORMED, "unreadable from here", line=number)
            ref, raw = f"{filename or 'upload'}:line {number}", data if self.whole else line
            if line.startswith(b"!"):
                yield RejectedItem(ref, raw, (reason("csv.ragged_row", "a ragged row", f"/line/{number}"),))
            else:
                yield RawItem(ref, "FAKE", {"cells": line.decode().split(",")}, raw)

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        cells = item.row["cells"]
        flag = cells[2] if len(cells) > 2 else ""
        if flag == "X" and self.version == "1":
            raise invalid("bad flag", reason("fake.bad_flag", "flag X is not understood", "/2"))
        if flag == "CRASH":
            raise RuntimeError("adapter bug")
        if flag == "EMPTY":
            return []
        record = award(int(cells[0]), version=cells[1])
        if flag == "INVALID":
            record["payload"]["data_timestamp"] = "yesterday"
        unknown = reason("identifier.region.unknown", "region not in the table", "/payload/region_code")
        warnings = (unknown,) if flag == "W" else ()
        return [NormalizedRecord(record["type"], record["jurisdiction"], record["payload"], item.ref,
                                 warnings)]


def lines(*rows: str) -> bytes:
    return "\n".join(rows).encode() + b"\n"


def use_registry(app: Any, **adapters: Any) -> None:
    app.dependency_overrides[get_registry] = lambda: {a.name: a for a in adapters.values()}


def log_size(db: Session) -> int:
    db.rollback()  # see what the requests committed
    return LogRepository(db).size()


def sample_files(source: str) -> list[Path]:
    root = SAMPLES / source
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix != ".md")


class TestSourceRegistry:
    def test_every_source_has_its_adapter_at_version_1(self) -> None:
        mapping = load_mapping(SAMPLES.parent / "mappings" / "county-center.json")
        registry = build_registry(county_mapping=mapping, id_hash_key=b"k" * 32)
        assert tuple(registry) == SOURCE_NAMES
        assert {n: (a.name, a.version) for n, a in registry.items()} == {n: (n, "1") for n in SOURCE_NAMES}

    def test_a_short_id_hash_key_is_refused(self) -> None:
        mapping = load_mapping(SAMPLES.parent / "mappings" / "county-center.json")
        with pytest.raises(ValueError, match="key"):
            build_registry(county_mapping=mapping, id_hash_key=b"short")

    def test_the_node_registry_adds_the_standard_source(self) -> None:
        registry = source_registry(Settings(env="test"))
        assert sorted(registry) == sorted([*SOURCE_NAMES, "standard"])


class TestAdapterSettings:
    def prod(self, **adapters: Any) -> Settings:
        return Settings(env="prod", db={"url": "postgresql://db/ggzy"}, adapters=adapters)

    def test_the_development_key_is_refused_in_prod(self) -> None:
        with pytest.raises(ValidationError, match="id_hash_key"):
            self.prod()

    def test_a_short_key_is_refused_in_prod(self) -> None:
        with pytest.raises(ValidationError, match="id_hash_key"):
            self.prod(id_hash_key="too-short")

    def test_an_own_key_is_taken_in_prod_and_the_default_in_test(self) -> None:
        assert self.prod(id_hash_key="k" * 32).adapters.id_hash_key.get_secret_value() == "k" * 32
        assert Settings(env="test").adapters.id_hash_key.get_secret_value() == DEV_ID_HASH_KEY


class TestIngestSource:
    def run(self, db: Session, node: NodeIdentity, data: bytes, adapter: Any = None, **kw: Any) -> Any:
        return ingest_source(db, adapter=adapter or FakeAdapter(), data=data,
                             filename=kw.pop("filename", "f.csv"), content_type="text/csv", node=node,
                             source_system="county-a", now=FIXED_NOW, **kw)

    def test_results_keep_the_upload_order_across_batches(self, db: Session, node: NodeIdentity) -> None:
        data = lines(f"0,{V2}", "!ragged", f"1,{V2},X", f"2,{V2}", f"3,{V2},W", f"4,{V2}")
        report = self.run(db, node, data, batch_size=2)
        assert [(r["position"], r["ref"], r["status"]) for r in report.results] == [
            (0, "f.csv:line 1", "accepted"), (1, "f.csv:line 2", "quarantined"),
            (2, "f.csv:line 3", "quarantined"), (3, "f.csv:line 4", "accepted"),
            (4, "f.csv:line 5", "accepted"), (5, "f.csv:line 6", "accepted")]
        assert report.results[4]["warnings"][0]["code"] == "identifier.region.unknown"
        assert report.totals == {"accepted": 4, "new_versions": 0, "duplicates": 0, "stale": 0,
                                 "conflicts": 0, "quarantined": 2, "refused_uploads": 0,
                                 "quarantined_by_reason": {"csv.ragged_row": 1, "fake.bad_flag": 1}}

    def test_a_refused_item_is_kept_with_its_own_source_bytes(self, db: Session, node: NodeIdentity) -> None:
        report = self.run(db, node, lines(f"0,{V2}", f"1,{V2},X"))
        entry = QuarantineOriginRepository(db).get(report.results[1]["quarantine_id"])
        assert entry is not None
        assert entry.origin is not None
        assert entry.item.raw == f"1,{V2},X".encode()
        assert entry.item.adapter == "fake-source@1"
        assert entry.item.source == "county-a"
        origin = entry.origin
        assert (origin.ref, origin.filename, origin.scope) == ("f.csv:line 2", "f.csv", "item")
        assert entry.origin.item == {"dataset": "FAKE", "row": {"cells": ["1", V2, "X"]}}

    def test_a_record_refused_after_normalizing_keeps_its_source_bytes_too(
        self, db: Session, node: NodeIdentity,
    ) -> None:
        report = self.run(db, node, lines(f"1,{V2},INVALID"))
        (result,) = report.results
        assert result["status"] == "quarantined"
        assert result["reasons"][0]["pointer"].startswith("/data_timestamp")
        entry = QuarantineOriginRepository(db).get(result["quarantine_id"])
        assert entry is not None
        assert entry.item.raw == f"1,{V2},INVALID".encode()
        assert entry.item.record_type == "tender.award"

    def test_an_accepted_record_keeps_raw_adapter_and_ref(self, db: Session, node: NodeIdentity) -> None:
        report = self.run(db, node, lines(f"0,{V2}"), adapter=FakeAdapter("7"))
        stored = SourceRawRepository(db).get_by_envelope_id(report.results[0]["id"])
        assert stored is not None
        row, raw = stored
        assert (row.adapter, row.ref, row.filename, raw) == ("fake-source@7", "f.csv:line 1", "f.csv",
                                                             f"0,{V2}".encode())

    def test_the_whole_upload_as_raw_is_stored_once(self, db: Session, node: NodeIdentity) -> None:
        data = lines(*(f"{n},{V2}" for n in range(5)))
        report = self.run(db, node, data, adapter=FakeAdapter(whole=True))
        assert report.totals["accepted"] == 5
        assert db.execute(select(func.count()).select_from(SourceBlob)).scalar_one() == 1
        assert all(SourceRawRepository(db).get_by_envelope_id(r["id"])[1] == data for r in report.results)  # type: ignore[index]

    def test_a_later_version_is_reported_as_new(self, db: Session, node: NodeIdentity) -> None:
        self.run(db, node, lines(f"0,{V2}"))
        report = self.run(db, node, lines(f"0,{V3}", f"0,{V1}", f"0,{V3}"))
        assert [(r["status"], r.get("new_version")) for r in report.results] == [
            ("accepted", True), ("stale", None), ("duplicate", None)]
        assert report.totals["new_versions"] == 1
        assert report.totals["quarantined_by_reason"] == {"record.stale": 1}

    def test_an_unreadable_upload_is_refused_whole_and_kept(self, db: Session, node: NodeIdentity) -> None:
        report = self.run(db, node, b"BROKEN\n" + lines(f"0,{V2}"))
        assert report.results == []
        assert report.refusal is not None
        assert (report.refusal.code, report.refusal.first_code) == ("source.unreadable", "csv.malformed")
        kept = QuarantineRepository(db).get(report.refusal.quarantine_id)
        assert kept is not None
        assert kept.raw.startswith(b"BROKEN")
        assert report.totals["refused_uploads"] == 1

    def test_a_failure_halfway_takes_back_what_was_taken(self, db: Session, node: NodeIdentity) -> None:
        data = lines(f"0,{V2}", f"1,{V2}", "!ragged", f"2,{V2}", "BREAK", f"3,{V2}")
        report = self.run(db, node, data, batch_size=1)
        assert report.refusal is not None
        assert report.refusal.first_code == "csv.malformed"
        assert LogRepository(db).size() == 0
        assert [q.id for q in QuarantineRepository(db).list_open()] == [report.refusal.quarantine_id]

    def test_an_adapter_crash_quarantines_the_item_and_goes_on(self, db: Session, node: NodeIdentity) -> None:
        report = self.run(db, node, lines(f"0,{V2},CRASH", f"1,{V2}", f"2,{V2},EMPTY"))
        assert [r["status"] for r in report.results] == ["quarantined", "accepted", "quarantined"]
        assert report.results[0]["reasons"][0]["code"] == "adapter.internal_error"
        assert "adapter bug" not in report.results[0]["reasons"][0]["message"]
        assert report.results[2]["reasons"][0]["code"] == "adapter.no_records"

    def test_the_same_refusal_twice_is_one_quarantine_item(self, db: Session, node: NodeIdentity) -> None:
        first = self.run(db, node, lines(f"0,{V2}", f"1,{V2},X"))
        second = self.run(db, node, lines(f"0,{V2}", f"1,{V2},X"))
        assert second.results[1]["quarantine_id"] == first.results[1]["quarantine_id"]
        entry = QuarantineOriginRepository(db).get(first.results[1]["quarantine_id"])
        assert entry is not None
        assert entry.origin is not None
        assert entry.origin.received_count == 2
        assert len(QuarantineRepository(db).list_open()) == 1


class TestStandardSource:
    def test_a_list_and_an_object_are_split_into_records(self) -> None:
        adapter = StandardRecordsAdapter()
        items = list(adapter.split(orjson.dumps([award(0), "no"]), filename="r.json"))
        assert [(type(i).__name__, i.ref) for i in items] == [("RawItem", "r.json#0"),
                                                              ("RejectedItem", "r.json#1")]
        (single,) = adapter.split(orjson.dumps(award(0)))
        assert isinstance(single, RawItem)
        (record,) = adapter.normalize(single)
        assert (record.type, record.jurisdiction, record.ref) == ("tender.award", "530621", "upload")

    def test_malformed_and_empty_documents_are_refused(self) -> None:
        adapter = StandardRecordsAdapter()
        for data, code in ((b"[{", "json.malformed"), (b"  ", "file.empty"), (b"[]", "json.no_records")):
            with pytest.raises(SourceFormatError) as caught:
                list(adapter.split(data))
            assert caught.value.detail_code == code

    def test_unknown_members_are_refused_by_the_adapter(self) -> None:
        (item,) = StandardRecordsAdapter().split(orjson.dumps({**award(0), "extra": 1}))
        assert isinstance(item, RawItem)
        with pytest.raises(Exception, match="unknown members") as caught:
            StandardRecordsAdapter().normalize(item)
        assert caught.value.details[0]["code"] == "request.unknown_member"  # type: ignore[attr-defined]


class TestAppKey:
    def test_the_app_key_of_a_soap_call_is_blanked(self) -> None:
        call = (SAMPLES / "tender-platform" / "01-ludian-road.notice.soap.xml").read_bytes()
        assert b"<appKey>sample-app-key</appKey>" in call
        assert b"sample-app-key" not in without_app_key(call)
        assert b"<appKey></appKey>" in without_app_key(call)

    def test_other_uploads_are_left_alone(self) -> None:
        data = b"<GCJS_X><appKey>kept</appKey></GCJS_X>"
        assert without_app_key(data) is data


@pytest.fixture
def fake(app: Any) -> FakeAdapter:
    adapter = FakeAdapter()
    use_registry(app, fake=adapter, standard=StandardRecordsAdapter())
    return adapter


class TestIngestSourceApi:
    URL = "/api/v1/ingest/fake-source"

    def test_a_mixed_upload_is_taken_record_by_record(
        self, client: TestClient, token: Any, fake: FakeAdapter,
    ) -> None:
        resp = client.post(f"{self.URL}?filename=f.csv", content=lines(f"0,{V2}", f"1,{V2},X", "!bad"),
                           headers={**token("source"), "content-type": "text/csv"})
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert (body["source"], body["adapter"]) == ("fake-source", "fake-source@1")
        assert [(r["status"], r["ref"]) for r in body["results"]] == [
            ("accepted", "f.csv:line 1"), ("quarantined", "f.csv:line 2"), ("quarantined", "f.csv:line 3")]
        assert body["counts"] == {"accepted": 1, "quarantined": 2}
        assert body["totals"]["quarantined_by_reason"] == {"csv.ragged_row": 1, "fake.bad_flag": 1}
        envelope = client.get(f"/api/v1/records/{body['results'][0]['id']}", headers=token("admin")).json()
        assert envelope["source"] == {"system": "source-test", "ref": "f.csv:line 1",
                                      "adapter": "fake-source@1"}

    def test_an_unknown_source_is_404(self, client: TestClient, token: Any, fake: FakeAdapter) -> None:
        resp = client.post("/api/v1/ingest/nowhere", content=b"x", headers=token("source"))
        assert resp.status_code == 404
        assert resp.headers["content-type"] == PROBLEM
        assert resp.json()["code"] == "source.unknown"

    def test_writing_needs_the_write_scope(self, client: TestClient, token: Any, fake: FakeAdapter) -> None:
        forbidden = client.post(self.URL, content=b"x", headers=token("auditor"))
        assert forbidden.json()["code"] == "auth.forbidden"
        assert client.post(self.URL, content=b"x").json()["code"] == "auth.missing_token"

    def test_an_unreadable_upload_is_a_problem_and_kept(
        self, client: TestClient, token: Any, fake: FakeAdapter, db: Session,
    ) -> None:
        resp = client.post(self.URL, content=b"BROKEN\n", headers=token("source"))
        assert resp.status_code == 422
        assert resp.headers["content-type"] == PROBLEM
        body = resp.json()
        assert body["code"] == "source.unreadable"
        assert body["errors"][0]["code"] == "csv.malformed"
        assert body["refusal"]["quarantine_id"]
        db.rollback()
        assert QuarantineRepository(db).get(body["refusal"]["quarantine_id"]).raw == b"BROKEN\n"  # type: ignore[union-attr]

    def test_nothing_taken_is_a_problem_listing_the_reasons(
        self, client: TestClient, token: Any, fake: FakeAdapter,
    ) -> None:
        resp = client.post(self.URL, content=lines(f"1,{V2},X", "!bad"), headers=token("source"))
        assert resp.status_code == 422
        assert resp.json()["code"] == "record.invalid"
        assert [e["code"] for e in resp.json()["errors"]] == ["fake.bad_flag", "csv.ragged_row"]

    def test_the_same_upload_twice_is_all_duplicates(
        self, client: TestClient, token: Any, fake: FakeAdapter, db: Session,
    ) -> None:
        data = lines(f"0,{V2}", f"1,{V2}")
        assert client.post(self.URL, content=data, headers=token("source")).status_code == 201
        again = client.post(self.URL, content=data, headers=token("source"))
        assert again.status_code == 200
        assert again.json()["counts"] == {"duplicate": 2}
        assert log_size(db) == 2

    def test_an_older_upload_after_a_newer_one_is_stale(
        self, client: TestClient, token: Any, fake: FakeAdapter,
    ) -> None:
        client.post(self.URL, content=lines(f"0,{V3}"), headers=token("source"))
        resp = client.post(self.URL, content=lines(f"0,{V2}"), headers=token("source"))
        assert resp.status_code == 409
        assert resp.json()["code"] == "record.stale"
        newer = client.post(self.URL, content=lines(f"0,{V3}", f"1,{V2}"), headers=token("source"))
        assert newer.json()["totals"]["duplicates"] == 1

    def test_an_oversized_body_is_refused_with_its_prefix_kept(
        self, client: TestClient, token: Any, fake: FakeAdapter, db: Session,
    ) -> None:
        big = lines(*(f"{n},{V2}" for n in range(80_000)))
        assert len(big) > 2 * 1024 * 1024
        resp = client.post(f"{self.URL}?filename=big.csv", content=big, headers=token("source"))
        assert resp.status_code == 413
        assert resp.json()["code"] == "request.too_large"
        db.rollback()
        (kept,) = QuarantineRepository(db).list_open()
        assert (kept.adapter, kept.raw_size) == ("fake-source@1", len(big))
        assert len(kept.raw) <= 1024 * 1024


class TestSamplesApi:
    """The bundled samples of every source through the real adapters."""

    @pytest.mark.parametrize("source", SOURCE_NAMES)
    def test_every_sample_is_taken_and_taken_again_as_duplicates(
        self, client: TestClient, token: Any, source: str, db: Session,
    ) -> None:
        accepted = 0
        for path in sample_files(source):
            resp = client.post(f"/api/v1/ingest/{source}?filename={path.name}", content=path.read_bytes(),
                               headers=token("source"))
            assert resp.status_code in (200, 201), (path.name, resp.text[:500])
            if "xml" in resp.headers["content-type"]:
                assert b"<success>true</success>" in resp.content, path.name
                continue
            refused = [r for r in resp.json()["results"] if r["status"] not in ("accepted", "duplicate")]
            assert refused == [], path.name
            accepted += resp.json()["totals"]["accepted"]
        held = log_size(db)
        assert held >= accepted > 0
        for path in sample_files(source):
            again = client.post(f"/api/v1/ingest/{source}?filename={path.name}", content=path.read_bytes(),
                                headers=token("source"))
            assert again.status_code == 200, path.name
        assert log_size(db) == held

    @pytest.mark.parametrize(("source", "name", "code", "whole"), [
        ("tender-platform", "xxe.xml", "xml.external_entity", True),
        ("tender-platform", "truncated.xml", "xml.truncated", True),
        ("tender-platform", "bad_uscc.xml", "identifier.uscc.check_digit", False),
        ("credit-china", "truncated.json", "json.malformed", True),
        ("credit-china", "xk_bad_id_card.json", "identifier.id_card.check_digit", False),
        ("construction-market", "unknown_dataset.xml", "xml.unknown_dataset", True),
        ("construction-market", "company_mojibake.json", "encoding.mojibake", False),
        ("county-center", "530621_中标结果_big5.csv", "encoding.undetectable", True),
        ("county-center", "中标结果_no_county.csv", "county.region_unknown", False),
    ])
    def test_bad_samples_are_refused_with_their_reason(
        self, client: TestClient, token: Any, db: Session, source: str, name: str, code: str, whole: bool,
    ) -> None:
        path = SAMPLES / source / "bad" / name
        resp = client.post(f"/api/v1/ingest/{source}", params={"filename": name}, content=path.read_bytes(),
                           headers=token("source"))
        assert resp.status_code == 422, resp.text[:300]
        body = resp.json()
        assert body["code"] == ("source.unreadable" if whole else "record.invalid")
        assert body["errors"][0]["code"] == code
        db.rollback()
        kept = QuarantineRepository(db).list_open()
        assert kept
        assert all(q.reasons[0]["code"] == code for q in kept)
        if whole:
            assert kept[0].raw == path.read_bytes()

    def test_a_bad_row_among_good_ones_is_quarantined_alone(self, client: TestClient, token: Any) -> None:
        path = SAMPLES / "county-center" / "bad" / "530621_投标人名单_ragged.csv"
        resp = client.post("/api/v1/ingest/county-center", params={"filename": path.name},
                           content=path.read_bytes(), headers=token("source"))
        assert resp.status_code == 201
        assert resp.json()["counts"] == {"accepted": 4, "quarantined": 2}
        assert resp.json()["totals"]["quarantined_by_reason"] == {"csv.ragged_row": 2}

    def test_an_older_credit_file_after_a_newer_one_is_stale(self, client: TestClient, token: Any) -> None:
        def post(name: str) -> Any:
            data = (SAMPLES / "credit-china" / name).read_bytes()
            return client.post("/api/v1/ingest/credit-china", params={"filename": name}, content=data,
                               headers=token("source"))

        assert post("black_list_revocations.json").json()["totals"]["accepted"] == 2
        older = post("black_list.json")  # the entries as first listed, before their revocation
        assert older.status_code == 201
        assert older.json()["counts"] == {"accepted": 8, "stale": 2}
        assert older.json()["totals"]["quarantined_by_reason"] == {"record.stale": 2}
        again = post("black_list_revocations.json")  # a version already held is a duplicate, not stale
        assert again.json()["counts"] == {"duplicate": 2}

    def test_a_newer_credit_file_after_an_older_one_makes_new_versions(
        self, client: TestClient, token: Any,
    ) -> None:
        def post(name: str) -> Any:
            data = (SAMPLES / "credit-china" / name).read_bytes()
            return client.post("/api/v1/ingest/credit-china", params={"filename": name}, content=data,
                               headers=token("source"))

        assert post("black_list.json").json()["totals"]["accepted"] == 10
        newer = post("black_list_revocations.json").json()
        assert (newer["totals"]["accepted"], newer["totals"]["new_versions"]) == (2, 2)
        assert all(r["new_version"] for r in newer["results"])


def soap_call(sample: str, edit: Any = None) -> bytes:
    """A sample receiveInfo call sent again, its XMLCONTENT edited, with a sender's appKey."""
    call = parse_receive_info((SAMPLES / "tender-platform" / sample).read_bytes())
    content = edit(call.xml_content) if edit else call.xml_content
    return build_receive_info_request(
        app_id=call.app_id, app_key="secret-key-of-the-sender", serial_number=call.serial_number,
        dataset_code=call.dataset_code, xml_content=content, request_time=call.request_time,
        version_number=call.version_number, plat_id=call.plat_id, credit_code=call.credit_code)


class TestSoapApi:
    URL = "/api/v1/ingest/tender-platform"
    AWARD = "02-zhaoyang-sewer.award-1.soap.xml"

    def post(self, client: TestClient, token: Any, body: bytes) -> Any:
        headers = {**token("source"), "content-type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return client.post(self.URL, content=body, headers=headers)

    def test_a_good_call_is_answered_success_and_again_as_well(
        self, client: TestClient, token: Any, db: Session,
    ) -> None:
        for _ in range(2):
            resp = self.post(client, token, soap_call(self.AWARD))
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "text/xml; charset=utf-8"
            assert "receiveInfoResponse" in resp.text
            assert "<success>true</success><errorMessage></errorMessage>" in resp.text
        assert log_size(db) == 1

    def test_a_call_with_a_bad_record_is_answered_false_with_the_reason(
        self, client: TestClient, token: Any, db: Session,
    ) -> None:
        bad_digit = soap_call(self.AWARD, lambda xml: xml.replace("91530381MA6M5J7F46", "91530381MA6M5J7F47"))
        resp = self.post(client, token, bad_digit)
        assert resp.status_code == 200
        assert "<success>false</success>" in resp.text
        assert "identifier.uscc.check_digit" in resp.text
        db.rollback()
        (kept,) = QuarantineRepository(db).list_open()
        assert f"quarantined as {kept.id}" in resp.text
        assert b"91530381MA6M5J7F47" in kept.raw
        assert b"secret-key-of-the-sender" not in kept.raw
        assert log_size(db) == 0

    def test_an_older_version_is_answered_false_as_stale(self, client: TestClient, token: Any) -> None:
        self.post(client, token, soap_call(self.AWARD))
        older = soap_call(self.AWARD, lambda xml: xml.replace("2025-05-15T10:00:00", "2025-05-01T10:00:00"))
        resp = self.post(client, token, older)
        assert resp.status_code == 200
        assert "<success>false</success>" in resp.text
        assert "record.stale" in resp.text

    def test_a_call_refused_on_its_content_is_answered_false(
        self, client: TestClient, token: Any, db: Session,
    ) -> None:
        call = (SAMPLES / "tender-platform" / "bad" / "soap_dataset_mismatch.xml").read_bytes()
        resp = self.post(client, token, call)
        assert resp.status_code == 200
        assert "<success>false</success>" in resp.text
        assert "soap.dataset_mismatch" in resp.text
        db.rollback()
        (kept,) = QuarantineRepository(db).list_open()
        assert kept.reasons[0]["code"] == "soap.dataset_mismatch"
        assert b"<appKey></appKey>" in kept.raw

    def test_an_envelope_that_is_no_call_gets_a_fault_and_500(
        self, client: TestClient, token: Any, db: Session,
    ) -> None:
        body = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                b"<soap:Body><ping/></soap:Body></soap:Envelope>")
        resp = self.post(client, token, body)
        assert resp.status_code == 500
        assert resp.headers["content-type"] == "text/xml; charset=utf-8"
        assert "<faultcode>soap:Client</faultcode>" in resp.text
        assert 'code="soap.malformed"' in resp.text
        db.rollback()
        assert QuarantineRepository(db).list_open()[0].raw == body

    def test_a_soap_action_with_a_body_that_is_not_xml_gets_a_fault(
        self, client: TestClient, token: Any,
    ) -> None:
        resp = self.post(client, token, b"this is not xml")
        assert resp.status_code == 500
        assert "soap:Fault" in resp.text
