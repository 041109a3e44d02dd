"""The federation directory: signed by the pinned root only, well formed, in date, and what it answers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from signing.canonical import canonicalize
from signing.directory import (
    DIRECTORY_TYP,
    ISSUED_AT_LEEWAY,
    Directory,
    DirectoryError,
    check_document,
    rfc3339,
    sign_directory,
    verify_directory,
)
from signing.envelope import ENVELOPE_TYP
from signing.errors import SignatureError, UnknownKeyError
from signing.jws import sign_detached, verify_detached
from signing.keys import Keyring, PublicKey, SigningKey

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Doc = dict[str, Any]
Make = Callable[..., Directory]
REVOKED_K = {"kid": "k", "revoked_at": "2026-01-01T00:00:00Z", "reason": "r"}
PROVINCE, CITY, COUNTY, OTHER_COUNTY = "530000", "530600", "530621", "530602"


@pytest.fixture(scope="module")
def city_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def county_key() -> SigningKey:
    return SigningKey.generate()


def key_item(key: PublicKey, start: datetime = T0 - DAY, end: datetime = T0 + 365 * DAY) -> Doc:
    return {"jwk": key.to_jwk(), "not_before": rfc3339(start), "not_after": rfc3339(end)}


def node_item(node_id: str, parent: str | None, *keys: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "parent": parent, "name": f"节点{node_id}", "endpoint": f"https://{node_id}.example.cn",
            "keys": list(keys)}


@pytest.fixture
def body(ed_key: SigningKey, city_key: SigningKey, county_key: SigningKey) -> dict[str, Any]:
    """An unsigned directory: province root, one city, one county, two departments."""
    return {
        "v": 1, "federation": "云南省公共资源交易", "root": PROVINCE, "serial": 7,
        "issued_at": rfc3339(T0), "expires_at": rfc3339(T0 + timedelta(days=30)),
        "nodes": [
            node_item(PROVINCE, None, key_item(ed_key.public)),
            node_item(CITY, PROVINCE, key_item(city_key.public)),
            node_item(COUNTY, CITY, key_item(county_key.public)),
        ],
        "revoked_keys": [],
        "departments": [
            {"id": "11530600MB0000001A", "name": "昭通市住房和城乡建设局", "jurisdiction": CITY,
             "industry": "住建", "node": CITY},
            {"id": "11530600MB0000002B", "name": "昭通市交通运输局", "jurisdiction": CITY,
             "industry": "交通", "node": CITY},
            {"id": "11530621MB0000003C", "name": "鲁甸县住房和城乡建设局", "jurisdiction": COUNTY,
             "industry": "住建", "node": COUNTY},
        ],
    }


@pytest.fixture
def verified(body: Doc, ed_key: SigningKey) -> Make:
    def make(at: datetime = T0, **changes: Any) -> Directory:
        return verify_directory(sign_directory({**body, **changes}, ed_key), ed_key.public, now=at)

    return make


def refused(document: dict[str, Any], root: PublicKey, code: str, at: datetime = T0) -> DirectoryError:
    with pytest.raises(DirectoryError) as caught:
        verify_directory(document, root, now=at)
    assert caught.value.code == code, caught.value.message
    return caught.value


class TestSignAndVerify:
    def test_round_trip(self, body: Doc, ed_key: SigningKey) -> None:
        signed = sign_directory(body, ed_key)
        directory = verify_directory(orjson.loads(orjson.dumps(signed)), ed_key.public, now=T0)
        assert (directory.federation, directory.root, directory.serial) == ("云南省公共资源交易", PROVINCE, 7)
        assert directory.expires_at == T0 + timedelta(days=30)
        assert directory.node(COUNTY).endpoint == "https://530621.example.cn"
        assert directory.document == signed
        assert signed["sig"]["kid"] == ed_key.kid
        assert signed["sig"]["alg"] == "EdDSA"
        assert "sig" not in body

    def test_signature_is_a_detached_jws_over_the_jcs_bytes(self, body: Doc, ed_key: SigningKey
                                                            ) -> None:
        signed = sign_directory(body, ed_key)
        header = verify_detached(signed["sig"]["jws"], canonicalize(body), Keyring([ed_key.public]),
                                 typ=DIRECTORY_TYP)
        assert header == {"alg": "EdDSA", "kid": ed_key.kid, "typ": "ggzy-directory+jcs"}

    def test_sm2_root(self, body: Doc, sm2_key: SigningKey) -> None:
        body["nodes"][0]["keys"].append(key_item(sm2_key.public))
        signed = sign_directory(body, sm2_key)
        assert signed["sig"]["alg"] == "SM2"
        assert verify_directory(signed, sm2_key.public, now=T0).serial == 7
        refused(signed, SigningKey.generate("SM2").public, "directory.untrusted_signer")

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda d: d["nodes"][2].update(endpoint="https://attacker.example.com"),
            lambda d: d.update(serial=d["serial"] + 1),
            lambda d: d.update(expires_at="2099-01-01T00:00:00+00:00"),
            lambda d: d["nodes"][1]["keys"].append(key_item(SigningKey.generate().public)),
            lambda d: d["revoked_keys"].append(REVOKED_K),
            lambda d: d.update(extra="member"),
            lambda d: d["departments"].pop(),
        ],
    )
    def test_tampered_document(self, body: Doc, ed_key: SigningKey,
                               tamper: Callable[[dict[str, Any]], None]) -> None:
        signed = sign_directory(body, ed_key)
        tamper(signed)
        refused(signed, ed_key.public, "directory.bad_signature")

    def test_wrong_root(self, body: Doc, ed_key: SigningKey, ed_other: SigningKey) -> None:
        error = refused(sign_directory(body, ed_key), ed_other.public, "directory.untrusted_signer")
        assert ed_other.kid in error.message

    def test_key_listed_inside_the_document_never_vouches(self, body: Doc, ed_key: SigningKey,
                                                          city_key: SigningKey) -> None:
        # The city signs a directory that lists its own key; only the pinned root counts.
        refused(sign_directory(body, city_key), ed_key.public, "directory.untrusted_signer")

    def test_pinned_kid_with_another_keys_signature(self, body: Doc, ed_key: SigningKey,
                                                    ed_other: SigningKey) -> None:
        forged = sign_directory(body, ed_other)
        protected, _, signature = forged["sig"]["jws"].split(".")
        honest = sign_directory(body, ed_key)["sig"]["jws"].split(".")[0]
        forged["sig"] = {"alg": "EdDSA", "kid": ed_key.kid, "jws": f"{honest}..{signature}"}
        refused(forged, ed_key.public, "directory.bad_signature")
        forged["sig"]["jws"] = f"{protected}..{signature}"
        refused(forged, ed_key.public, "directory.untrusted_signer")

    def test_signature_of_another_type_is_refused(self, body: Doc, ed_key: SigningKey) -> None:
        jws = sign_detached(canonicalize(body), ed_key, typ=ENVELOPE_TYP)
        refused({**body, "sig": {"alg": "EdDSA", "kid": ed_key.kid, "jws": jws}}, ed_key.public,
                "directory.bad_signature")

    def test_sig_members_must_agree_with_the_header(self, body: Doc, sm2_key: SigningKey) -> None:
        body["nodes"][0]["keys"].append(key_item(sm2_key.public))
        signed = sign_directory(body, sm2_key)
        signed["sig"]["alg"] = "EdDSA"
        refused(signed, sm2_key.public, "directory.bad_signature")

    @pytest.mark.parametrize("sig", [None, "a..b", {"alg": "EdDSA", "kid": "k"},
                                     {"alg": 1, "kid": "k", "jws": "j"},
                                     {"alg": "EdDSA", "kid": "k", "jws": "j", "x": "y"}])
    def test_malformed_sig(self, body: Doc, ed_key: SigningKey, sig: Any) -> None:
        refused({**body, "sig": sig}, ed_key.public, "directory.bad_signature")

    def test_unsigned_or_not_an_object(self, body: Doc, ed_key: SigningKey) -> None:
        refused(body, ed_key.public, "directory.bad_signature")
        with pytest.raises(DirectoryError) as caught:
            verify_directory([body], ed_key.public, now=T0)  # type: ignore[arg-type]
        assert caught.value.code == "directory.invalid"

    def test_value_without_canonical_form(self, body: Doc, ed_key: SigningKey) -> None:
        signed = sign_directory(body, ed_key)
        signed["federation"] = float("nan")
        refused(signed, ed_key.public, "directory.invalid")

    def test_malformed_document_signed_by_the_root_is_still_refused(self, body: Doc,
                                                                    ed_key: SigningKey) -> None:
        body["nodes"][2]["parent"] = "530700"
        jws = sign_detached(canonicalize(body), ed_key, typ=DIRECTORY_TYP)
        error = refused({**body, "sig": {"alg": "EdDSA", "kid": ed_key.kid, "jws": jws}}, ed_key.public,
                        "directory.invalid")
        assert error.details[0]["pointer"] == "/nodes/2/parent"

    def test_expired(self, verified: Make, body: Doc, ed_key: SigningKey) -> None:
        end = T0 + timedelta(days=30)
        assert verified(at=end - timedelta(seconds=1)).serial == 7
        error = refused(sign_directory(body, ed_key), ed_key.public, "directory.expired", at=end)
        assert "expired at" in error.message

    def test_issued_in_the_future(self, verified: Make, body: Doc,
                                  ed_key: SigningKey) -> None:
        assert verified(at=T0 - ISSUED_AT_LEEWAY).serial == 7
        refused(sign_directory(body, ed_key), ed_key.public, "directory.not_yet_valid",
                at=T0 - ISSUED_AT_LEEWAY - timedelta(seconds=1))

    def test_naive_now_is_refused(self, body: Doc, ed_key: SigningKey) -> None:
        with pytest.raises(SignatureError) as caught:
            verify_directory(sign_directory(body, ed_key), ed_key.public, now=T0.replace(tzinfo=None))
        assert caught.value.code == "signature.invalid"

    def test_sign_refuses_signed_malformed_or_non_objects(self, body: Doc, ed_key: SigningKey) -> None:
        with pytest.raises(DirectoryError, match="already signed"):
            sign_directory(sign_directory(body, ed_key), ed_key)
        with pytest.raises(DirectoryError) as caught:
            sign_directory({**body, "serial": -1}, ed_key)
        assert caught.value.details[0]["pointer"] == "/serial"
        with pytest.raises(DirectoryError, match="JSON object"):
            sign_directory([body], ed_key)  # type: ignore[arg-type]


def shape_error(document: Any) -> DirectoryError:
    with pytest.raises(DirectoryError) as caught:
        check_document(document)
    assert caught.value.code == "directory.invalid"
    return caught.value


def pointers(document: Any) -> list[str]:
    return [detail["pointer"] for detail in shape_error(document).details]


class TestShape:
    def test_a_good_document_passes(self, body: Doc) -> None:
        check_document(body)

    @pytest.mark.parametrize(
        ("change", "pointer"),
        [
            (lambda d: d.update(v=2), "/v"),
            (lambda d: d.update(v=True), "/v"),
            (lambda d: d.update(extra=1), "/extra"),
            (lambda d: d.update(federation=" "), "/federation"),
            (lambda d: d.update(root="5300"), "/root"),
            (lambda d: d.update(root="530100"), "/root"),
            (lambda d: d.update(serial=-1), "/serial"),
            (lambda d: d.update(serial="7"), "/serial"),
            (lambda d: d.update(serial=True), "/serial"),
            (lambda d: d.update(issued_at="2026-11-22T10:00:00"), "/issued_at"),
            (lambda d: d.update(issued_at="2026-02-30T10:00:00+08:00"), "/issued_at"),
            (lambda d: d.update(expires_at=d["issued_at"]), "/expires_at"),
            (lambda d: d.update(nodes={}), "/nodes"),
            (lambda d: d["nodes"].append("530700"), "/nodes/3"),
            (lambda d: d["nodes"][0].update(parent=CITY), "/nodes/0/parent"),
            (lambda d: d["nodes"][2].update(parent=None), "/nodes/2/parent"),
            (lambda d: d["nodes"][2].update(parent="530700"), "/nodes/2/parent"),
            (lambda d: d["nodes"][2].update(parent="53"), "/nodes/2/parent"),
            (lambda d: d["nodes"][2].update(id="530"), "/nodes/2/id"),
            (lambda d: d["nodes"][2].update(name=""), "/nodes/2/name"),
            (lambda d: d["nodes"][2].pop("name"), "/nodes/2/name"),
            (lambda d: d["nodes"][2].update(endpoint="ftp://530621.example.cn"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(endpoint="https://x.cn/?a=1"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(endpoint="https://user:pw@x.cn"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(endpoint="https://x.cn:99999"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(endpoint="https://[::1"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(endpoint="530621.example.cn"), "/nodes/2/endpoint"),
            (lambda d: d["nodes"][2].update(keys=None), "/nodes/2/keys"),
            (lambda d: d["nodes"][2]["keys"][0].update(jwk={"kty": "oct", "k": "c2VjcmV0"}),
             "/nodes/2/keys/0/jwk"),
            (lambda d: d["nodes"][2]["keys"][0]["jwk"].update(d="AAAA"), "/nodes/2/keys/0/jwk"),
            (lambda d: d["nodes"][2]["keys"][0].update(not_after=d["nodes"][2]["keys"][0]["not_before"]),
             "/nodes/2/keys/0/not_after"),
            (lambda d: d["nodes"][2]["keys"][0].update(not_before=None), "/nodes/2/keys/0/not_before"),
            (lambda d: d["nodes"][2]["keys"][0].pop("not_after"), "/nodes/2/keys/0/not_after"),
            (lambda d: d["nodes"][2]["keys"].append(d["nodes"][1]["keys"][0]), "/nodes/2/keys/1/jwk"),
            (lambda d: d["nodes"].append(copy.deepcopy(d["nodes"][2]) | {"keys": []}), "/nodes/3/id"),
            (lambda d: d.update(revoked_keys=[{"kid": "k", "revoked_at": "yesterday", "reason": "r"}]),
             "/revoked_keys/0/revoked_at"),
            (lambda d: d.update(revoked_keys=[REVOKED_K, REVOKED_K]),
             "/revoked_keys/1/kid"),
            (lambda d: d.update(revoked_keys=[{"kid": "k", "reason": "r"}]), "/revoked_keys/0/revoked_at"),
            (lambda d: d["departments"][0].update(node="530700"), "/departments/0/node"),
            (lambda d: d["departments"][0].update(jurisdiction="5306"), "/departments/0/jurisdiction"),
            (lambda d: d["departments"][0].update(industry=""), "/departments/0/industry"),
            (lambda d: d["departments"].append(dict(d["departments"][0])), "/departments/3/id"),
            (lambda d: d["departments"][0].update(unit="x"), "/departments/0/unit"),
            (lambda d: d["departments"][0].pop("node"), "/departments/0/node"),
            (lambda d: d["nodes"][2].update(endpoint=""), "/nodes/2/endpoint"),
        ],
    )
    def test_each_problem_is_named_by_pointer(self, body: Doc, change: Callable[[Doc], Any], pointer: str
                                              ) -> None:
        change(body)
        assert pointer in pointers(body)

    def test_a_parent_cycle_is_refused(self, body: Doc, county_key: SigningKey) -> None:
        body["nodes"][1]["parent"] = COUNTY
        assert pointers(body) == ["/nodes/1/parent", "/nodes/2/parent"]

    def test_missing_top_level_members_stop_early(self, body: Doc) -> None:
        del body["nodes"], body["serial"]
        assert pointers(body) == ["/serial", "/nodes"]
        assert "JSON object" in shape_error([body]).message

    def test_many_problems_are_summarised(self, body: Doc) -> None:
        for dep in body["departments"]:
            dep.update(name="", industry="")
        error = shape_error(body)
        assert len(error.details) == 6
        assert "(and 1 more)" in error.message

    def test_rfc3339_needs_an_aware_time(self) -> None:
        assert rfc3339(T0) == "2026-11-22T02:00:00+00:00"
        with pytest.raises(SignatureError):
            rfc3339(T0.replace(tzinfo=None))

    def test_times_with_z_and_fractions_are_read(self, body: Doc, ed_key: SigningKey) -> None:
        body["issued_at"] = "2026-11-22t02:00:00.123456z"
        directory = verify_directory(sign_directory(body, ed_key), ed_key.public, now=T0 + timedelta(hours=1))
        assert directory.issued_at == T0 + timedelta(microseconds=123456)


class TestDirectory:
    def test_node_lookup(self, verified: Make) -> None:
        directory = verified()
        assert directory.node(CITY).parent == PROVINCE
        assert CITY in directory
        assert OTHER_COUNTY not in directory
        with pytest.raises(DirectoryError) as caught:
            directory.node(OTHER_COUNTY)
        assert caught.value.code == "directory.unknown_node"
        assert caught.value.status == 404

    def test_keyring_holds_every_nodes_valid_keys(self, verified: Make, ed_key: SigningKey,
                                                  city_key: SigningKey, county_key: SigningKey) -> None:
        ring = verified().keyring(T0)
        assert {key.kid for key in ring} == {ed_key.kid, city_key.kid, county_key.kid}
        assert verified().node_keyring(CITY, T0).jwks() == {"keys": [city_key.public.to_jwk()]}

    def test_keys_outside_their_window_are_left_out(self, body: Doc, verified: Make,
                                                    county_key: SigningKey) -> None:
        body["nodes"][2]["keys"] = [key_item(county_key.public, T0 + DAY, T0 + 2 * DAY)]
        directory = verified()
        assert county_key.kid not in directory.keyring(T0)
        assert county_key.kid in directory.keyring(T0 + timedelta(days=1))
        assert county_key.kid not in directory.keyring(T0 + timedelta(days=2))
        assert directory.key_owner(county_key.kid) == COUNTY
        assert directory.key_entry(county_key.kid).not_after == T0 + timedelta(days=2)

    def test_rotation_overlap_both_keys_verify(self, body: Doc, verified: Make,
                                               city_key: SigningKey) -> None:
        new_key = SigningKey.generate()
        body["nodes"][1]["keys"] = [key_item(city_key.public, T0 - 365 * DAY, T0 + 10 * DAY),
                                    key_item(new_key.public, T0, T0 + 730 * DAY)]
        directory = verified()
        payload = b"record"
        by_old = sign_detached(payload, city_key, typ=ENVELOPE_TYP)
        by_new = sign_detached(payload, new_key, typ=ENVELOPE_TYP)

        def verifies(jws: str, at: datetime) -> bool:
            try:
                verify_detached(jws, payload, directory.node_keyring(CITY, at), typ=ENVELOPE_TYP, at=at)
            except UnknownKeyError:
                return False
            return True

        overlap = T0 + timedelta(days=5)
        assert verifies(by_old, overlap)
        assert verifies(by_new, overlap)
        assert verifies(by_old, T0 - timedelta(days=1))
        assert not verifies(by_new, T0 - timedelta(days=1))
        assert not verifies(by_old, T0 + timedelta(days=10))
        assert verifies(by_new, T0 + timedelta(days=10))

    def test_revoked_key_is_excluded_inside_its_window(self, body: Doc,
                                                       verified: Make,
                                                       county_key: SigningKey) -> None:
        body["revoked_keys"] = [{"kid": county_key.kid, "revoked_at": rfc3339(T0 + timedelta(days=3)),
                                 "reason": "compromised"}]
        directory = verified()
        assert directory.is_revoked(county_key.kid)
        assert directory.revoked[county_key.kid].reason == "compromised"
        # Absolute: even an instant before revoked_at does not bring it back.
        for at in (T0, T0 + timedelta(days=5)):
            ring = directory.keyring(at)
            assert county_key.kid not in ring
            with pytest.raises(UnknownKeyError, match="revoked"):
                ring.get(county_key.kid, at)
        assert directory.key_owner(county_key.kid) == COUNTY

    def test_unlisted_key_has_no_owner(self, verified: Make) -> None:
        with pytest.raises(UnknownKeyError) as caught:
            verified().key_owner("unknown-kid")
        assert caught.value.code == "signature.unknown_key"
        with pytest.raises(UnknownKeyError):
            verified().key_entry("unknown-kid")

    def test_keyring_needs_an_aware_instant(self, verified: Make) -> None:
        with pytest.raises(SignatureError):
            verified().keyring(T0.replace(tzinfo=None))

    def test_departments_for(self, verified: Make) -> None:
        directory = verified()
        assert [dep.name for dep in directory.departments_for(CITY, "住建")] == ["昭通市住房和城乡建设局"]
        assert len(directory.departments_for(CITY)) == 2
        assert directory.departments_for(CITY, "水利") == []
        assert directory.departments_for(COUNTY, "住建")[0].node == COUNTY

    def test_parent_chain_and_children(self, verified: Make) -> None:
        directory = verified()
        assert directory.parent_chain(COUNTY) == [CITY, PROVINCE]
        assert directory.parent_chain(PROVINCE) == []
        assert directory.children(PROVINCE) == [CITY]
        assert directory.children(COUNTY) == []
        with pytest.raises(DirectoryError):
            directory.parent_chain(OTHER_COUNTY)

    def test_node_for_jurisdiction(self, verified: Make) -> None:
        directory = verified()
        assert directory.node_for_jurisdiction(COUNTY) == COUNTY
        assert directory.node_for_jurisdiction(OTHER_COUNTY) == CITY
        assert directory.node_for_jurisdiction("530100") == PROVINCE
        for code in ("510000", "5306"):
            with pytest.raises(DirectoryError) as caught:
                directory.node_for_jurisdiction(code)
            assert caught.value.code == "directory.unknown_node"

    def test_is_newer_than(self, verified: Make) -> None:
        older, newer = verified(serial=7), verified(serial=8)
        assert newer.is_newer_than(older)
        assert not older.is_newer_than(newer)
        assert not older.is_newer_than(verified(serial=7))
        with pytest.raises(DirectoryError, match="different federations"):
            newer.is_newer_than(verified(federation="四川省公共资源交易"))
