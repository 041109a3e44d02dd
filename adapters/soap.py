"""The SOAP 1.1 `receiveInfo` push of provincial public-service platforms (DOMAIN §4.1).

Request body, one business object per call::

    <ns1:receiveInfo xmlns:ns1="http://server.webservice.pspde.sxca.com/">
      <appId/> <appKey/> <SERIALNUMBER/> <DATASETCODE/> <XMLCONTENT/> <REQUESTTIME/>
      <VERSIONNUMBER/> <PLATID/> <creditCode/>
    </ns1:receiveInfo>

Parameters may be unqualified (Axis 1.4 RPC style) or in the service namespace; `xsi:type` and
`encodingStyle` attributes are tolerated, multi-ref encoding (`href`) is not. XMLCONTENT carries the
dataset XML escaped or in CDATA; its root must be the dataset that DATASETCODE names (a `<DATASETS>`
batch is not a `receiveInfo` payload). The envelope and XMLCONTENT both go through the protections of
`adapters.xml_source`. Times are Beijing time (UTC+8), as the senders write them.

Replies: `build_receive_info_result` for a call that was read (accepted or refused on its content),
`build_soap_fault` for an envelope that cannot be read as a call.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from adapters.errors import DetailCode, SourceFormatError, shorten
from adapters.xml_source import DATASETS, feed_xml, parse_dataset

SERVICE_NS = "http://server.webservice.pspde.sxca.com/"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
BEIJING = timezone(timedelta(hours=8), "CST")
PARAMS = (
    "appId",
    "appKey",
    "SERIALNUMBER",
    "DATASETCODE",
    "XMLCONTENT",
    "REQUESTTIME",
    "VERSIONNUMBER",
    "PLATID",
    "creditCode",
)
DEFAULT_MAX_ENVELOPE_BYTES = 64 * 2**20
MAX_PARAM_CHARS = 512
_CALL_POINTER = "/Envelope/Body/receiveInfo"
_SERIAL_NUMBER = re.compile(r"[0-9]{10}([0-9]{4})([0-9]{2})([0-9]{2})[0-9]{6}")
_REQUEST_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
_VERSION_NUMBER = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ReceiveInfoCall:
    app_id: str
    app_key: str = field(repr=False)
    serial_number: str  # 10-digit user id + yyyyMMdd + 6-digit increment
    dataset_code: str
    request_time: datetime
    version_number: datetime
    plat_id: str
    credit_code: str
    xml_content: str = field(repr=False)  # kept as received, for the raw record
    rows: list[dict[str, Any]] = field(repr=False)


def parse_receive_info(
    envelope: bytes,
    *,
    accepted: Collection[str] = DATASETS,
    max_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
) -> ReceiveInfoCall:
    """The call carried by a SOAP envelope, with XMLCONTENT parsed into rows."""
    reader = _EnvelopeReader()
    for _ in feed_xml(io.BytesIO(envelope), reader, max_bytes=max_bytes):
        pass
    if not reader.saw_call:
        raise _malformed("the Body holds no receiveInfo call", "/Envelope/Body")
    missing = [name for name in PARAMS if name not in reader.params]
    if missing:
        raise SourceFormatError(
            f"receiveInfo lacks {', '.join(missing)}",
            details=[
                {
                    "pointer": f"{_CALL_POINTER}/{name}",
                    "code": str(DetailCode.SOAP_MISSING_PARAM),
                    "message": f"parameter {name} is missing",
                }
                for name in missing
            ],
        )
    params = {name: value if name == "XMLCONTENT" else value.strip() for name, value in reader.params.items()}
    _check_serial_number(params["SERIALNUMBER"])
    request_time = _timestamp(params["REQUESTTIME"], _REQUEST_TIME, "REQUESTTIME", "yyyy-MM-dd HH:mm:ss")
    version_number = _timestamp(params["VERSIONNUMBER"], _VERSION_NUMBER, "VERSIONNUMBER", "yyyyMMddHHmmss")
    try:
        root, rows = parse_dataset(
            params["XMLCONTENT"].encode("utf-8"),
            accepted=accepted,
            max_bytes=max_bytes,
            encoding="utf-8",
            allow_batch=False,
        )
    except SourceFormatError as exc:
        details = [
            {**detail, "pointer": f"{_CALL_POINTER}/XMLCONTENT{detail['pointer']}"} for detail in exc.details
        ]
        raise SourceFormatError(f"XMLCONTENT: {exc.message}", details=details) from exc
    if root != params["DATASETCODE"]:
        raise SourceFormatError.of(
            DetailCode.SOAP_DATASET_MISMATCH,
            f"DATASETCODE is {shorten(params['DATASETCODE'])!r} but XMLCONTENT holds <{root}>",
            pointer=f"{_CALL_POINTER}/DATASETCODE",
        )
    return ReceiveInfoCall(
        app_id=params["appId"],
        app_key=params["appKey"],
        serial_number=params["SERIALNUMBER"],
        dataset_code=root,
        request_time=request_time,
        version_number=version_number,
        plat_id=params["PLATID"],
        credit_code=params["creditCode"],
        xml_content=params["XMLCONTENT"],
        rows=rows,
    )


class _EnvelopeReader:
    """Collects the receiveInfo parameters; anything off the expected shape is refused."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self.saw_call = False
        self._path: list[tuple[str, str]] = []
        self._param: list[str] | None = None
        self._param_chars = 0

    def start(self, name: str, attrs: Mapping[str, str], line: int) -> None:
        namespace, _, local = name.rpartition(" ")
        depth, where = len(self._path), "/" + "/".join(part for _, part in self._path)
        if depth == 0 and (namespace, local) != (SOAP_ENV_NS, "Envelope"):
            raise _malformed(
                f"<{shorten(local)}> in {shorten(namespace) or 'no namespace'} is not a SOAP 1.1 Envelope",
                "/",
                line,
            )
        if depth == 1 and (namespace != SOAP_ENV_NS or local not in ("Header", "Body")):
            raise _malformed(f"unexpected <{shorten(local)}> in the Envelope", where, line)
        if depth == 2 and self._path[1][1] == "Header":
            if attrs.get(f"{SOAP_ENV_NS} mustUnderstand", "").strip() in ("1", "true"):
                raise _malformed(f"header <{shorten(local)}> must be understood", where, line)
        elif depth == 2:
            if (namespace, local) != (SERVICE_NS, "receiveInfo") or self.saw_call:
                raise _malformed(
                    f"the Body must hold one receiveInfo call, not <{shorten(local)}>", where, line
                )
            self.saw_call = True
        elif depth == 3 and self._path[1][1] == "Body":
            self._start_param(namespace, local, attrs, line)
        elif depth > 3 and self._path[1][1] == "Body":
            raise _malformed(f"parameter {self._path[3][1]} holds markup", where, line)
        self._path.append((namespace, local))

    def end(self, name: str) -> None:
        self._path.pop()
        if len(self._path) == 3 and self._param is not None:
            self.params[name.rpartition(" ")[2]] = "".join(self._param)
            self._param = None

    def text(self, data: str) -> None:
        if self._param is not None:
            self._param_chars += len(data)
            name = self._path[3][1]
            if name != "XMLCONTENT" and self._param_chars > MAX_PARAM_CHARS:
                raise SourceFormatError.of(
                    DetailCode.SOAP_PARAM_TOO_LONG,
                    f"{name} exceeds {MAX_PARAM_CHARS} characters",
                    pointer=f"{_CALL_POINTER}/{name}",
                )
            self._param.append(data)
        elif not data.isspace() and self._path[1:2] != [(SOAP_ENV_NS, "Header")]:
            raise _malformed(
                "text outside the call parameters", "/" + "/".join(part for _, part in self._path)
            )

    def _start_param(self, namespace: str, local: str, attrs: Mapping[str, str], line: int) -> None:
        pointer = f"{_CALL_POINTER}/{shorten(local)}"
        if namespace not in ("", SERVICE_NS) or local not in PARAMS:
            raise SourceFormatError.of(
                DetailCode.SOAP_UNKNOWN_PARAM,
                f"unknown parameter <{shorten(local)}>",
                pointer=pointer,
                line=line,
            )
        if local in self.params:
            raise SourceFormatError.of(
                DetailCode.SOAP_DUPLICATE_PARAM,
                f"parameter {local} appears twice",
                pointer=pointer,
                line=line,
            )
        if "href" in attrs:
            raise _malformed("multi-ref encoded parameters are not supported", pointer, line)
        self._param, self._param_chars = [], 0


def _check_serial_number(value: str) -> None:
    match = _SERIAL_NUMBER.fullmatch(value)
    try:
        valid = match is not None and bool(date(*map(int, match.groups())))
    except ValueError:
        valid = False
    if not valid:
        raise SourceFormatError.of(
            DetailCode.SOAP_BAD_SERIAL_NUMBER,
            "SERIALNUMBER must be a 10-digit user id, a yyyyMMdd date and a 6-digit increment (24 digits)",
            pointer=f"{_CALL_POINTER}/SERIALNUMBER",
        )


def _timestamp(value: str, pattern: re.Pattern[str], name: str, layout: str) -> datetime:
    match = pattern.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second = map(int, match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
        except ValueError:
            pass
    raise SourceFormatError.of(
        DetailCode.SOAP_BAD_TIME,
        f"{name} must be a real time written {layout}",
        pointer=f"{_CALL_POINTER}/{name}",
    )


def _malformed(message: str, pointer: str, line: int | None = None) -> SourceFormatError:
    return SourceFormatError.of(
        DetailCode.SOAP_MALFORMED, message, pointer=pointer, **({"line": line} if line else {})
    )


# --- replies and requests ----------------------------------------------------------------------

_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body>{{body}}</soap:Body></soap:Envelope>'
)


def build_receive_info_result(success: bool, error_message: str = "") -> bytes:
    """The synchronous receipt: receiveInfoResponse holding Result{success, errorMessage}."""
    body = (
        f'<ns2:receiveInfoResponse xmlns:ns2="{SERVICE_NS}"><return>'
        f"<success>{'true' if success else 'false'}</success>"
        f"<errorMessage>{_text(error_message, replace_invalid=True)}</errorMessage>"
        "</return></ns2:receiveInfoResponse>"
    )
    return _ENVELOPE.format(body=body).encode("utf-8")


def build_soap_fault(
    message: str, *, fault_code: str = "Client", details: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """A SOAP 1.1 Fault; `details` (e.g. SourceFormatError.details) become <error code=… pointer=…>."""
    errors = "".join(
        f'<error code="{_text(str(detail.get("code", "")), replace_invalid=True)}" '
        f'pointer="{_text(str(detail.get("pointer", "")), replace_invalid=True)}">'
        f"{_text(str(detail.get('message', '')), replace_invalid=True)}</error>"
        for detail in details
    )
    body = (
        f"<soap:Fault><faultcode>soap:{_text(fault_code, replace_invalid=True)}</faultcode>"
        f"<faultstring>{_text(message, replace_invalid=True)}</faultstring>"
        f"{f'<detail>{errors}</detail>' if errors else ''}</soap:Fault>"
    )
    return _ENVELOPE.format(body=body).encode("utf-8")


def build_receive_info_request(
    *,
    app_id: str,
    app_key: str,
    serial_number: str,
    dataset_code: str,
    xml_content: str,
    request_time: datetime,
    version_number: datetime,
    plat_id: str,
    credit_code: str,
    cdata: bool = False,
) -> bytes:
    """The envelope a platform sends; XMLCONTENT escaped, or in CDATA sections when `cdata`."""
    if cdata:
        content = "<![CDATA[" + _text(xml_content, escape=False).replace("]]>", "]]]]><![CDATA[>") + "]]>"
    else:
        content = _text(xml_content)
    values = {
        "appId": _text(app_id),
        "appKey": _text(app_key),
        "SERIALNUMBER": _text(serial_number),
        "DATASETCODE": _text(dataset_code),
        "XMLCONTENT": content,
        "REQUESTTIME": _beijing(request_time).strftime("%Y-%m-%d %H:%M:%S"),
        "VERSIONNUMBER": _beijing(version_number).strftime("%Y%m%d%H%M%S"),
        "PLATID": _text(plat_id),
        "creditCode": _text(credit_code),
    }
    params = "".join(f"<{name}>{values[name]}</{name}>" for name in PARAMS)
    body = f'<ns1:receiveInfo xmlns:ns1="{SERVICE_NS}">{params}</ns1:receiveInfo>'
    return _ENVELOPE.format(body=body).encode("utf-8")


def _beijing(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING) if moment.tzinfo is not None else moment


def _text(value: str, *, escape: bool = True, replace_invalid: bool = False) -> str:
    """XML character data. Messages may quote hostile input, so replies replace what XML 1.0 forbids."""
    if _NOT_XML_CHAR.search(value):
        if not replace_invalid:
            raise ValueError("text holds characters XML 1.0 cannot carry")
        value = _NOT_XML_CHAR.sub("\ufffd", value)
    if not escape:
        return value
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )
