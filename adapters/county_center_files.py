"""An uploaded county export as a table: CSV or xlsx, title rows skipped, each row's own bytes at hand.

The format comes from the file name (.csv/.txt, .xlsx/.xlsm/.xls), else the content type, else the
first bytes (a zip or OLE2 container is a workbook). A `charset` in the content type is a declared
encoding: bytes that do not decode in it are refused (`encoding.undeclared_mismatch`); without one
the encoding is detected by `adapters.tabular` and an undetectable one is refused, never guessed.

The bytes of a CSV row are its physical lines as they are in the file, in the file's encoding,
without the final line break (a quoted cell may span lines). An xlsx row has no bytes of its own:
its cells are given as one UTF-8 CSV line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from adapters.tabular import Row, Table, read_csv, read_excel

_CSV_SUFFIXES = (".csv", ".txt")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BYTE_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Upload:
    name: str  # the file's base name, NFC
    is_csv: bool
    table: Table
    titles: tuple[str, ...]  # one-cell rows above the header ("某某县公共资源交易中心中标结果公示汇总表")
    row_bytes: Callable[[Row], bytes]
    tail_bytes: Callable[[int], bytes]  # from a line to the end: what is left after broken quoting

    def ref(self, line: int) -> str:
        return f"{self.name}:line {line}" if self.is_csv else f"{self.name}:row {line}"


def base_name(filename: str) -> str:
    # Names from Windows senders keep backslashes; macOS senders write decomposed (NFD) names.
    return unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])


def read_upload(data: bytes, *, filename: str, content_type: str, max_title_rows: int) -> Upload:
    name = base_name(filename)
    is_csv = _is_csv(name, content_type, data)
    declared = _CHARSET.search(content_type)
    encoding = declared.group(1) if declared else None

    def read(skip: int) -> Table:
        if is_csv:
            return read_csv(data, encoding=encoding, skip_rows=skip)
        return read_excel(data, skip_rows=skip)

    titles: list[str] = []
    skip = 0
    table = read(skip)
    while len(table.header) == 1 and len(titles) < max_title_rows:
        titles.append(table.header[0])
        skip = max(skip + 1, table.header_line)
        table = read(skip)
    if not is_csv:
        return Upload(name, False, table, tuple(titles), _cells_as_csv, lambda _line: b"")
    codec = table.encoding.codec if table.encoding is not None else "utf-8"
    lines = _CsvLines(data, codec)
    return Upload(name, True, table, tuple(titles), lines.record_of, lines.tail)


def _is_csv(name: str, content_type: str, data: bytes) -> bool:
    lowered = name.casefold()
    if lowered.endswith(_CSV_SUFFIXES):
        return True
    if lowered.endswith(_EXCEL_SUFFIXES):
        return False
    media = content_type.casefold()
    if "spreadsheetml" in media or "ms-excel" in media:
        return False
    if "csv" in media or media.startswith("text/"):
        return True
    return not data.startswith(_WORKBOOK_MAGIC)


def span(row: Row) -> int:
    """How many physical lines a row takes: quoted cells may hold line breaks."""
    return 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in row.cells)


def _cells_as_csv(row: Row) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(row.cells)
    return buffer.getvalue().encode("utf-8")


class _CsvLines:
    """The physical lines of a CSV upload, split where `csv` over a universal-newline text splits."""

    def __init__(self, data: bytes, codec: str) -> None:
        self._lines: list[tuple[bytes, bytes]] = []  # (content, line break)
        if codec.startswith("utf-16"):
            # 0x0A and 0x0D occur inside UTF-16 code units: split the text, then encode each line.
            if codec == "utf-16":
                codec = "utf-16-be" if data.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
                data = data[2:]
            text = data.decode(codec)
            self._split(text, _LINE_BREAK, lambda part: part.encode(codec))
        else:
            # In UTF-8 and the GB encodings a byte below 0x30 is always an ASCII character.
            self._split(data.removeprefix(codecs.BOM_UTF8), _BYTE_LINE_BREAK, lambda part: part)

    def _split(self, content: str | bytes, breaks: re.Pattern, encode: Callable) -> None:
        position = 0
        for found in breaks.finditer(content):
            self._lines.append((encode(content[position : found.start()]), encode(found.group())))
            position = found.end()
        if position < len(content):
            self._lines.append((encode(content[position:]), b""))

    def tail(self, line: int) -> bytes:
        return b"".join(content + brk for content, brk in self._lines[line - 1 :])

    def record_of(self, row: Row) -> bytes:
        lines = self._lines[row.line - 1 : row.line - 1 + span(row)]
        return b"".join(content + brk for content, brk in lines[:-1]) + (lines[-1][0] if lines else b"")
