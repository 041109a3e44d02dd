"""Complaint routing: the table (each industry, 政府采购, 国家重大建设项目), duplicates, the
first-received rule and transfers, through the API on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.services.complaint_routing import RoutingError, RoutingTable, default_routing
from tests.gateway.test_complaints import (
    COUNTY,
    JT,
    act,
    complaint_body,
    department,
    envelope,
    file,
    headers,
    ingest,
    project_item,
)

ROUTES = [
    ("工程建设", "住建", "住建"),
    ("工程建设", "房屋建筑", "住建"),
    ("工程建设", "市政", "住建"),
    ("工程建设", "交通", "交通"),
    ("工程建设", "公路", "交通"),
    ("工程建设", "水运", "交通"),
    ("工程建设", "水利", "水利"),
    ("工程建设", "农业农村", "农业农村"),
    ("工程建设", "高标准农田", "农业农村"),
    ("工程建设", "铁道", "铁道"),
    ("工程建设", "铁路", "铁道"),
    ("工程建设", "民航", "民航"),
    ("工程建设", "机场", "民航"),
    ("工程建设", "工信", "工信"),
    ("工程建设", "通信", "工信"),
    ("工程建设", "进口机电", "商务"),
    ("工程建设", "能源", "发改"),
    ("工程建设", "未列明行业", "发改"),
    ("工程建设", None, "发改"),
    ("政府采购", "住建", "财政"),
    ("政府采购", None, "财政"),
    ("土地使用权", None, "自然资源"),
    ("矿业权", None, "自然资源"),
    ("国有产权", None, "国资"),
    ("其他", None, "公管"),
]


class TestRoutingTable:
    @pytest.mark.parametrize(("trade_type", "industry", "kind"), ROUTES)
    def test_the_table_names_the_department_of_the_project_region(self, trade_type, industry, kind):
        route = default_routing().route(trade_type=trade_type, industry=industry, region_code=COUNTY)
        assert (route.kind, route.region_code) == (kind, COUNTY)
        assert route.code.startswith(f"{COUNTY}.")
        assert route.source

    def test_a_national_major_project_goes_to_ndrc_with_the_sector_beside_it(self):
        ndrc, sector = default_routing().candidates(
            trade_type="工程建设", industry="水利", region_code=COUNTY, national_major=True)
        assert (ndrc.code, ndrc.kind, ndrc.region_code) == ("NDRC", "发改", "530000")
        assert "国家发展改革委" in ndrc.source
        assert (sector.kind, sector.region_code) == ("水利", COUNTY)

    def test_every_route_and_reason_cites_a_source(self):
        table = default_routing()
        assert all(route["source"] for route in table.routes.values())
        assert all(reason.source for reason in table.reasons.values())

    def test_an_unknown_department_kind_is_unroutable(self):
        with pytest.raises(RoutingError) as caught:
            default_routing().department("宣传", COUNTY)
        assert caught.value.code == "complaint.unroutable"

    def test_a_route_to_an_unknown_department_is_refused_on_load(self):
        document = copy.deepcopy(default_routing().__dict__)
        raw: dict[str, Any] = {
            "format": "ggzy.complaint-routing.v1", "departments": document["departments"],
            "national_major_project": document["national_major"], "objection_first_matters": {},
            "jurisdiction": {"source": "x"}, "refusal_reasons": [],
            "routes": [{"trade_type": "其他", "industry": "*", "department": "宣传", "source": "x"}],
        }
        with pytest.raises(RoutingError):
            RoutingTable(raw)

    def test_a_file_of_another_format_is_refused(self):
        with pytest.raises(RoutingError):
            RoutingTable({"format": "something-else"})


class TestRoutingThroughIntake:
    @pytest.mark.parametrize(("industry", "kind"), [
        ("住建", "ZJ"), ("水利", "SL"), ("铁路", "TD"), ("民航", "MH")])
    def test_the_project_industry_decides(self, client, node, industry, kind):
        ingest(client, node, project_item(tender_project_industries_type=industry))
        assert file(client, node, complaint_body())["department"]["code"] == f"{COUNTY}.{kind}"

    def test_government_procurement_goes_to_finance(self, client, node):
        ingest(client, node, project_item("G0153062125030001", trade_type="政府采购"))
        case = file(client, node, complaint_body(
            trade_type="政府采购", tender_project_code="G0153062125030001", bid_section_code=None))
        assert case["department"]["code"] == f"{COUNTY}.CZ"
        assert case["deadlines"]["complaint.acceptance"]["rule_id"] == "nat.gp.complaint.acceptance"

    def test_a_trade_type_without_deadline_rules_is_routed_but_flagged(self, client, node):
        ingest(client, node, project_item("L0153062125030001", trade_type="土地使用权"))
        case = file(client, node, complaint_body(
            trade_type="土地使用权", tender_project_code="L0153062125030001", bid_section_code=None))
        assert case["department"]["code"] == f"{COUNTY}.ZR"
        assert (case["stage"], case["due_at"], case["flags"]) == ("received", None, ["no_deadline_rule"])

    def test_a_national_major_project_goes_to_ndrc(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body(national_major_project=True))
        assert case["department"] == {"name": "国家发展和改革委员会", "code": "NDRC", "region_code": "530000",
                                      "industry": "发改"}

    def test_a_national_major_project_filed_with_the_sector_stays_there(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body(national_major_project=True,
                                                 filed_with={"kind": "交通", "region_code": COUNTY}))
        assert case["department"]["code"] == JT

    def test_a_filing_with_a_department_that_is_not_competent_is_routed_by_the_table(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body(filed_with={"kind": "财政", "region_code": COUNTY}))
        assert case["department"]["code"] == JT


class TestDuplicates:
    def test_the_same_matter_is_linked_not_a_second_case(self, client, node):
        ingest(client, node, project_item())
        first = file(client, node, complaint_body())
        again = file(client, node, complaint_body(channel="letter"), 200)
        assert (again["status"], again["complaint_id"]) == ("linked", first["complaint_id"])
        assert again["sequence"] == first["sequence"] + 1
        linked = envelope(client, node, again["event_ids"][-1])["payload"]
        assert linked["action"] == "receive"
        assert "重复投诉" in linked["reason"]
        listing = client.get("/api/v1/complaints", headers=headers(node, "admin", "a")).json()["items"]
        assert len(listing) == 1

    def test_another_section_is_another_matter(self, client, node):
        ingest(client, node, project_item())
        first = file(client, node, complaint_body())
        other = file(client, node, complaint_body(bid_section_code="A015306212411050001001002"))
        assert other["complaint_id"] != first["complaint_id"]

    def test_a_matter_refused_before_can_be_filed_again(self, client, node):
        ingest(client, node, project_item())
        first = file(client, node, complaint_body())
        act(client, department(node, JT), first["complaint_id"], action="not_accept",
            reason_code="legal_person_unsealed")
        again = file(client, node, complaint_body())
        assert again["status"] == "created"
        assert again["complaint_id"] != first["complaint_id"]


class TestFirstReceiver:
    def test_the_department_that_received_first_handles_the_matter(self, client, node):
        ingest(client, node, project_item())
        # Filed online with NDRC on 03-10; a letter to the sector department was received on 03-07.
        first = file(client, node, complaint_body(national_major_project=True))
        assert first["department"]["code"] == "NDRC"
        moved = file(client, node, complaint_body(national_major_project=True, channel="letter",
                                                  received_at="2025-03-07T09:00:00+08:00",
                                                  filed_with={"kind": "交通", "region_code": COUNTY}), 200)
        assert (moved["complaint_id"], moved["department"]["code"]) == (first["complaint_id"], JT)
        assert moved["first_received_at"] == "2025-03-07T09:00:00+08:00"
        route = envelope(client, node, moved["event_ids"][-1])["payload"]
        assert route["action"] == "route"
        assert "第六十一条" in route["reason"]

    def test_a_later_filing_elsewhere_does_not_move_the_matter(self, client, node):
        ingest(client, node, project_item())
        first = file(client, node, complaint_body(national_major_project=True))
        later = file(client, node, complaint_body(national_major_project=True,
                                                  filed_with={"kind": "交通", "region_code": COUNTY},
                                                  received_at="2025-03-11T09:00:00+08:00"), 200)
        assert later["department"]["code"] == "NDRC" == first["department"]["code"]


class TestTransfer:
    def test_a_wrong_routing_is_transferred_with_its_reason(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body())
        moved = act(client, department(node, JT), case["complaint_id"], action="route",
                    to={"kind": "住建", "region_code": COUNTY}, reason="系房屋建筑工程, 属住建部门监管")
        assert moved["department"]["code"] == f"{COUNTY}.ZJ"
        assert moved["stage"] == "routed"
        hops = [envelope(client, node, eid)["payload"] for eid in moved["event_ids"]]
        assert [(h["action"], h.get("to_department", {}).get("code")) for h in hops] == [
            ("receive", None), ("route", JT), ("route", f"{COUNTY}.ZJ")]
        assert hops[-1]["reason"] == "系房屋建筑工程, 属住建部门监管"
        assert hops[-1]["due_at"]
        # The former department may no longer act; the new one may.
        problem = act(client, department(node, JT), case["complaint_id"], 403, action="accept")
        assert problem["code"] == "complaint.not_competent"
        assert act(client, department(node, f"{COUNTY}.ZJ"), case["complaint_id"],
                   action="accept")["stage"] == "accepted"

    def test_a_transfer_needs_a_reason(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body())
        problem = act(client, department(node, JT), case["complaint_id"], 422, action="route",
                      to={"kind": "住建", "region_code": COUNTY})
        assert problem["code"] == "complaint.invalid"

    def test_a_transfer_to_an_unknown_kind_is_unroutable(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body())
        problem = act(client, department(node, JT), case["complaint_id"], 422, action="route",
                      to={"kind": "宣传"}, reason="x")
        assert problem["code"] == "complaint.unroutable"

    def test_no_transfer_after_acceptance(self, client, node):
        ingest(client, node, project_item())
        case = file(client, node, complaint_body())
        act(client, department(node, JT), case["complaint_id"], action="accept")
        problem = act(client, department(node, JT), case["complaint_id"], 409, action="route",
                      to={"kind": "住建"}, reason="x")
        assert problem["code"] == "complaint.illegal_transition"
