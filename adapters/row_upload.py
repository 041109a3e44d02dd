"""Uploads of flat records (JSON, CSV, XML) cut into rows, for sources whose items are table rows.

The credit and construction-market sources send the same kind of data in three containers:

- JSON: a list of row objects, `{"records": [...]}`, or `{"dataset": "<code>", "records": [...]}`;
  UTF-8 only (a BOM is tolerated). A member that is not an object is refused on its own.
- CSV: read by `adapters.tabular.read_csv` (UTF-8, GBK/GB18030 or UTF-16, detected explicitly).
- XML: read by `adapters.xml_source.parse_dataset`; the root element names the dataset.

The container is chosen by the file extension, then the media type, then the first byte. Each row
keeps a `raw` form for quarantine: its JSON serialisation (JSON and XML) or the CSV header and that
record re-written as UTF-8 CSV; `ref` says exactly where the row sits in the upload.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from adapters.base import RawItem, RejectedItem, reason
from adapters.errors import DetailCode, SourceFormatError, shorten
from adapters.tabular import Table, read_csv
from adapters.xml_source import parse_dataset

Container = Literal["json", "csv", "xml"]

MAX_UPLOAD_BYTES = 64 * 2**20
_EXTENSIONS: dict[str, Container] = {".json": "json", ".csv": "csv", ".txt": "csv", ".xml": "xml"}
_MEDIA_TYPES: dict[str, Container] = {
    "application/json": "json",
    "text/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/xml": "xml",
    "text/xml": "xml",
}
_WRAPPER_KEYS = frozenset({"dataset", "records"})


@dataclass(frozen=True, slots=True)
class UploadRow:
    ref: str
    pointer: str  # where the row sits: "/records/3" or "/line/17"
    declared: str | None  # dataset named by the document (JSON "dataset", XML root), if any
    row: Any  # a mapping of source field names for every container; JSON may give anything
    raw: bytes


@dataclass(frozen=True, slots=True)
class UploadProblem:
    ref: str
    raw: bytes
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class RowSource:
    """What an adapter tells the splitter about its datasets.

    `classify` names the one dataset a set of field names belongs to (or None); `same_fields` maps a
    dataset to the one its rows look like (a revocation row looks like any blacklist row);
    `template` maps a CSV header that is not field codes (Chinese template headers) to a dataset
    and field names, or returns None.
    """

    area: str
    datasets: Collection[str]
    classify: Callable[[Iterable[str]], str | None]
    same_fields: Mapping[str, str] = field(default_factory=dict)
    template: Callable[[Sequence[str]], tuple[str, list[str]] | None] = lambda _header: None

    def split(self, data: bytes, *, filename: str, content_type: str) -> Iterator[RawItem | RejectedItem]:
        label = filename or "upload"
        container = container_of(data, filename=filename, content_type=content_type)
        if container == "json":
            rows: Iterator[UploadRow | UploadProblem] = read_json_rows(
                data, datasets=self.datasets, label=label
            )
        elif container == "xml":
            rows = read_xml_rows(data, datasets=self.datasets, label=label)
        else:
            rows = self._csv(data, label)
        for row in rows:
            yield self._item(row)

    def _csv(self, data: bytes, label: str) -> Iterator[UploadRow | UploadProblem]:
        table = read_csv(data, max_bytes=MAX_UPLOAD_BYTES)
        recognised = self.template(table.header)
        if recognised is None:
            columns = [name.upper() for name in table.header]
            dataset = self.classify(columns)
            if dataset is None:
                message = f"the header names no single {self.area} dataset"
                raise SourceFormatError(
                    message, details=[reason(f"{self.area}.unknown_dataset", message, "/header")]
                )
            recognised = (dataset, columns)
        dataset, columns = recognised
        yield from csv_rows(table, columns, dataset=dataset, label=label)

    def _item(self, row: UploadRow | UploadProblem) -> RawItem | RejectedItem:
        if isinstance(row, UploadProblem):
            return RejectedItem(row.ref, row.raw, (row.detail,))
        shown = self.classify(row.row)
        if row.declared is None:
            if shown is None:
                message = f"the fields name no single {self.area} dataset"
                return RejectedItem(
                    row.ref, row.raw, (reason(f"{self.area}.unknown_dataset", message, row.pointer),)
                )
            return RawItem(row.ref, shown, row.row, row.raw)
        if shown is not None and shown != self.same_fields.get(row.declared, row.declared):
            message = f"fields of {shown} in a {row.declared} document"
            return RejectedItem(
                row.ref, row.raw, (reason(f"{self.area}.dataset_mismatch", message, row.pointer),)
            )
        return RawItem(row.ref, row.declared, row.row, row.raw)


def container_of(data: bytes, *, filename: str = "", content_type: str = "") -> Container:
    lowered = filename.lower()
    for extension, container in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return container
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _MEDIA_TYPES:
        return _MEDIA_TYPES[media]
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "json"
    return "xml" if head == b"<" else "csv"


def read_json_rows(
    data: bytes, *, datasets: Collection[str], label: str
) -> Iterator[UploadRow | UploadProblem]:
    """Rows of a JSON upload; the whole document is refused when its shape or dataset is wrong."""
    if not data.strip():
        raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty JSON document")
    if len(data) > MAX_UPLOAD_BYTES:
        raise SourceFormatError.of(DetailCode.JSON_TOO_LARGE, f"JSON larger than {MAX_UPLOAD_BYTES} bytes")
    document = _load_json(data)
    declared: str | None = None
    if isinstance(document, dict):
        if not document.keys() <= _WRAPPER_KEYS or "records" not in document:
            raise _bad_shape(
                'expected a list of records, {"records": [...]} or {"dataset": ..., "records": [...]}'
            )
        if "dataset" in document:
            declared = document["dataset"]
            if not isinstance(declared, str) or declared not in datasets:
                message = f"unknown dataset {shorten(str(declared))!r}; known: {', '.join(sorted(datasets))}"
                raise SourceFormatError.of(DetailCode.JSON_UNKNOWN_DATASET, message, pointer="/dataset")
        records, base = document["records"], "/records"
    else:
        records, base = document, ""
    if not isinstance(records, list):
        raise _bad_shape("records must be a list of objects", base)
    if not records:
        raise SourceFormatError.of(DetailCode.JSON_NO_RECORDS, "no records", pointer=base)
    for index, record in enumerate(records):
        pointer, ref = f"{base}/{index}", f"{label}#{index}"
        raw = orjson.dumps(record)
        if isinstance(record, dict):
            yield UploadRow(ref, pointer, declared, record, raw)
        else:
            message = "a record is not an object"
            yield UploadProblem(
                ref, raw, {"pointer": pointer, "code": str(DetailCode.JSON_BAD_SHAPE), "message": message}
            )


def csv_rows(
    table: Table, columns: Sequence[str], *, dataset: str, label: str
) -> Iterator[UploadRow | UploadProblem]:
    """Rows of a CSV table keyed by `columns` (the header mapped to field names, in header order)."""
    for row in table.rows():
        ref, pointer = f"{label}:line {row.line}", f"/line/{row.line}"
        if row.values is None:
            problem = (
                row.error.as_detail()
                if row.error is not None
                else {"pointer": pointer, "code": "csv.malformed"}
            )
            yield UploadProblem(ref, _csv_bytes(table.header, row.cells), problem)
            continue
        cells = list(row.values.values())
        row_values = dict(zip(columns, cells, strict=True))
        yield UploadRow(ref, pointer, dataset, row_values, _csv_bytes(table.header, cells))


def read_xml_rows(data: bytes, *, datasets: Collection[str], label: str) -> Iterator[UploadRow]:
    code, rows = parse_dataset(data, accepted=datasets, max_bytes=MAX_UPLOAD_BYTES)
    for index, row in enumerate(rows):
        yield UploadRow(f"{label}#{index}", f"/{code}/{index}", code, row, orjson.dumps(row))


def _csv_bytes(header: Sequence[str], cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _load_json(data: bytes) -> Any:
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(data) - len(body)
        raise SourceFormatError.of(
            DetailCode.ENCODING_MISMATCH, f"JSON must be UTF-8; byte {offset} is not", offset=offset
        ) from exc
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SourceFormatError.of(
            DetailCode.JSON_MALFORMED, f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from exc


def _bad_shape(message: str, pointer: str = "") -> SourceFormatError:
    return SourceFormatError.of(DetailCode.JSON_BAD_SHAPE, message, pointer=pointer)
