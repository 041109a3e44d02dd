"""Routing: to the concerned node and up the tree, one edge at a time; never back; rules as data;
workflow records also straight to the nodes of their parties (`direct`), from where they were accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.errors import GatewayError
from signing.directory import Directory
from sync.routing import RoutingRules, TypeRule, direct_regions, load_rules, parse_rules, targets
from tests.sync.conftest import CITY, COUNTY, OTHER_CITY, OTHER_COUNTY, PROVINCE


def envelope(jurisdiction: str, origin: str, record_type: str = "tender.award") -> dict[str, Any]:
    return {"type": record_type, "jurisdiction": jurisdiction, "origin": origin}


def workflow(record_type: str, jurisdiction: str, origin: str, **payload: Any) -> dict[str, Any]:
    return {**envelope(jurisdiction, origin, record_type), "payload": payload}


def department(region: str) -> dict[str, str]:
    return {"code": f"{region}.ZJ", "region_code": region, "industry": "住建"}


# A county of 昆明 without a node of its own: the node of 昆明 (OTHER_CITY) covers it.
KUNMING_COUNTY = "530103"
# (record, node that holds it, node that delivered it or None when accepted there, expected next hops)
DIRECT_CASES = {
    "filed at a county about another city's project: to the root and straight to that node": (
        workflow("complaint", OTHER_COUNTY, COUNTY, competent_department=department(OTHER_COUNTY),
                 filing_region=COUNTY), COUNTY, None, [PROVINCE, OTHER_COUNTY]),
    "a region without a node goes straight to the node that covers it": (
        workflow("complaint", KUNMING_COUNTY, COUNTY, competent_department=department(KUNMING_COUNTY),
                 filing_region=COUNTY), COUNTY, None, [PROVINCE, OTHER_CITY]),
    "the root forwards it down the tree only": (
        workflow("complaint", OTHER_COUNTY, COUNTY, competent_department=department(OTHER_COUNTY),
                 filing_region=COUNTY), PROVINCE, COUNTY, [OTHER_CITY]),
    "the city on the path forwards it down only, not back to the filing county": (
        workflow("complaint", OTHER_COUNTY, COUNTY, competent_department=department(OTHER_COUNTY),
                 filing_region=COUNTY), OTHER_CITY, PROVINCE, [OTHER_COUNTY]),
    "the competent node's event goes up and straight back to the filing county": (
        workflow("complaint.event", OTHER_COUNTY, OTHER_COUNTY, filing_region=COUNTY),
        OTHER_COUNTY, None, [OTHER_CITY, COUNTY]),
    "a transfer reaches the new department's node as well": (
        workflow("complaint.event", OTHER_COUNTY, OTHER_COUNTY, filing_region=COUNTY,
                 to_department=department("530602")), OTHER_COUNTY, None, [OTHER_CITY, CITY, COUNTY]),
    "a complaint about the county's own project needs no direct send": (
        workflow("complaint", COUNTY, COUNTY, competent_department=department(COUNTY), filing_region=COUNTY),
        COUNTY, None, [CITY]),
    "a party's region outside the federation is ignored": (
        workflow("complaint", OTHER_COUNTY, COUNTY, competent_department=department("110101"),
                 filing_region="110101"), COUNTY, None, [PROVINCE, OTHER_COUNTY]),
    "a value that is no region code is ignored": (
        workflow("complaint.event", OTHER_COUNTY, OTHER_COUNTY, filing_region="鲁甸县",
                 to_department={"region_code": "53010"}), OTHER_COUNTY, None, [OTHER_CITY]),
    "a session goes to every guest venue's node": (
        workflow("remote_evaluation", CITY, CITY, guests=[{"region_code": OTHER_COUNTY},
                                                          {"region_code": KUNMING_COUNTY}]),
        CITY, None, [PROVINCE, OTHER_COUNTY, OTHER_CITY]),
    "a guest's event goes straight to the host": (
        workflow("remote_evaluation.event", OTHER_COUNTY, OTHER_COUNTY, host_region=COUNTY),
        OTHER_COUNTY, None, [OTHER_CITY, COUNTY]),
    "types without direct parties keep the tree route": (
        workflow("tender.award", OTHER_COUNTY, COUNTY, filing_region=CITY), COUNTY, None, [PROVINCE]),
}


class TestTargets:
    def test_a_county_record_goes_up_to_the_city(self, directory: Directory, rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, COUNTY), directory, COUNTY, rules) == [CITY]

    def test_the_city_forwards_it_to_the_province(self, directory: Directory, rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, COUNTY), directory, CITY, rules, sender=COUNTY) == [PROVINCE]

    def test_the_province_keeps_it(self, directory: Directory, rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, COUNTY), directory, PROVINCE, rules, sender=CITY) == []

    def test_a_county_without_a_node_is_its_citys(self, directory: Directory, rules: RoutingRules) -> None:
        # 530622 (巧家县) has no node: the city holds its records.
        assert targets(envelope("530622", PROVINCE), directory, PROVINCE, rules) == [CITY]
        assert targets(envelope("530622", CITY), directory, CITY, rules) == [PROVINCE]
        assert targets(envelope("530622", COUNTY), directory, COUNTY, rules) == [PROVINCE]

    def test_a_record_accepted_above_goes_down_to_the_concerned_node(self, directory: Directory,
                                                                     rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, PROVINCE), directory, PROVINCE, rules) == [CITY]
        assert targets(envelope(COUNTY, PROVINCE), directory, CITY, rules, sender=PROVINCE) == [COUNTY]
        assert targets(envelope(COUNTY, PROVINCE), directory, COUNTY, rules, sender=CITY) == []

    def test_a_city_record_accepted_at_the_city_goes_up_only(self, directory: Directory,
                                                              rules: RoutingRules) -> None:
        assert targets(envelope(CITY, CITY), directory, CITY, rules) == [PROVINCE]

    def test_another_branch_goes_through_the_root(self, directory: Directory, rules: RoutingRules) -> None:
        record = envelope(OTHER_COUNTY, COUNTY)
        assert targets(record, directory, COUNTY, rules) == [PROVINCE]
        assert targets(record, directory, PROVINCE, rules, sender=COUNTY) == [OTHER_CITY]
        assert targets(record, directory, OTHER_CITY, rules, sender=PROVINCE) == [OTHER_COUNTY]

    def test_cross_branch_rule_common_ancestor(self, directory: Directory) -> None:
        rules = RoutingRules(cross_branch="common_ancestor")
        # From the county, the nearest ancestor on the other record's path is the province.
        assert targets(envelope(OTHER_COUNTY, COUNTY), directory, COUNTY, rules) == [PROVINCE]
        # A record of the province itself, accepted at the county: the county's parent is off the path.
        assert targets(envelope(PROVINCE, COUNTY), directory, COUNTY, rules) == [PROVINCE]

    def test_cross_branch_rule_none_keeps_it(self, directory: Directory) -> None:
        rules = RoutingRules(cross_branch="none")
        assert targets(envelope(OTHER_COUNTY, COUNTY), directory, COUNTY, rules) == []

    def test_never_back_to_origin_or_sender(self, directory: Directory, rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, CITY), directory, COUNTY, rules, sender=CITY) == []
        assert targets(envelope(CITY, PROVINCE), directory, CITY, rules, sender=COUNTY) == []

    def test_access_events_stay_local(self, directory: Directory, rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, COUNTY, "access.event"), directory, COUNTY, rules) == []

    def test_uncovered_jurisdiction_stays(self, directory: Directory, rules: RoutingRules) -> None:
        # Beijing is not in the Yunnan federation.
        assert targets(envelope("110101", COUNTY), directory, COUNTY, rules) == []

    def test_a_node_outside_the_directory_routes_nothing(self, directory: Directory,
                                                         rules: RoutingRules) -> None:
        assert targets(envelope(COUNTY, "530622"), directory, "530622", rules) == []


class TestDirect:
    @pytest.mark.parametrize(("record", "here", "sender", "expected"), list(DIRECT_CASES.values()),
                             ids=list(DIRECT_CASES))
    def test_next_hops(self, directory: Directory, rules: RoutingRules, record: dict[str, Any], here: str,
                       sender: str | None, expected: list[str]) -> None:
        # Forwarders pass their parties too: `targets` itself must keep them from repeating direct sends.
        parties = rules.parties_of(record)
        assert targets(record, directory, here, rules, sender=sender, direct=parties) == expected

    def test_the_regions_named_in_rule_order_without_repeats(self, rules: RoutingRules) -> None:
        record = workflow("complaint", OTHER_COUNTY, COUNTY, competent_department=department(OTHER_COUNTY),
                          filing_region=COUNTY)
        assert direct_regions(record, rules) == (OTHER_COUNTY, COUNTY)

    @pytest.mark.parametrize(("payload", "expected"), [
        ({"guests": [{"region_code": "530102"}, {"region_code": "530103"}, {"region_code": "530102"}]},
         ("530102", "530103")),
        ({"guests": []}, ()),
        ({"guests": [{"name": "no region"}, {"region_code": 530102}]}, ()),  # absent or not a string
        ({"guests": {"region_code": "530102"}}, ()),  # `*` walks arrays only
        ({}, ()),
    ])
    def test_array_pointers(self, payload: dict[str, Any], expected: tuple[str, ...]) -> None:
        guests = {"remote_evaluation": {"direct": ["/payload/guests/*/region_code"]}}
        rules = parse_rules({"v": 1, "types": guests})
        assert direct_regions(workflow("remote_evaluation", CITY, CITY, **payload), rules) == expected

    def test_escaped_pointer_members(self) -> None:
        rules = parse_rules({"v": 1, "types": {"x": {"direct": ["/payload/a~1b/c~0d"]}}})
        record = workflow("x", CITY, CITY, **{"a/b": {"c~d": OTHER_CITY}})
        assert direct_regions(record, rules) == (OTHER_CITY,)

    def test_types_without_direct_parties_name_none(self, rules: RoutingRules) -> None:
        assert rules.parties_of(workflow("tender.award", COUNTY, COUNTY, filing_region=CITY)) == ()

    def test_shipped_direct_rules(self, rules: RoutingRules) -> None:
        assert rules.for_type("complaint").direct == (
            "/jurisdiction", "/payload/competent_department/region_code", "/payload/filing_region")
        assert rules.for_type("remote_evaluation").direct == ("/payload/guests/*/region_code",)
        assert rules.for_type("tender.award").direct == ()

    @pytest.mark.parametrize("direct", [
        "/jurisdiction",  # not a list
        ["jurisdiction"],  # not a JSON pointer
        [""],
        ["/payload/filing_region", 7],
        [None],
        {"pointer": "/jurisdiction"},
    ])
    def test_bad_direct_rules_are_refused(self, direct: Any) -> None:
        with pytest.raises(GatewayError) as caught:
            parse_rules({"v": 1, "types": {"complaint": {"direct": direct}}})
        assert caught.value.code == "routing.invalid_rules"
        assert "types.complaint.direct" in caught.value.message


class TestRules:
    def test_shipped_rules(self, rules: RoutingRules) -> None:
        assert rules.cross_branch == "root"
        assert rules.for_type("access.event").route == "local"
        assert rules.for_type("tender.award") == TypeRule("tree", "records")

    def test_per_type_stream(self) -> None:
        rules = parse_rules({"v": 1, "types": {"complaint": {"stream": "complaints"}}})
        assert rules.for_type("complaint") == TypeRule("tree", "complaints")
        assert rules.for_type("contract").stream == "records"

    @pytest.mark.parametrize("document", [
        {"v": 2},
        {"v": 1, "cross_branch": "anywhere"},
        {"v": 1, "default": {"route": "flood"}},
        {"v": 1, "types": {"alert": {"stream": ""}}},
        {"v": 1, "types": []},
        {"v": 1, "default": "tree"},
        [],
    ])
    def test_bad_rules_are_refused(self, document: Any) -> None:
        with pytest.raises(GatewayError) as caught:
            parse_rules(document)
        assert caught.value.code == "routing.invalid_rules"

    def test_unreadable_file(self, tmp_path: Path) -> None:
        path = tmp_path / "routing.json"
        path.write_text("{not json", "utf-8")
        with pytest.raises(GatewayError) as caught:
            load_rules(path)
        assert caught.value.code == "routing.invalid_rules"
