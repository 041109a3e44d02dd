"""County trading-centre exports (CSV in GBK or UTF-8, xlsx) read as rows keyed by their header.

CSV encoding is chosen explicitly, and `Table.encoding.how` says how:

- "declared": the caller named the codec; bytes that do not decode are `encoding.undeclared_mismatch`.
- "bom": a UTF-8 or UTF-16 byte-order mark (Excel's "Unicode text" export is UTF-16).
- "utf-8-valid": the whole file decodes as UTF-8.
- "gb18030-detected": the file decodes as GB18030 (a superset of GBK and GB2312) and the text reads
  as Chinese: at least 90% of its first non-ASCII characters are GB2312 hanzi or punctuation.
  Big5, Shift-JIS or Latin-1 bytes read as GB18030 score far lower.

Anything else is `encoding.undetectable` (naming charset-normalizer's guess), never a silent guess.

`Table.rows()` streams `Row`s: a data row has `values`; a row that cannot be read (ragged, mojibake)
has `error` and keeps its raw `cells`, so the caller can quarantine it and go on. Failures that make
the rest of the file unreadable (broken quoting, a damaged sheet) raise `SourceFormatError`. Cell values
are always strings ("" when empty); Excel numbers and dates are rendered as text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Collection, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, BinaryIO

import charset_normalizer
import openpyxl

from adapters.errors import DetailCode, Problem, SourceFormatError, shorten

DEFAULT_MAX_BYTES = 512 * 2**20
DEFAULT_MAX_UNCOMPRESSED = 256 * 2**20
MAX_ZIP_ENTRIES = 4096
# Sheet XML compresses about 10-50 times; far beyond that is a bomb, not a spreadsheet.
MAX_COMPRESSION_RATIO = 250
_RATIO_CHECK_FLOOR = 2**20
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 256 * 1024
_SAMPLE_CHARS = 4096
_MIN_EVIDENCE = 6
_CHINESE_SHARE = 0.9


# --- text encodings (shared with adapters.xml_source) ------------------------------------------

# An allow-list: codecs.lookup also returns non-text codecs such as zlib_codec (a decompression bomb).
ALLOWED_CODECS: frozenset[str] = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ascii",
        "iso8859-1",
        "gb2312",
        "gbk",
        "gb18030",
    }
)


def resolve_codec(name: str) -> str:
    """Python's canonical name for an allowed codec, else `encoding.unsupported`."""
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        codec = ""
    codec = "utf-8" if codec == "utf-8-sig" else codec
    if codec not in ALLOWED_CODECS:
        message = f"encoding {shorten(name)!r} is not accepted"
        raise SourceFormatError.of(DetailCode.ENCODING_UNSUPPORTED, message)
    return codec


class StrictDecoder:
    """Incremental decoding that reports the absolute byte offset of the first undecodable byte."""

    def __init__(self, codec: str, *, offset: int = 0) -> None:
        self.codec = codec
        self._decoder = codecs.getincrementaldecoder(codec)("strict")
        self._offset = offset

    def decode(self, chunk: bytes, *, final: bool = False) -> str:
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            offset = self._offset - pending + exc.start
            raise SourceFormatError.of(
                DetailCode.ENCODING_MISMATCH, f"byte {offset} is not valid {self.codec}", offset=offset
            ) from exc
        self._offset += len(chunk)
        return text


_MOJIBAKE_MARKERS = ("\ufffd", "锟斤拷")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
# Decoders of the Windows-1252 family map the bytes cp1252 leaves undefined as Latin-1 does.
_CP1252_BYTE = {bytes([value]).decode("cp1252", errors="ignore"): value for value in range(0x80, 0xA0)}
_CP1252_BYTE.pop("", None)
_LATIN_RUN = re.compile("[\u0080-\u00ff" + "".join(map(re.escape, _CP1252_BYTE)) + "]{2,}")


def find_mojibake(text: str) -> str | None:
    """Why `text` reads as text decoded with the wrong codec, or None.

    Catches replacement characters, 锟斤拷 (U+FFFD twice, saved as UTF-8 then read as GBK), runs of
    Latin characters whose cp1252 bytes are UTF-8, and runs of non-ASCII characters whose GBK bytes
    are UTF-8 that reads as more common Chinese than the run itself.
    """
    if text.isascii():
        return None
    for marker in _MOJIBAKE_MARKERS:
        if marker in text:
            return f"text contains {marker!r}, the trace of an earlier failed decoding"
    for run in _LATIN_RUN.findall(text):
        if (repaired := _as_utf8(bytes(_CP1252_BYTE.get(char, ord(char)) for char in run), run)) is not None:
            return _misread(run, "cp1252", repaired)
    for run in _NON_ASCII_RUN.findall(text):
        # A GBK misreading of an odd number of UTF-8 bytes ends in a character that swallowed the
        # next byte; the run without it may still be repairable.
        for candidate in (run, run[:-1]) if len(run) > 2 else (run,):
            try:
                repaired = _as_utf8(candidate.encode("gbk"), candidate)
            except UnicodeEncodeError:
                break
            if repaired is not None and _chinese_share(repaired) > _chinese_share(candidate):
                return _misread(candidate, "gbk", repaired)
    return None


def _as_utf8(raw: bytes, original: str) -> str | None:
    try:
        repaired = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return repaired if repaired != original else None


def _misread(run: str, codec: str, repaired: str) -> str:
    return f"{shorten(run, 16)!r} is UTF-8 read as {codec}; it reads {shorten(repaired, 16)!r}"


def _chinese_share(text: str) -> float:
    others = [char for char in text if not char.isascii()]
    return sum(map(_is_common_chinese, others)) / len(others) if others else 0.0


def _is_common_chinese(char: str) -> bool:
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    # GB2312 rows 1-3 are punctuation and full-width forms; 16-87 (lead bytes B0-F7) are hanzi.
    return 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7


@dataclass(frozen=True)
class DetectedEncoding:
    codec: str
    how: str  # "declared", "bom", "utf-8-valid" or "gb18030-detected"


def detect_encoding(
    stream: BinaryIO, *, declared: str | None, max_bytes: int
) -> tuple[DetectedEncoding, int]:
    """The encoding of the whole seekable stream, and the offset where its text starts."""
    start = stream.tell()
    head = stream.read(3)
    utf8_bom = head.startswith(codecs.BOM_UTF8)
    if declared is not None:
        codec = resolve_codec(declared)
        if utf8_bom and codec != "utf-8":
            message = f"declared {codec}, but the file starts with a UTF-8 BOM"
            raise SourceFormatError.of(DetailCode.ENCODING_MISMATCH, message, offset=0)
        begin = start + (3 if utf8_bom else 0)
        _validate(stream, codec, begin, max_bytes)
        return DetectedEncoding(codec, "declared"), begin
    if utf8_bom:
        _validate(stream, "utf-8", start + 3, max_bytes)
        return DetectedEncoding("utf-8", "bom"), start + 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _validate(stream, "utf-16", start, max_bytes)
        return DetectedEncoding("utf-16", "bom"), start
    try:
        _validate(stream, "utf-8", start, max_bytes)
        return DetectedEncoding("utf-8", "utf-8-valid"), start
    except SourceFormatError as not_utf8:
        if not_utf8.detail_code != DetailCode.ENCODING_MISMATCH:
            raise
    try:
        sample = _validate(stream, "gb18030", start, max_bytes)
    except SourceFormatError as not_gb18030:
        if not_gb18030.detail_code != DetailCode.ENCODING_MISMATCH:
            raise
        raise _undetectable(stream, start, "neither UTF-8 nor GB18030") from not_gb18030
    if len(sample) < _MIN_EVIDENCE or _chinese_share(sample) < _CHINESE_SHARE:
        raise _undetectable(stream, start, "it decodes as GB18030 but does not read as Chinese")
    return DetectedEncoding("gb18030", "gb18030-detected"), start


def _validate(stream: BinaryIO, codec: str, offset: int, max_bytes: int) -> str:
    """Decodes from `offset` to the end; returns a sample of the first non-ASCII characters."""
    stream.seek(offset)
    decoder, size, sample = StrictDecoder(codec, offset=offset), 0, ""
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise SourceFormatError.of(DetailCode.FILE_TOO_LARGE, f"file larger than {max_bytes} bytes")
        text = decoder.decode(chunk)
        for match in _NON_ASCII.finditer(text) if len(sample) < _SAMPLE_CHARS else ():
            sample += match.group()
            if len(sample) >= _SAMPLE_CHARS:
                break
    decoder.decode(b"", final=True)
    if not size:
        raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty file")
    return sample[:_SAMPLE_CHARS]


def _undetectable(stream: BinaryIO, start: int, why: str) -> SourceFormatError:
    stream.seek(start)
    guess = charset_normalizer.from_bytes(stream.read(64 * 1024)).best()
    hint = f"; it may be {guess.encoding}" if guess is not None else ""
    return SourceFormatError.of(
        DetailCode.ENCODING_UNDETECTABLE, f"cannot tell the encoding: {why}{hint}. Declare the encoding."
    )


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int  # CSV: the line where the record starts; xlsx: the sheet row number
    values: dict[str, str] | None
    error: Problem | None = None
    cells: tuple[str, ...] = ()


class Table:
    """A header and its rows; `rows()` may be called again and starts from the first row each time."""

    def __init__(
        self,
        *,
        header: list[str],
        header_line: int,
        encoding: DetectedEncoding | None,
        rows: Callable[[], Iterator[Row]],
    ) -> None:
        self.header, self.header_line, self.encoding = header, header_line, encoding
        self._rows = rows

    def rows(self) -> Iterator[Row]:
        return self._rows()


Records = Callable[[], Generator[tuple[int, list[str]], None, None]]


@dataclass(frozen=True)
class _Kind:
    no_header: DetailCode
    ragged: DetailCode
    pad_short_rows: bool  # xlsx rows end at their last filled cell; CSV rows must be complete


_CSV = _Kind(DetailCode.CSV_NO_HEADER, DetailCode.CSV_RAGGED_ROW, pad_short_rows=False)
_XLSX = _Kind(DetailCode.EXCEL_NO_HEADER, DetailCode.EXCEL_RAGGED_ROW, pad_short_rows=True)


def _table(
    records: Records, kind: _Kind, *, skip_rows: int, encoding: DetectedEncoding | None, check_mojibake: bool
) -> Table:
    source = records()
    try:
        found = next(_header_and_rows(source, skip_rows), None)
    finally:
        source.close()
    header = [cell.strip().lstrip("\ufeff").strip() for cell in found[1]] if found else []
    while header and not header[-1]:
        header.pop()
    if found is None or not header:
        raise SourceFormatError.of(kind.no_header, "no header row")
    header_line = found[0]
    _check_header(header, header_line)

    def rows() -> Iterator[Row]:
        items = _header_and_rows(records(), skip_rows)
        next(items)
        for line, cells in items:
            yield _row(line, header, cells, kind, check_mojibake=check_mojibake)

    return Table(header=header, header_line=header_line, encoding=encoding, rows=rows)


def _header_and_rows(
    records: Iterator[tuple[int, list[str]]], skip_rows: int
) -> Iterator[tuple[int, list[str]]]:
    """The header record, then the data records; records of blank cells only are left out."""
    for index, (line, cells) in enumerate(records):
        if index >= skip_rows and any(cell.strip() for cell in cells):
            yield line, cells


def _check_header(header: list[str], line: int) -> None:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(header):
        if not name:
            problems.append(
                Problem(DetailCode.HEADER_BLANK, f"column {index + 1} has no name", f"/header/{index}", line)
            )
        elif name in seen:
            problems.append(
                Problem(
                    DetailCode.HEADER_DUPLICATE,
                    f"column {shorten(name)!r} appears twice",
                    f"/header/{index}",
                    line,
                )
            )
        seen.add(name)
    if problems:
        raise SourceFormatError.from_problems("unusable header row", problems)


def _row(line: int, header: list[str], cells: list[str], kind: _Kind, *, check_mojibake: bool) -> Row:
    raw = tuple(cells)
    if kind.pad_short_rows and len(cells) < len(header):
        cells = cells + [""] * (len(header) - len(cells))
    if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
        message = f"{len(cells)} cells where the header has {len(header)}"
        return Row(line, None, Problem(kind.ragged, message, f"/line/{line}", line), raw)
    values = dict(zip(header, cells, strict=False))
    if check_mojibake:
        for name, value in values.items():
            if why := find_mojibake(value):
                problem = Problem(DetailCode.ENCODING_MOJIBAKE, why, f"/line/{line}/{name}", line)
                return Row(line, None, problem, raw)
    return Row(line, values, None, raw)


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(
    data: bytes | BinaryIO,
    *,
    encoding: str | None = None,
    delimiter: str = ",",
    skip_rows: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    check_mojibake: bool = True,
) -> Table:
    """A CSV table. The file is decoded once in full to settle the encoding, then streamed per row.

    `skip_rows` leaves out title records above the header. A stream must be seekable.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    if not stream.seekable():
        raise SourceFormatError.of(DetailCode.FILE_UNSEEKABLE, "the CSV stream must be seekable")
    detected, text_start = detect_encoding(stream, declared=encoding, max_bytes=max_bytes)

    def records() -> Generator[tuple[int, list[str]], None, None]:
        stream.seek(text_start)
        text = io.TextIOWrapper(stream, encoding=detected.codec, errors="strict", newline="")
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except csv.Error as exc:
            raise SourceFormatError.of(
                DetailCode.CSV_MALFORMED,
                f"unreadable CSV: {exc}",
                pointer=f"/line/{reader.line_num}",
                line=reader.line_num,
            ) from exc
        finally:
            text.detach()  # the caller owns the stream; closing the wrapper would close it

    return _table(records, _CSV, skip_rows=skip_rows, encoding=detected, check_mojibake=check_mojibake)


# --- xlsx --------------------------------------------------------------------------------------


def read_excel(
    data: bytes,
    *,
    sheet: str | None = None,
    skip_rows: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    check_mojibake: bool = True,
) -> Table:
    """A sheet of an xlsx workbook (the first one unless `sheet` names another), via openpyxl read-only.

    The zip directory is checked before openpyxl sees the bytes. Legacy .xls (and password-protected
    workbooks, which are OLE2 containers too) are refused: there is no safe reader for them here.
    """
    if not data:
        raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty file")
    if len(data) > max_bytes:
        raise SourceFormatError.of(DetailCode.FILE_TOO_LARGE, f"file larger than {max_bytes} bytes")
    if data.startswith(_OLE2_MAGIC):
        raise SourceFormatError.of(
            DetailCode.EXCEL_LEGACY_FORMAT, "legacy .xls or password-protected workbook; save it as .xlsx"
        )
    _check_archive(data, max_uncompressed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl raises whatever its parsers raise on a damaged workbook; none of it may escape raw.
    except Exception as exc:
        raise _unreadable(exc) from exc
    worksheets = {worksheet.title: worksheet for worksheet in workbook.worksheets}  # chart sheets left out
    name = sheet if sheet is not None else next(iter(worksheets), "")
    if name not in worksheets:
        raise SourceFormatError.of(DetailCode.EXCEL_UNKNOWN_SHEET, f"no worksheet named {shorten(name)!r}")
    worksheet = worksheets[name]

    def records() -> Generator[tuple[int, list[str]], None, None]:
        sheet_rows, line = worksheet.iter_rows(values_only=True), 0
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    values = next(sheet_rows, None)
            except Exception as exc:
                raise _unreadable(exc) from exc
            if values is None:
                return
            line += 1
            yield line, [_cell_text(value) for value in values]

    return _table(records, _XLSX, skip_rows=skip_rows, encoding=None, check_mojibake=check_mojibake)


def _check_archive(data: bytes, max_uncompressed: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _bomb(f"{len(entries)} archive entries")
            if (total := sum(entry.file_size for entry in entries)) > max_uncompressed:
                raise _bomb(f"{total} bytes uncompressed, over {max_uncompressed}")
            for entry in entries:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > _RATIO_CHECK_FLOOR and ratio > MAX_COMPRESSION_RATIO:
                    raise _bomb(f"{shorten(entry.filename)} expands {ratio:.0f} times")
            for entry in entries:
                if entry.filename.endswith((".xml", ".rels")):
                    with archive.open(entry) as part:
                        prolog = part.read(1024)
                    if b"<!DOCTYPE" in prolog or "<!DOCTYPE".encode("utf-16-le") in prolog:
                        raise SourceFormatError.of(
                            DetailCode.EXCEL_FORBIDDEN_DTD, f"{shorten(entry.filename)} declares a DOCTYPE"
                        )
    except SourceFormatError:
        raise
    except Exception as exc:  # zipfile's failures on hostile archives are varied; all mean unreadable
        raise _unreadable(exc) from exc


def _bomb(why: str) -> SourceFormatError:
    return SourceFormatError.of(DetailCode.EXCEL_ZIP_BOMB, f"refused as a zip bomb: {why}")


def _unreadable(exc: BaseException) -> SourceFormatError:
    message = f"not a readable xlsx workbook ({type(exc).__name__})"
    return SourceFormatError.of(DetailCode.EXCEL_UNREADABLE, message)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# --- header mapping ----------------------------------------------------------------------------


def map_headers(
    header: Sequence[str],
    mapping: Mapping[str, str],
    *,
    required: Collection[str] = (),
    allow_unknown: bool = False,
) -> dict[int, str]:
    """Column index → field name, from a per-source mapping of header text to field names.

    Headers match after NFKC normalisation with whitespace removed, so "中标金额（万元）" and
    "中标金额 (万元)" are one header. `required` lists field names. Every unknown column (unless
    allowed), every field given by two columns and every missing required field is reported at once.
    """
    by_key: dict[str, str] = {}
    for name, field_name in mapping.items():
        if by_key.setdefault(_header_key(name), field_name) != field_name:
            raise ValueError(f"the mapping sends two spellings of {name!r} to different fields")
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for index, name in enumerate(header):
        target = by_key.get(_header_key(name))
        if target is None:
            if not allow_unknown:
                message = f"column {shorten(name)!r} is not in the mapping"
                problems.append(Problem(DetailCode.HEADER_UNKNOWN, message, f"/header/{index}"))
        elif target in columns.values():
            message = f"a second column gives {target}"
            problems.append(Problem(DetailCode.HEADER_DUPLICATE, message, f"/header/{index}"))
        else:
            columns[index] = target
    for field_name in required:
        if field_name not in columns.values():
            names = "、".join(name for name, target in mapping.items() if target == field_name)
            message = f"no column gives {field_name} ({names or 'none mapped'})"
            problems.append(Problem(DetailCode.HEADER_MISSING, message, "/header"))
    if problems:
        raise SourceFormatError.from_problems("the header does not match the mapping", problems)
    return columns


def _header_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()
