"""Routing: to the concerned node and up the tree, one edge at a time; never back; rules as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.errors import GatewayError
from signing.directory import Directory
from sync.routing import RoutingRules, TypeRule, load_rules, parse_rules, targets
from tests.sync.conftest import CITY, COUNTY, OTHER_CITY, OTHER_COUNTY, PROVINCE


def envelope(jurisdiction: str, origin: str, record_type: str = "tender.award") -> dict[str, Any]:
    return {"type": record_type, "jurisdiction": jurisdiction, "origin": origin}


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
