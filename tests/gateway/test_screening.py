"""Credit screening: the credit index kept at ingest, the matching rules, alerts in the feed, the API."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.services.credit_alert import alert_payload
from gateway.services.credit_index import index_credit_records, normalize_name, party_keys
from gateway.services.screening import checked_on, screen_parties
from gateway.store.repositories.log import LogRepository
from schemas.identifiers import org_code_check_char, uscc_check_char
from schemas.registry import validate_payload
from tests.gateway.conftest import example

INGEST = "/api/v1/ingest/standard"
COUNTY = "530621"
BID_DAY = date(2024, 11, 26)  # the example bid's file-sealing time, 2024-11-26T22:41:17+08:00
KEYED_HASH = "hmac-sha256:" + "5c" * 32
PERSON_ID = "530621198001011233"


def org_code(body8: str) -> str:
    return body8 + org_code_check_char(body8)


def uscc(org9: str, prefix: str = "91530621") -> str:
    return prefix + org9 + uscc_check_char(prefix + org9)


ORG = org_code("53A7K2Q9")
USCC = uscc(ORG)
NAME = "鲁甸县顺达建材有限公司"


def party(code_type: str = "uscc", code: str = USCC, name: str = NAME) -> dict[str, Any]:
    return {"name": name, "code_type": code_type, "code": code, "role": "投标人", "region_code": COUNTY}


def bid(bidder: dict[str, Any], n: int = 0, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(example("tender.bid"))
    payload["bid_section_code"] = payload["tender_project_code"] + f"{n + 1:03d}"
    payload["bidder"] = bidder
    del payload["union_members"], payload["bid_manager_id"]
    payload.update(changes)
    return {"type": "tender.bid", "jurisdiction": COUNTY, "payload": payload}


def blacklist(code: str, listed: dict[str, Any], *, version: str = "2024-06-01T10:00:00+08:00",
              revoked: bool = False, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(example("credit.blacklist"))
    for name in ("revocation_date", "revocation_reason"):
        del payload[name]
    payload.update(blacklist_code=code, party=listed, data_timestamp=version, revoked=revoked, **changes)
    if revoked:
        payload.update(revocation_date="2024-10-08", revocation_reason="行政复议撤销原认定")
    return {"type": "credit.blacklist", "jurisdiction": "530600", "payload": payload}


def penalty(
    number: str, punished: dict[str, Any], *, decided: str, publicity_end: str | None
) -> dict[str, Any]:
    payload = copy.deepcopy(example("credit.penalty"))
    payload.update(decision_number=number, party=punished, decision_date=decided)
    del payload["publicity_end"], payload["valid_until"]
    if publicity_end:
        payload["publicity_end"] = publicity_end
    return {"type": "credit.penalty", "jurisdiction": COUNTY, "payload": payload}


def ingest(client: TestClient, token, items: list[dict[str, Any]]) -> list[str]:  # type: ignore[no-untyped-def]
    resp = client.post(INGEST, json=items, headers=token("source"))
    assert resp.status_code == 201, resp.text
    assert {r["status"] for r in resp.json()["results"]} == {"accepted"}
    return [r["id"] for r in resp.json()["results"]]


def screening(client: TestClient, token, envelope_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/records/{envelope_id}/screening", headers=token("admin"))
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def feed_alerts(client: TestClient, token) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/feed", params={"type": "alert"}, headers=token("admin"))
    return [orjson.loads(line)["envelope"] for line in resp.content.splitlines()]


class TestPartyKeys:
    def test_uscc_yields_its_embedded_org_code_and_name(self) -> None:
        assert party_keys("uscc", USCC.lower(), NAME) == [("uscc", USCC), ("org", ORG), ("name", NAME)]

    def test_org_code_loses_its_hyphen(self) -> None:
        assert party_keys("org_code", ORG[:8] + "-" + ORG[8], NAME)[0] == ("org", ORG)

    def test_persons_are_found_by_number_or_hash_never_by_name(self) -> None:
        assert party_keys("id_card", "53062119800101123x", "陈立新") == [("person", "53062119800101123X")]
        assert party_keys("keyed_hash", KEYED_HASH, "陈立新") == [("person", KEYED_HASH)]

    def test_other_codes_are_found_by_name_only(self) -> None:
        assert party_keys("other", "530621600012345", NAME) == [("name", NAME)]

    def test_name_normalisation_folds_width_and_spacing(self) -> None:
        assert normalize_name(" 鲁甸县（昭通）顺达 建材ｃｏ ") == "鲁甸县(昭通)顺达建材CO"


class TestIndexCreditRecords:
    @staticmethod
    def envelope(item: dict[str, Any], envelope_id: str) -> dict[str, Any]:
        return {"id": envelope_id, **item}

    def test_newest_version_in_one_call_wins(self, db: Session) -> None:
        revoked = blacklist("HMD-20", party(), version="2024-10-09T10:00:00+08:00", revoked=True)
        listed = blacklist("HMD-20", party())
        index_credit_records(db, [self.envelope(revoked, "b" * 32), self.envelope(listed, "a" * 32)])
        (result,) = screen_parties(db, records=[self.envelope(bid(party()), "c" * 32)])
        assert result.result == "clear"

    def test_an_older_version_never_replaces_a_newer_one(self, db: Session) -> None:
        index_credit_records(db, [self.envelope(blacklist("HMD-21", party()), "a" * 32)])
        revoked = blacklist("HMD-21", party(), version="2024-10-09T10:00:00+08:00", revoked=True)
        assert index_credit_records(db, [self.envelope(revoked, "b" * 32)]) == 3
        assert index_credit_records(db, [self.envelope(blacklist("HMD-21", party()), "a" * 32)]) == 0
        (result,) = screen_parties(db, records=[self.envelope(bid(party()), "c" * 32)])
        assert result.result == "clear"

    def test_licences_are_not_indexed(self, db: Session) -> None:
        licence = {"type": "credit.license", "jurisdiction": COUNTY, "payload": example("credit.license")}
        assert index_credit_records(db, [self.envelope(licence, "d" * 32)]) == 0


class TestScreeningMatches:
    def test_blacklisted_bidder_is_found_by_uscc(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (listed_id,) = ingest(client, token, [blacklist("HMD-1", party())])
        (bid_id,) = ingest(client, token, [bid(party())])
        (row,) = screening(client, token, bid_id)["parties"]
        assert (row["role"], row["result"], row["match_kind"], row["confidence"]) == (
            "bidder", "hit", "uscc", "identifier")
        assert row["matched_envelope_ids"] == [listed_id]
        assert row["checked_on"] == BID_DAY.isoformat()
        assert "三年内不得参加依法必须进行招标的项目投标" in row["matches"][0]["measures"]

    def test_entry_with_only_the_old_org_code_finds_the_uscc_bidder(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        old_code_only = party("org_code", ORG[:8] + "-" + ORG[8], "旧名称")
        (listed_id,) = ingest(client, token, [blacklist("HMD-2", old_code_only)])
        (bid_id,) = ingest(client, token, [bid(party())])
        (row,) = screening(client, token, bid_id)["parties"]
        assert (row["result"], row["match_kind"], row["matched_envelope_ids"]) == ("hit", "org", [listed_id])

    def test_uscc_entry_finds_a_bidder_known_by_org_code(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-3", party())])
        (bid_id,) = ingest(client, token, [bid(party("org_code", ORG, "另一名称"))])
        assert screening(client, token, bid_id)["parties"][0]["match_kind"] == "org"

    def test_name_only_match_is_reported_as_weaker(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        listed = party("other", "530621600012345", "鲁甸县 顺达建材有限公司")
        ingest(client, token, [blacklist("HMD-4", listed)])
        (bid_id,) = ingest(client, token, [bid(party())])
        (row,) = screening(client, token, bid_id)["parties"]
        assert (row["result"], row["match_kind"], row["confidence"]) == ("hit", "name", "name")
        (alert,) = feed_alerts(client, token)
        assert alert["payload"]["details"]["confidence"] == "name"
        assert "人工核实" in alert["payload"]["summary"]

    def test_other_bodies_are_clear(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-5", party(code=uscc(org_code("53B7K2Q9")), name="别的公司"))])
        (bid_id,) = ingest(client, token, [bid(party())])
        result = screening(client, token, bid_id)
        assert (result["screened"], result["result"]) == (True, "clear")
        assert result["parties"][0]["matched_envelope_ids"] == []
        assert feed_alerts(client, token) == []

    def test_project_manager_is_found_by_keyed_hash(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-6", party("other", KEYED_HASH, "陈立新"))])
        other_bidder = party(code=uscc(org_code("53C7K2Q9")), name="云南某建设有限公司")
        (bid_id,) = ingest(client, token, [bid(other_bidder, bid_manager_id=KEYED_HASH)])
        bidder, manager = screening(client, token, bid_id)["parties"]
        assert (bidder["role"], bidder["result"]) == ("bidder", "clear")
        assert (manager["role"], manager["result"], manager["match_kind"]) == (
            "project_manager", "hit", "person")

    def test_credit_records_in_the_same_batch_apply_to_its_bids(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        _, bid_id = ingest(client, token, [blacklist("HMD-7", party()), bid(party())])
        assert screening(client, token, bid_id)["result"] == "hit"

    def test_revocation_in_the_same_batch_wins(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        revoked = blacklist("HMD-15", party(), version="2024-10-09T10:00:00+08:00", revoked=True)
        *_, bid_id = ingest(client, token, [blacklist("HMD-15", party()), revoked, bid(party())])
        assert screening(client, token, bid_id)["result"] == "clear"


class TestInForce:
    def test_expired_penalty_is_ignored_and_a_current_one_counts(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        _expired, current = ingest(client, token, [
            penalty("罚〔2024〕1号", party(), decided="2024-05-01", publicity_end="2024-10-31"),
            penalty("罚〔2024〕2号", party(), decided="2024-06-01", publicity_end="2025-05-31"),
        ])
        (bid_id,) = ingest(client, token, [bid(party())])
        assert screening(client, token, bid_id)["parties"][0]["matched_envelope_ids"] == [current]

    @pytest.mark.parametrize(("decided", "result"), [("2021-11-26", "clear"), ("2021-11-27", "hit")])
    def test_penalty_without_publicity_end_lasts_at_most_three_years(  # type: ignore[no-untyped-def]
        self, client: TestClient, token, decided: str, result: str,
    ) -> None:
        ingest(client, token, [penalty("罚〔2021〕9号", party(), decided=decided, publicity_end=None)])
        (bid_id,) = ingest(client, token, [bid(party())])
        assert screening(client, token, bid_id)["result"] == result

    def test_revocation_replaces_the_earlier_version(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-8", party())])
        (before,) = ingest(client, token, [bid(party(), 0)])
        revoked = blacklist("HMD-8", party(), version="2024-10-09T10:00:00+08:00", revoked=True)
        ingest(client, token, [revoked])
        (after,) = ingest(client, token, [bid(party(), 1)])
        assert screening(client, token, before)["result"] == "hit"
        assert screening(client, token, after)["result"] == "clear"

    def test_entry_not_yet_started_or_already_ended_is_ignored(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [
            blacklist("HMD-9", party(), start_date="2024-12-01", end_date="2025-12-01"),
            blacklist("HMD-10", party(), start_date="2023-01-01", end_date="2024-11-25"),
        ])
        (bid_id,) = ingest(client, token, [bid(party())])
        assert screening(client, token, bid_id)["result"] == "clear"

    def test_approved_repair_stops_the_penalty_from_its_stop_date(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        punished = penalty("鲁交罚〔2024〕12号", party(), decided="2024-08-20", publicity_end="2025-08-19")
        ingest(client, token, [punished])
        repair = copy.deepcopy(example("credit.repair"))
        repair.update(party=party(), application_date="2024-11-10", decision_date="2024-11-19",
                      publicity_stopped_on="2024-11-20")
        ingest(client, token, [{"type": "credit.repair", "jurisdiction": COUNTY, "payload": repair}])
        (bid_id,) = ingest(client, token, [bid(party())])
        assert screening(client, token, bid_id)["result"] == "clear"

    def test_screening_date_can_be_given(self, client: TestClient, token, db: Session) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-11", party())])
        (bid_id,) = ingest(client, token, [bid(party())])
        envelope = orjson.loads(LogRepository(db).get_by_envelope_id(bid_id).leaf)  # type: ignore[union-attr]
        assert screen_parties(db, records=[envelope])[0].result == "hit"
        (earlier,) = screen_parties(db, records=[envelope], at=date(2024, 5, 9))
        assert (earlier.result, earlier.checked_on) == ("clear", date(2024, 5, 9))


class TestNamedParties:
    def test_every_candidate_is_screened_at_the_notice_date(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        penalised = example("tender.candidate")["candidates"][1]["candidate"]
        ingest(client, token, [
            penalty("罚〔2024〕3号", penalised, decided="2024-08-20", publicity_end="2025-08-19")])
        (cand_id,) = ingest(client, token, [
            {"type": "tender.candidate", "jurisdiction": COUNTY, "payload": example("tender.candidate")}])
        first, second = screening(client, token, cand_id)["parties"]
        assert (first["role"], first["result"]) == ("candidate", "clear")
        assert (second["position"], second["result"], second["checked_on"]) == (1, "hit", "2024-11-29")

    @pytest.mark.parametrize(("record_type", "role", "day"), [
        ("tender.award", "win_bidder", date(2024, 12, 4)), ("contract", "contractor", date(2024, 12, 18))])
    def test_award_and_contract_parties(self, record_type: str, role: str, day: date, db: Session) -> None:
        payload = example(record_type)
        assert checked_on(record_type, payload) == day
        envelope = {"id": "e" * 32, "type": record_type, "jurisdiction": COUNTY, "payload": payload}
        (result,) = screen_parties(db, records=[envelope])
        assert (result.party.role, result.result) == (role, "clear")
        assert result.party.name == "云南鲁甸建设工程有限公司"

    def test_union_members_are_screened(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-12", party())])
        member = party(name="联合体成员公司") | {"role": "联合体成员"}
        item = bid(party(code=uscc(org_code("53D7K2Q9")), name="牵头人公司"), union_members=[member])
        (bid_id,) = ingest(client, token, [item])
        assert [(p["role"], p["result"]) for p in screening(client, token, bid_id)["parties"]] == [
            ("bidder", "clear"), ("union_member", "hit")]

    def test_record_types_without_parties_are_passed_over(self, db: Session) -> None:
        envelope = {"id": "f" * 32, "type": "tender.notice", "jurisdiction": COUNTY,
                    "payload": example("tender.notice")}
        assert screen_parties(db, records=[envelope]) == []


class TestCreditAlerts:
    def test_hit_is_an_alert_record_in_the_feed(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (listed_id,) = ingest(client, token, [blacklist("HMD-13", party())])
        (bid_id,) = ingest(client, token, [bid(party())])
        (alert,) = feed_alerts(client, token)
        assert (alert["type"], alert["jurisdiction"]) == ("alert", COUNTY)
        assert alert["source"]["system"] == "screening"
        payload = alert["payload"]
        assert (payload["kind"], payload["severity"]) == ("credit.hit", "warning")
        assert payload["subject_ids"] == [bid_id, listed_id]
        assert payload["details"]["matches"][0]["measures"].startswith("失信黑名单：")
        assert NAME in payload["summary"]
        assert screening(client, token, bid_id)["parties"][0]["alert_envelope_id"] == alert["id"]

    def test_alert_payload_is_a_valid_alert_record(self, client: TestClient, token, db: Session) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [blacklist("HMD-14", party("id_card", PERSON_ID, "张三"))])
        (bid_id,) = ingest(client, token, [bid(party("id_card", PERSON_ID, "张三"))])
        envelope = orjson.loads(LogRepository(db).get_by_envelope_id(bid_id).leaf)  # type: ignore[union-attr]
        (hit,) = screen_parties(db, records=[envelope])
        payload = alert_payload(hit, "2026-11-22T10:00:00+08:00")
        validate_payload("alert", payload)  # raises RecordInvalidError otherwise
        # The ID number stays in the bid record; the alert names the person by role and name.
        assert PERSON_ID not in orjson.dumps(payload).decode()
        assert screening(client, token, bid_id)["parties"][0]["code"] is None

    def test_clear_screening_logs_nothing_more(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        ingest(client, token, [bid(party(), n) for n in range(3)])
        assert client.get("/api/v1/feed", headers=token("admin")).headers["X-Log-Size"] == "3"


class TestScreeningApi:
    def test_department_of_the_region_reads_it(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (bid_id,) = ingest(client, token, [bid(party())])
        resp = client.get(f"/api/v1/records/{bid_id}/screening", headers=token("department", "530600"))
        assert resp.status_code == 200
        assert resp.json()["record_type"] == "tender.bid"

    def test_outside_the_token_subtree_is_not_found(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (bid_id,) = ingest(client, token, [bid(party())])
        resp = client.get(f"/api/v1/records/{bid_id}/screening", headers=token("department", "530100"))
        assert resp.status_code == 404
        assert resp.json()["code"] == "record.not_found"

    def test_unknown_record_is_not_found(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        resp = client.get(f"/api/v1/records/{'0' * 32}/screening", headers=token("admin"))
        assert (resp.status_code, resp.json()["code"]) == (404, "record.not_found")

    def test_read_scope_is_required(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (bid_id,) = ingest(client, token, [bid(party())])
        assert client.get(f"/api/v1/records/{bid_id}/screening").json()["code"] == "auth.missing_token"
        resp = client.get(f"/api/v1/records/{bid_id}/screening", headers=token("source"))
        assert (resp.status_code, resp.json()["code"]) == (403, "auth.forbidden")

    def test_unscreened_record_says_so(self, client: TestClient, token) -> None:  # type: ignore[no-untyped-def]
        (notice_id,) = ingest(client, token, [
            {"type": "tender.notice", "jurisdiction": COUNTY, "payload": example("tender.notice")}])
        assert screening(client, token, notice_id) | {"envelope_id": None} == {
            "envelope_id": None, "record_type": "tender.notice", "jurisdiction": COUNTY,
            "screened": False, "result": None, "parties": []}
