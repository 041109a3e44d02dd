"""Provincial tender-platform datasets (DOMAIN §4.1) as XML or JSON, read from untrusted bytes.

XML shapes. The element naming a dataset is one of `DATASETS`; its children are upper-case fields.

1. One business object per document, the JAXB shape of a `receiveInfo` push::

       <GCJS_WIN_CANDIDATE><WIN_CANDIDATE_NAME>…</WIN_CANDIDATE_NAME>…</GCJS_WIN_CANDIDATE>

2. Several objects of one dataset: the dataset element holds repeated `<RECORD>` (or `<ROW>`)::

       <GCJS_TENDER_LIST><RECORD>…</RECORD><RECORD>…</RECORD></GCJS_TENDER_LIST>

3. A batch: a `<DATASETS>` root holding dataset elements of shape 1 or 2, of any datasets.

A field with text gives a string ("" when empty, None with `xsi:nil="true"`), a field with child
elements gives a dict, and a name repeated at one level gives a list. Mixing RECORD/ROW with fields,
text beside child elements, and attributes other than `xsi:*` are refused, so that nothing is
dropped silently. Namespaces are ignored: only local names count. An element holding no field is
refused (`xml.no_records`) rather than read as an empty record.

Markup protections (`feed_xml`, also used for SOAP envelopes): any DOCTYPE is refused, so no entity
can be declared, expanded or fetched; the input size, the size of one markup token, the size of one
record and the nesting depth are bounded; the bytes must decode in the declared encoding (or the
BOM's, or UTF-8), taken from an allow-list of codecs; text that reads as mojibake is refused.

JSON shapes (`parse_json_dataset`): `{"dataset": "GCJS_…", "records": [{…}, …]}`, or one key naming
the dataset: `{"GCJS_…": {…}}` (one object) or `{"GCJS_…": [{…}, …]}`. orjson keeps the last of
duplicate keys and cannot report them; integers beyond 64 bits become floats, so floats of 2**53 or
more are refused as imprecise. Amounts and identifiers should travel as strings.
"""

from __future__ import annotations

import codecs
import io
import pyexpat
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

import orjson

from adapters.errors import DetailCode, SourceFormatError, shorten
from adapters.tabular import StrictDecoder, find_mojibake, resolve_codec

DATASETS: frozenset[str] = frozenset(
    {
        "GCJS_TENDER_PROJECT",
        "GCJS_SECTION",
        "GCJS_TENDER_NOTICE",
        "GCJS_OPENING_RECORD",
        "GCJS_TENDER_LIST",
        "GCJS_WIN_CANDIDATE",
        "GCJS_RESULT_NOTICE",
        "GCJS_CONTRACT_PERFORMANCE",
        "GCJS_EXCEPTION_REPORT",
        "WEB_UNICODE_RECORD",
    }
)
BATCH_ELEMENT = "DATASETS"
RECORD_ELEMENTS: frozenset[str] = frozenset({"RECORD", "ROW"})

DEFAULT_MAX_BYTES = 32 * 2**20
DEFAULT_MAX_STREAM_BYTES = 4 * 2**30
DEFAULT_MAX_RECORD_CHARS = 4 * 2**20
MAX_DEPTH = 16
# Charged per element against the record budget, so that a flood of empty elements is bounded too.
_ELEMENT_COST = 64
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_LARGEST_EXACT_FLOAT = 2.0**53

Row = dict[str, Any]


def parse_dataset(
    data: bytes,
    *,
    accepted: Collection[str] = DATASETS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
    check_mojibake: bool = True,
    allow_batch: bool = True,
) -> tuple[str, list[Row]]:
    """The dataset code and its rows. A batch must hold a single dataset (else `xml.mixed_datasets`).

    `encoding` forces a codec and ignores the BOM and the declaration: for text already decoded.
    Without `allow_batch`, a `<DATASETS>` root is refused as an unknown dataset.
    """
    if len(data) > max_bytes:
        raise SourceFormatError.of(DetailCode.XML_TOO_LARGE, f"XML larger than {max_bytes} bytes")
    rows_by_code: dict[str, list[Row]] = {}
    stream = io.BytesIO(data)
    for code, row in iter_datasets(
        stream,
        accepted=accepted,
        max_bytes=max_bytes,
        encoding=encoding,
        check_mojibake=check_mojibake,
        allow_batch=allow_batch,
    ):
        rows_by_code.setdefault(code, []).append(row)
    if len(rows_by_code) > 1:
        raise SourceFormatError.of(
            DetailCode.XML_MIXED_DATASETS,
            f"batch holds several datasets ({', '.join(sorted(rows_by_code))}); read it with iter_datasets",
        )
    [(code, rows)] = rows_by_code.items()
    return code, rows


def iter_datasets(
    stream: BinaryIO,
    *,
    accepted: Collection[str] = DATASETS,
    max_bytes: int = DEFAULT_MAX_STREAM_BYTES,
    max_record_chars: int = DEFAULT_MAX_RECORD_CHARS,
    encoding: str | None = None,
    check_mojibake: bool = True,
    allow_batch: bool = True,
) -> Iterator[tuple[str, Row]]:
    """(dataset code, row) pairs as the records close: memory is bounded by one record, not the file.

    Errors are raised while iterating, possibly after earlier rows were yielded.
    """
    builder = _DatasetBuilder(frozenset(accepted), max_record_chars, check_mojibake, allow_batch)
    for _ in feed_xml(stream, builder, max_bytes=max_bytes, encoding=encoding):
        yield from builder.ready
        builder.ready.clear()


@dataclass
class _Element:
    name: str
    line: int
    nil: bool = False
    text: list[str] = field(default_factory=list)
    children: dict[str, Any] | None = None


class _DatasetBuilder:
    """Turns element events into rows; `ready` holds the rows completed since it was last drained."""

    def __init__(
        self, accepted: frozenset[str], max_record_chars: int, check_mojibake: bool, allow_batch: bool
    ) -> None:
        self.ready: list[tuple[str, Row]] = []
        self._allow_batch = allow_batch
        self._accepted = accepted
        self._max_record_chars = max_record_chars
        self._check_mojibake = check_mojibake
        self._depth = 0
        self._batch = False
        self._datasets_seen = 0
        self._dataset = ""
        self._dataset_depth: int | None = None
        self._dataset_line = 0
        self._mode = ""  # how the current dataset element holds its rows: "fields" or "records"
        self._rows_in_dataset = 0
        self._open: list[_Element] = []  # the row being built, then its open fields
        self._row_depth = 0
        self._row_chars = 0

    def start(self, name: str, attrs: Mapping[str, str], line: int) -> None:
        local, depth = local_name(name), self._depth
        self._depth += 1
        if depth > MAX_DEPTH:
            raise self._error(DetailCode.XML_TOO_DEEP, f"elements nested deeper than {MAX_DEPTH}", line)
        nil = self._nil(attrs, line)
        if self._open:
            if local in RECORD_ELEMENTS and depth == self._row_depth + 1:
                self._set_mode("records", line)  # refuses a RECORD among the fields of a dataset element
            self._charge(_ELEMENT_COST, line)
            self._open.append(_Element(local, line, nil))
        elif depth == 0 and local == BATCH_ELEMENT and self._allow_batch:
            self._batch = True
        elif self._dataset_depth is None:
            self._start_dataset(local, depth, line)
        elif local in RECORD_ELEMENTS:
            self._set_mode("records", line)
            self._open_row(local, depth, line)
        else:
            self._set_mode("fields", line)
            self._open_row(self._dataset, self._dataset_depth, self._dataset_line)
            self._charge(_ELEMENT_COST, line)
            self._open.append(_Element(local, line, nil))

    def end(self, name: str) -> None:
        self._depth -= 1
        depth = self._depth
        if self._open:
            value = self._finish(self._open[-1])
            element = self._open.pop()
            if depth > self._row_depth:
                self._attach(self._open[-1], element.name, value)
                return
            if not isinstance(value, dict):
                raise self._error(DetailCode.XML_BAD_SHAPE, "a record holds no field", element.line)
            self.ready.append((self._dataset, value))
            self._rows_in_dataset += 1
        if depth == self._dataset_depth:
            if not self._rows_in_dataset:
                raise self._error(DetailCode.XML_NO_RECORDS, "dataset element holds no record", None)
            self._dataset_depth = None
        elif depth == 0 and self._batch and not self._datasets_seen:
            raise self._error(DetailCode.XML_NO_RECORDS, f"<{BATCH_ELEMENT}> holds no dataset", None)

    def text(self, data: str) -> None:
        if self._open:
            self._charge(len(data), None)
            self._open[-1].text.append(data)
        elif not data.isspace():
            raise self._error(DetailCode.XML_BAD_SHAPE, "text outside a field", None)

    def _start_dataset(self, local: str, depth: int, line: int) -> None:
        if local not in self._accepted:
            raise SourceFormatError.of(
                DetailCode.XML_UNKNOWN_DATASET,
                f"unknown dataset <{shorten(local)}>",
                pointer=f"/{shorten(local)}",
                line=line,
            )
        self._dataset, self._dataset_depth, self._dataset_line = local, depth, line
        self._mode, self._rows_in_dataset = "", 0
        self._datasets_seen += 1

    def _set_mode(self, mode: str, line: int) -> None:
        if self._mode and self._mode != mode:
            raise self._error(
                DetailCode.XML_BAD_SHAPE, f"<{self._dataset}> mixes fields with RECORD/ROW elements", line
            )
        self._mode = mode

    def _open_row(self, name: str, depth: int, line: int) -> None:
        self._open.append(_Element(name, line))
        self._row_depth, self._row_chars = depth, 0

    def _nil(self, attrs: Mapping[str, str], line: int) -> bool:
        for key, value in attrs.items():
            namespace, _, attribute = key.rpartition(" ")
            if namespace != _XSI:
                message = f"attribute {shorten(attribute)!r} carries no field"
                raise self._error(DetailCode.XML_UNEXPECTED_ATTRIBUTE, message, line)
            if attribute == "nil" and value.strip() in ("true", "1"):
                return True
        return False

    def _finish(self, element: _Element) -> Any:
        text = "".join(element.text)
        if element.children is not None:
            if not text.isspace() and text:
                raise self._error(DetailCode.XML_BAD_SHAPE, "text beside child elements", element.line)
            return element.children
        if element.nil:
            return None
        if self._check_mojibake and (why := find_mojibake(text)):
            raise self._error(DetailCode.ENCODING_MOJIBAKE, why, element.line)
        return text

    @staticmethod
    def _attach(parent: _Element, name: str, value: Any) -> None:
        if parent.children is None:
            parent.children = {}
        if name not in parent.children:
            parent.children[name] = value
        elif isinstance(existing := parent.children[name], list):
            existing.append(value)
        else:
            parent.children[name] = [existing, value]

    def _charge(self, cost: int, line: int | None) -> None:
        self._row_chars += cost
        if self._row_chars > self._max_record_chars:
            message = f"one record exceeds {self._max_record_chars} characters"
            raise self._error(DetailCode.XML_RECORD_TOO_LARGE, message, line)

    def _error(self, code: DetailCode, message: str, line: int | None) -> SourceFormatError:
        path = "/".join(element.name for element in self._open[1:])
        pointer = f"/{self._dataset}/{self._rows_in_dataset}/{path}".rstrip("/") if self._dataset else ""
        return SourceFormatError.of(code, message, pointer=pointer, **({"line": line} if line else {}))


def parse_json_dataset(
    data: bytes,
    *,
    accepted: Collection[str] = DATASETS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    check_mojibake: bool = True,
) -> tuple[str, list[Row]]:
    """The dataset code and its records from the JSON variant (shapes in the module docstring)."""
    if not data.strip():
        raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty JSON document")
    if len(data) > max_bytes:
        raise SourceFormatError.of(DetailCode.JSON_TOO_LARGE, f"JSON larger than {max_bytes} bytes")
    document = _load_json(data)
    if not isinstance(document, dict):
        raise _json_shape("the document is not an object", "")
    if "dataset" in document or "records" in document:
        if set(document) != {"dataset", "records"}:
            raise _json_shape('expected exactly the keys "dataset" and "records"', "")
        code, records, base = document["dataset"], document["records"], "/records"
    elif len(document) == 1:
        [(code, records)] = document.items()
        base = f"/{shorten(code)}"
        if isinstance(records, dict):
            records, base = [records], base + "/-"
    else:
        raise _json_shape("expected one key naming the dataset, or dataset + records", "")
    if not isinstance(code, str) or code not in accepted:
        raise SourceFormatError.of(
            DetailCode.JSON_UNKNOWN_DATASET, f"unknown dataset {shorten(str(code))!r}", pointer="/dataset"
        )
    if not isinstance(records, list):
        raise _json_shape("records must be a list of objects", base)
    if not records:
        raise SourceFormatError.of(DetailCode.JSON_NO_RECORDS, "no records", pointer=base)
    for index, record in enumerate(records):
        pointer = base if base.endswith("/-") else f"{base}/{index}"
        if not isinstance(record, dict):
            raise _json_shape("a record is not an object", pointer)
        _check_json_values(record, pointer, check_mojibake)
    return code, records


def _load_json(data: bytes) -> Any:
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad_bytes:
            offset = bad_bytes.start + len(data) - len(body)
            raise SourceFormatError.of(
                DetailCode.ENCODING_MISMATCH, f"JSON must be UTF-8; byte {offset} is not", offset=offset
            ) from exc
        raise SourceFormatError.of(
            DetailCode.JSON_MALFORMED, f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from exc


def _check_json_values(record: Row, pointer: str, check_mojibake: bool) -> None:
    # Iterative, since orjson accepts nesting deeper than Python's recursion limit.
    pending: list[tuple[str, Any]] = [(pointer, record)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{where}/{shorten(key)}", item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{where}/{index}", item) for index, item in enumerate(value))
        elif isinstance(value, float) and abs(value) >= _LARGEST_EXACT_FLOAT:
            message = "number too large to be exact; send it as a string"
            raise SourceFormatError.of(DetailCode.JSON_IMPRECISE_NUMBER, message, pointer=where)
        elif isinstance(value, str) and check_mojibake and (why := find_mojibake(value)):
            raise SourceFormatError.of(DetailCode.ENCODING_MOJIBAKE, why, pointer=where)


def _json_shape(message: str, pointer: str) -> SourceFormatError:
    return SourceFormatError.of(DetailCode.JSON_BAD_SHAPE, message, pointer=pointer)


# --- the markup reader, shared with the SOAP envelope -----------------------------------------

CHUNK_SIZE = 64 * 1024
MAX_TOKEN_CHARS = 4 * 2**20
_XML_DECLARATION = re.compile(
    r"""<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1"""
    r"""[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._\-]{0,39})\2"""
)
_TRUNCATION_ERRORS = frozenset(
    pyexpat.errors.codes[message]
    for message in (
        pyexpat.errors.XML_ERROR_NO_ELEMENTS,
        pyexpat.errors.XML_ERROR_UNCLOSED_TOKEN,
        pyexpat.errors.XML_ERROR_PARTIAL_CHAR,
        pyexpat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
)


class XmlSink(Protocol):
    """Receives the events of one document. Names are "namespace-uri local-name", or "local-name"."""

    def start(self, name: str, attrs: Mapping[str, str], line: int) -> None: ...

    def end(self, name: str) -> None: ...

    def text(self, data: str) -> None: ...


def local_name(name: str) -> str:
    return name.rpartition(" ")[2]


def feed_xml(
    stream: BinaryIO,
    sink: XmlSink,
    *,
    max_bytes: int,
    encoding: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[None]:
    """Feeds the document to `sink` in chunks, yielding after each so the caller can drain the sink.

    `encoding` forces a codec, ignoring the BOM and the declaration.
    """
    head = stream.read(chunk_size)
    if not head:
        raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty XML document")
    codec, skip = _choose_codec(head, encoding)
    decoder = StrictDecoder(codec, offset=skip)
    reader = _GuardedExpat(sink)
    chunk, total, blank = head[skip:], len(head), True
    while chunk:
        if total > max_bytes:
            raise SourceFormatError.of(DetailCode.XML_TOO_LARGE, f"XML larger than {max_bytes} bytes")
        text = decoder.decode(chunk)
        blank = blank and (not text or text.isspace())
        reader.parse(text, final=False, blank=blank)
        yield
        chunk = stream.read(chunk_size)
        total += len(chunk)
    reader.parse(decoder.decode(b"", final=True), final=True, blank=blank)
    yield


def _choose_codec(head: bytes, forced: str | None) -> tuple[str, int]:
    """The codec of the document, and how many leading bytes (a UTF-8 BOM) to skip."""
    utf8_bom = head.startswith(codecs.BOM_UTF8)
    if forced is not None:
        codec = resolve_codec(forced)
        return codec, len(codecs.BOM_UTF8) if utf8_bom and codec == "utf-8" else 0
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        implied, skip, prolog = "utf-16", 0, head[:512].decode("utf-16", errors="replace")
    else:
        implied, skip = "utf-8", len(codecs.BOM_UTF8) if utf8_bom else 0
        prolog = head[skip : skip + 256].decode("latin-1")
    match = _XML_DECLARATION.match(prolog)
    if match is None:
        return implied, skip
    declared = resolve_codec(match.group(3))
    if (implied == "utf-16") != declared.startswith("utf-16") or (utf8_bom and declared != "utf-8"):
        raise SourceFormatError.of(
            DetailCode.ENCODING_MISMATCH,
            f"the document declares {match.group(3)} but its first bytes say {implied}",
            offset=0,
        )
    return implied if implied == "utf-16" else declared, skip


class _GuardedExpat:
    """Expat with every DTD path closed and a bound on how much text one markup token may span."""

    def __init__(self, sink: XmlSink) -> None:
        parser = pyexpat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.buffer_size = CHUNK_SIZE
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.EndDoctypeDeclHandler = self._end_doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._other
        parser.ProcessingInstructionHandler = self._other
        self._parser, self._sink = parser, sink
        self._fed = self._last_event = 0

    def parse(self, text: str, *, final: bool, blank: bool) -> None:
        self._fed += len(text)
        try:
            self._parser.Parse(text, final)
        except pyexpat.ExpatError as exc:
            if final and blank:
                raise SourceFormatError.of(DetailCode.FILE_EMPTY, "XML document without content") from exc
            truncated = final and exc.code in _TRUNCATION_ERRORS
            code = DetailCode.XML_TRUNCATED if truncated else DetailCode.XML_MALFORMED
            message = f"{'truncated' if truncated else 'malformed'} XML: {pyexpat.ErrorString(exc.code)}"
            raise SourceFormatError.of(code, message, line=exc.lineno, column=exc.offset) from exc
        if self._fed - self._last_event > MAX_TOKEN_CHARS:
            message = f"a markup token spans over {MAX_TOKEN_CHARS} characters"
            raise self._refuse(DetailCode.XML_MARKUP_TOO_LARGE, message)

    def _doctype(self, name: str, system_id: str | None, public_id: str | None, internal_subset: int) -> None:
        # An internal subset is read on until its first declaration, to name the attack precisely;
        # nothing it declares is ever used, since the whole document is refused.
        if system_id or public_id or not internal_subset:
            raise self._refuse(DetailCode.XML_FORBIDDEN_DTD, "DOCTYPE declarations are not accepted")

    def _entity(
        self,
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        if system_id or public_id:
            raise self._refuse(DetailCode.XML_EXTERNAL_ENTITY, f"external entity {shorten(name)!r} refused")
        raise self._refuse(DetailCode.XML_ENTITY_EXPANSION, f"entity {shorten(name)!r} may expand")

    def _end_doctype(self) -> None:
        raise self._refuse(DetailCode.XML_FORBIDDEN_DTD, "DOCTYPE declarations are not accepted")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self._last_event = self._fed
        self._sink.start(name, attrs, self._parser.CurrentLineNumber)

    def _end(self, name: str) -> None:
        self._last_event = self._fed
        self._sink.end(name)

    def _text(self, data: str) -> None:
        self._last_event = self._fed
        self._sink.text(data)

    def _other(self, *_: object) -> None:
        self._last_event = self._fed

    def _refuse(self, code: DetailCode, message: str) -> SourceFormatError:
        return SourceFormatError.of(code, message, line=self._parser.CurrentLineNumber)
