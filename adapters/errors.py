"""Failures of the source-format layer: unreadable bytes, hostile markup, wrong encodings.

Every failure carries one or more details `{pointer, code, message}` whose `code` is a member of
`DetailCode`. Those codes are a public contract: never rename or reuse one. Details may also carry
`line`, `column` or `offset` (a byte offset into the input) when the position is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schemas.errors import AdapterError


class DetailCode(StrEnum):
    FILE_EMPTY = "file.empty"
    FILE_TOO_LARGE = "file.too_large"
    FILE_UNSEEKABLE = "file.unseekable"

    ENCODING_MISMATCH = "encoding.undeclared_mismatch"
    ENCODING_UNDETECTABLE = "encoding.undetectable"
    ENCODING_UNSUPPORTED = "encoding.unsupported"
    ENCODING_MOJIBAKE = "encoding.mojibake"

    XML_FORBIDDEN_DTD = "xml.forbidden_dtd"
    XML_ENTITY_EXPANSION = "xml.entity_expansion"
    XML_EXTERNAL_ENTITY = "xml.external_entity"
    XML_MALFORMED = "xml.malformed"
    XML_TRUNCATED = "xml.truncated"
    XML_TOO_LARGE = "xml.too_large"
    XML_MARKUP_TOO_LARGE = "xml.markup_too_large"
    XML_RECORD_TOO_LARGE = "xml.record_too_large"
    XML_TOO_DEEP = "xml.too_deep"
    XML_UNKNOWN_DATASET = "xml.unknown_dataset"
    XML_MIXED_DATASETS = "xml.mixed_datasets"
    XML_NO_RECORDS = "xml.no_records"
    XML_BAD_SHAPE = "xml.bad_shape"
    XML_UNEXPECTED_ATTRIBUTE = "xml.unexpected_attribute"

    JSON_MALFORMED = "json.malformed"
    JSON_TOO_LARGE = "json.too_large"
    JSON_BAD_SHAPE = "json.bad_shape"
    JSON_UNKNOWN_DATASET = "json.unknown_dataset"
    JSON_NO_RECORDS = "json.no_records"
    JSON_IMPRECISE_NUMBER = "json.imprecise_number"

    SOAP_MALFORMED = "soap.malformed"
    SOAP_MISSING_PARAM = "soap.missing_param"
    SOAP_DUPLICATE_PARAM = "soap.duplicate_param"
    SOAP_UNKNOWN_PARAM = "soap.unknown_param"
    SOAP_PARAM_TOO_LONG = "soap.param_too_long"
    SOAP_BAD_SERIAL_NUMBER = "soap.bad_serial_number"
    SOAP_BAD_TIME = "soap.bad_time"
    SOAP_DATASET_MISMATCH = "soap.dataset_mismatch"

    CSV_NO_HEADER = "csv.no_header"
    CSV_RAGGED_ROW = "csv.ragged_row"
    CSV_MALFORMED = "csv.malformed"

    EXCEL_UNREADABLE = "excel.unreadable"
    EXCEL_LEGACY_FORMAT = "excel.legacy_format"
    EXCEL_ZIP_BOMB = "excel.zip_bomb"
    EXCEL_FORBIDDEN_DTD = "excel.forbidden_dtd"
    EXCEL_UNKNOWN_SHEET = "excel.unknown_sheet"
    EXCEL_NO_HEADER = "excel.no_header"
    EXCEL_RAGGED_ROW = "excel.ragged_row"

    HEADER_BLANK = "header.blank"
    HEADER_DUPLICATE = "header.duplicate"
    HEADER_MISSING = "header.missing_required"
    HEADER_UNKNOWN = "header.unknown"


@dataclass(frozen=True)
class Problem:
    """One problem located in the input; the per-row error item of tabular readers."""

    code: DetailCode
    message: str
    pointer: str = ""
    line: int | None = None

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"pointer": self.pointer, "code": str(self.code), "message": self.message}
        if self.line is not None:
            detail["line"] = self.line
        return detail


class SourceFormatError(AdapterError):
    """The source bytes cannot be read as the format they claim to be."""

    code = "source.unreadable"
    status = 422

    @classmethod
    def of(cls, code: DetailCode, message: str, *, pointer: str = "", **position: int) -> SourceFormatError:
        """One-detail error; `position` is line=, column= and/or offset= when known."""
        return cls(message, details=[{"pointer": pointer, "code": str(code), "message": message, **position}])

    @classmethod
    def from_problems(cls, message: str, problems: list[Problem]) -> SourceFormatError:
        return cls(message, details=[problem.as_detail() for problem in problems])

    @property
    def detail_code(self) -> str:
        """The code of the first detail: the most specific description of the failure."""
        return str(self.details[0]["code"]) if self.details else self.code


def shorten(text: str, limit: int = 64) -> str:
    """Names taken from hostile input are cut before they go into a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
