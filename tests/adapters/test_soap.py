from __future__ import annotations

import pyexpat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import SourceFormatError
from adapters.soap import (
    BEIJING,
    MAX_PARAM_CHARS,
    PARAMS,
    SERVICE_NS,
    SOAP_ENV_NS,
    ReceiveInfoCall,
    build_receive_info_request,
    build_receive_info_result,
    build_soap_fault,
    parse_receive_info,
)

FIXTURES = Path(__file__).parent / "fixtures"
NOTICE = (
    '<?xml version="1.0" encoding="UTF-8"?><GCJS_RESULT_NOTICE>'
    "<NOTICE_NAME>某某道路改造工程（一标段）中标结果公告</NOTICE_NAME>"
    "<NOTICE_CONTENT>&lt;p&gt;中标人：山西某某建设工程有限公司 &amp; 联合体&lt;/p&gt;</NOTICE_CONTENT>"
    "<BID_AMOUNT>1234.5678</BID_AMOUNT></GCJS_RESULT_NOTICE>"
)


def request(**overrides: Any) -> bytes:
    values: dict[str, Any] = {
        "app_id": "sxggzy-zb-0001",
        "app_key": "k3Y-not-a-real-key",
        "serial_number": "140100000120260520000017",
        "dataset_code": "GCJS_RESULT_NOTICE",
        "xml_content": NOTICE,
        "request_time": datetime(2026, 5, 20, 10, 15, 32, tzinfo=BEIJING),
        "version_number": datetime(2026, 5, 20, 10, 15, tzinfo=BEIJING),
        "plat_id": "8a8a8a8a7f1e2d3c017f1e2d3c4b0001",
        "credit_code": "12140100MB1XXXXX4A",
    }
    values.update(overrides)
    return build_receive_info_request(**values)


def envelope(params: str, *, body_extra: str = "", header: str = "") -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}">{header}<soapenv:Body>'
        f'<ns1:receiveInfo xmlns:ns1="{SERVICE_NS}">{params}</ns1:receiveInfo>{body_extra}'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def params_without(name: str) -> str:
    text = request().decode()
    start = text.index("<appId>")
    params = text[start : text.index("</ns1:receiveInfo>")]
    begin = params.index(f"<{name}>")
    return params[:begin] + params[params.index(f"</{name}>") + len(name) + 3 :]


def refused(data: bytes) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        parse_receive_info(data)
    assert caught.value.code == "source.unreadable"
    return caught.value


class TestParseReceiveInfo:
    def test_axis_envelope_with_escaped_content(self) -> None:
        call = parse_receive_info((FIXTURES / "receive_info_escaped.xml").read_bytes())
        assert call.dataset_code == "GCJS_WIN_CANDIDATE"
        assert call.serial_number == "140100000120260520000017"
        assert call.request_time == datetime(2026, 5, 20, 10, 15, 32, tzinfo=BEIJING)
        assert call.request_time.astimezone(UTC).hour == 2
        assert call.version_number == datetime(2026, 5, 20, 10, 15, 0, tzinfo=BEIJING)
        assert call.credit_code == "12140100MB1XXXXX4A"
        assert call.rows[0]["WIN_CANDIDATE_NAME"] == "山西某某建设工程有限公司"
        assert call.xml_content.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')

    def test_jaxws_envelope_with_cdata_and_a_header(self) -> None:
        call = parse_receive_info((FIXTURES / "receive_info_cdata.xml").read_bytes())
        assert call.dataset_code == "GCJS_RESULT_NOTICE"
        assert call.rows == [
            {
                "TENDER_PROJECT_CODE": "E1401000000000001001",
                "NOTICE_NAME": "某某道路改造工程（一标段）中标结果公告",
                "NOTICE_CONTENT": "<p>中标人：山西某某建设工程有限公司</p>",
                "WIN_BIDDER_NAME": "山西某某建设工程有限公司",
                "BID_AMOUNT": "1234.5678",
            }
        ]

    def test_secrets_stay_out_of_the_repr(self) -> None:
        call = parse_receive_info(request())
        assert call.app_key == "k3Y-not-a-real-key"
        assert "k3Y" not in repr(call)

    def test_inner_declaration_of_another_encoding_is_moot(self) -> None:
        inner = NOTICE.replace('encoding="UTF-8"', 'encoding="GBK"')
        assert parse_receive_info(request(xml_content=inner)).rows[0]["BID_AMOUNT"] == "1234.5678"

    def test_gbk_envelope(self) -> None:
        data = request().decode().replace('encoding="UTF-8"', 'encoding="GBK"', 1).encode("gbk")
        assert parse_receive_info(data).rows[0]["NOTICE_NAME"].startswith("某某道路")

    def test_dataset_code_differs_from_the_content_root(self) -> None:
        error = refused(request(dataset_code="GCJS_WIN_CANDIDATE"))
        assert error.detail_code == "soap.dataset_mismatch"
        assert error.details[0]["pointer"] == "/Envelope/Body/receiveInfo/DATASETCODE"

    def test_batch_content_is_not_a_call(self) -> None:
        batch = "<DATASETS>" + NOTICE.split("?>", 1)[1] + "</DATASETS>"
        assert refused(request(xml_content=batch)).detail_code == "xml.unknown_dataset"

    @pytest.mark.parametrize("name", PARAMS)
    def test_missing_param(self, name: str) -> None:
        error = refused(envelope(params_without(name)))
        assert error.detail_code == "soap.missing_param"
        assert error.details[0]["pointer"] == f"/Envelope/Body/receiveInfo/{name}"

    def test_every_missing_param_is_listed(self) -> None:
        error = refused(envelope("<appId>x</appId>"))
        assert [detail["pointer"].rsplit("/", 1)[1] for detail in error.details] == list(PARAMS[1:])
        assert {detail["code"] for detail in error.details} == {"soap.missing_param"}

    def test_qualified_params(self) -> None:
        params = params_without("PLATID") + "<ns1:PLATID>p-1</ns1:PLATID>"
        assert parse_receive_info(envelope(params)).plat_id == "p-1"

    def test_scalar_params_are_trimmed(self) -> None:
        params = params_without("PLATID") + "<PLATID>\n   p-1\n </PLATID>"
        assert parse_receive_info(envelope(params)).plat_id == "p-1"

    @pytest.mark.parametrize(
        "serial",
        [
            "14010000012026052000001",
            "1401000001202605200000170",
            "140100000120261320000017",
            "14010000012026052000001A",
        ],
        ids=["short", "long", "no-such-month", "letter"],
    )
    def test_bad_serial_number(self, serial: str) -> None:
        assert refused(request(serial_number=serial)).detail_code == "soap.bad_serial_number"

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("REQUESTTIME", "2026-5-20 10:15:32"),
            ("REQUESTTIME", "2026-02-30 10:15:32"),
            ("REQUESTTIME", "2026-05-20T10:15:32"),
            ("VERSIONNUMBER", "202605201015"),
            ("VERSIONNUMBER", "20260520251500"),
        ],
    )
    def test_bad_times(self, name: str, value: str) -> None:
        params = params_without(name) + f"<{name}>{value}</{name}>"
        error = refused(envelope(params))
        assert error.detail_code == "soap.bad_time"
        assert error.details[0]["pointer"].endswith(name)

    def test_duplicate_param(self) -> None:
        params = params_without("PLATID") + "<PLATID>a</PLATID><PLATID>b</PLATID>"
        assert refused(envelope(params)).detail_code == "soap.duplicate_param"

    @pytest.mark.parametrize(
        "extra",
        ["<arg0>x</arg0>", '<other:PLATID xmlns:other="urn:other">x</other:PLATID>'],
        ids=["name", "namespace"],
    )
    def test_unknown_param(self, extra: str) -> None:
        assert refused(envelope(params_without("PLATID") + extra)).detail_code == "soap.unknown_param"

    def test_long_param(self) -> None:
        params = params_without("PLATID") + f"<PLATID>{'9' * (MAX_PARAM_CHARS + 1)}</PLATID>"
        assert refused(envelope(params)).detail_code == "soap.param_too_long"

    @pytest.mark.parametrize(
        "data",
        [
            b"<Envelope><Body/></Envelope>",
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
            f'<e:Envelope xmlns:e="{SOAP_ENV_NS}"><e:Trailer/></e:Envelope>'.encode(),
            f'<e:Envelope xmlns:e="{SOAP_ENV_NS}"><e:Body/></e:Envelope>'.encode(),
            f'<e:Envelope xmlns:e="{SOAP_ENV_NS}"><e:Body><receiveInfo/></e:Body></e:Envelope>'.encode(),
            envelope("<appId>x</appId>", body_extra=f'<n:receiveInfo xmlns:n="{SERVICE_NS}"/>'),
            envelope("<appId><b>x</b></appId>"),
            envelope('<appId href="#id0"/>'),
            envelope("text<appId>x</appId>"),
            envelope(
                "<appId>x</appId>",
                header='<soapenv:Header><s:Sec xmlns:s="urn:s" soapenv:mustUnderstand="1"/></soapenv:Header>',
            ),
        ],
        ids=[
            "no-namespace",
            "soap-1.2",
            "unknown-child",
            "empty-body",
            "wrong-namespace",
            "two-calls",
            "markup-in-param",
            "multi-ref",
            "stray-text",
            "must-understand",
        ],
    )
    def test_malformed_envelope(self, data: bytes) -> None:
        assert refused(data).detail_code == "soap.malformed"

    def test_doctype_in_the_envelope(self) -> None:
        data = b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + request().split(b"?>", 1)[1]
        assert refused(data).detail_code == "xml.external_entity"

    def test_entity_attack_inside_xmlcontent(self) -> None:
        inner = (
            '<!DOCTYPE q [<!ENTITY a "aaaaaaaaaa">]><GCJS_RESULT_NOTICE><A>&a;&a;</A></GCJS_RESULT_NOTICE>'
        )
        error = refused(request(xml_content=inner))
        assert error.detail_code == "xml.entity_expansion"
        assert error.details[0]["pointer"] == "/Envelope/Body/receiveInfo/XMLCONTENT"

    def test_truncated_xmlcontent(self) -> None:
        error = refused(request(xml_content=NOTICE[:-25]))
        assert error.detail_code == "xml.truncated"
        assert error.message.startswith("XMLCONTENT: ")

    def test_mojibake_inside_xmlcontent_points_at_the_field(self) -> None:
        mangled = NOTICE.replace("1234.5678", "中文".encode().decode("cp1252"))
        error = refused(request(xml_content=mangled))
        assert error.detail_code == "encoding.mojibake"
        assert (
            error.details[0]["pointer"]
            == "/Envelope/Body/receiveInfo/XMLCONTENT/GCJS_RESULT_NOTICE/0/BID_AMOUNT"
        )

    def test_empty_xmlcontent(self) -> None:
        assert refused(request(xml_content="")).detail_code == "file.empty"

    def test_truncated_envelope(self) -> None:
        assert refused(request()[:-30]).detail_code == "xml.truncated"

    def test_empty_envelope(self) -> None:
        assert refused(b"").detail_code == "file.empty"


class TestBuildReceiveInfoRequest:
    @pytest.mark.parametrize("cdata", [False, True])
    def test_round_trip(self, cdata: bool) -> None:
        content = NOTICE.replace(
            "</GCJS_RESULT_NOTICE>",
            "<OTHER_CONTENT><![CDATA[a]]]]><![CDATA[>b]]></OTHER_CONTENT></GCJS_RESULT_NOTICE>",
        )
        call = parse_receive_info(request(xml_content=content, cdata=cdata))
        assert isinstance(call, ReceiveInfoCall)
        assert call.xml_content == content
        assert call.rows[0]["OTHER_CONTENT"] == "a]]>b"
        assert call.rows[0]["NOTICE_CONTENT"] == "<p>中标人：山西某某建设工程有限公司 & 联合体</p>"

    def test_times_are_written_in_beijing_time(self) -> None:
        data = request(request_time=datetime(2026, 5, 20, 2, 15, 32, tzinfo=UTC))
        assert b"<REQUESTTIME>2026-05-20 10:15:32</REQUESTTIME>" in data
        assert b"<VERSIONNUMBER>20260520101500</VERSIONNUMBER>" in data

    def test_carriage_returns_survive(self) -> None:
        call = parse_receive_info(request(xml_content=NOTICE.replace("<BID_AMOUNT>", "\r\n<BID_AMOUNT>")))
        assert "\r\n<BID_AMOUNT>" in call.xml_content

    def test_text_xml_cannot_carry(self) -> None:
        with pytest.raises(ValueError, match=r"XML 1\.0"):
            request(plat_id="p\x00")


def parse_reply(data: bytes) -> dict[str, str]:
    """Leaf element texts of a reply, read with a plain expat parser."""
    texts: dict[str, str] = {}
    attrs: dict[str, str] = {}
    current: list[str] = []
    parser = pyexpat.ParserCreate()
    parser.StartElementHandler = lambda name, attributes: (current.append(name), attrs.update(attributes))
    parser.EndElementHandler = lambda name: current.pop()
    parser.CharacterDataHandler = lambda data: texts.__setitem__(
        current[-1], texts.get(current[-1], "") + data
    )
    parser.Parse(data, True)
    return {**texts, **{f"@{key}": value for key, value in attrs.items()}}


class TestBuildReceiveInfoResult:
    def test_success(self) -> None:
        reply = build_receive_info_result(True)
        assert parse_reply(reply)["success"] == "true"
        assert b"<errorMessage></errorMessage>" in reply
        assert f'xmlns:ns2="{SERVICE_NS}"'.encode() in reply

    def test_failure_with_a_message_from_hostile_input(self) -> None:
        reply = build_receive_info_result(False, "数据集 <GCJS_X> & \x01 不受理")
        assert parse_reply(reply)["errorMessage"] == "数据集 <GCJS_X> & \ufffd 不受理"
        assert parse_reply(reply)["success"] == "false"


class TestBuildSoapFault:
    def test_fault_with_details(self) -> None:
        details = [{"pointer": "/Envelope/Body", "code": "soap.malformed", "message": 'no "call"'}]
        reply = parse_reply(build_soap_fault("cannot read the envelope", details=details))
        assert reply["faultcode"] == "soap:Client"
        assert reply["faultstring"] == "cannot read the envelope"
        assert reply["error"] == 'no "call"'
        assert (reply["@code"], reply["@pointer"]) == ("soap.malformed", "/Envelope/Body")

    def test_fault_without_details(self) -> None:
        reply = build_soap_fault("busy", fault_code="Server")
        assert parse_reply(reply)["faultcode"] == "soap:Server"
        assert b"<detail>" not in reply

    def test_fault_from_a_source_format_error(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            parse_receive_info(b"<not-soap/>")
        reply = parse_reply(build_soap_fault(caught.value.message, details=caught.value.details))
        assert reply["@code"] == "soap.malformed"
