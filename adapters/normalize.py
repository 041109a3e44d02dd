"""Normalization rules shared by every source adapter: money, times, text and codes.

All functions are pure. Bad input raises `AdapterError` whose single detail carries a stable
`normalize.*` code and the JSON pointer the caller passes in, so the record can be quarantined
with a reason. Messages never echo the offending value: the raw record is kept beside it.

Text policy: `clean_text` is for prose and names (NFC, invisible characters removed, whitespace
collapsed) and leaves full-width characters alone, because full-width punctuation is correct in
Chinese prose. `clean_code` is for identifiers and codes: it also folds full-width ASCII to
half-width, folds dash variants to "-", removes all whitespace and upper-cases.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Context, Decimal, Inexact, InvalidOperation

from schemas.errors import AdapterError


def _fail(code: str, message: str, pointer: str) -> AdapterError:
    return AdapterError(message, details=[{"pointer": pointer, "code": code, "message": message}])


# --- text -------------------------------------------------------------------------------------

# BOM, zero-width space/joiners, word joiner, soft hyphen, Mongolian vowel separator.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad\u180e"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"), "-")
_CODE_TABLE = str.maketrans(_FULLWIDTH_TO_ASCII | _DASHES | _INVISIBLE)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC, drop BOM/zero-width/control characters, collapse whitespace, trim.

    With `multiline`, line breaks survive (CRLF → LF, at most one blank line in a row) and
    whitespace is collapsed within each line; otherwise every whitespace run becomes one space.
    """
    text = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        return " ".join(text.split())
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_code(value: str, *, keep_hyphens: bool = True) -> str:
    """Identifier form: full-width → half-width, dashes → "-", no whitespace, upper case.

    Hyphens are kept by default because some identifiers contain them (组织机构代码 XXXXXXXX-X,
    投资项目代码); pass keep_hyphens=False for codes that never do (USCC, ID card numbers).
    """
    text = unicodedata.normalize("NFC", value).translate(_CODE_TABLE)
    text = "".join(text.split()).upper()
    return text if keep_hyphens else text.replace("-", "")


_MOJIBAKE_MARKERS = ("\ufffd", "锟斤拷", "烫烫烫", "屯屯屯", "????")
# What a single-byte decoding makes of bytes >= 0x80: latin-1 letters and symbols, C1 controls,
# and the characters cp1252 puts at 0x80-0x9F.
_SINGLE_BYTE_RUN = re.compile("[\u0080-\u00ff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]{2,}")
_LATIN1_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Runs of three or more non-ASCII characters: shorter ones re-encode to valid UTF-8 by chance.
_WIDE_RUN = re.compile(r"[^\x00-\x7f\s]{3,}")
_CHINESE_TEXT = re.compile(f"[{_HAN}\u3000-\u303f\uff00-\uffef]+")


def detect_mojibake(text: str) -> bool:
    """Heuristic: True when `text` looks decoded with the wrong charset, for quarantine.

    Flags replacement characters and their GBK rendering 锟斤拷, debug fill (烫烫烫), lossy "????",
    UTF-8 read as cp1252/latin-1 ("ä¸­æ–‡", "Ã©"), GBK read as latin-1 ("ÖÐÎÄ") and UTF-8 read
    as GBK ("鎷涙爣" for 招标). Accented names ("Müller") and Chinese prose with ×, ·, “” or —— pass.
    """
    if any(marker in text for marker in _MOJIBAKE_MARKERS):
        return True
    for run in _SINGLE_BYTE_RUN.findall(text):
        raw = _single_byte_encoding(run)
        if raw is None:
            continue
        # A run that is valid multi-byte UTF-8 never occurs in genuine latin-1 text.
        if _decodes(raw, "utf-8") is not None:
            return True
        # Both bytes of a GBK character are >= 0x81, so GBK read as latin-1 is dense in letters.
        decoded = _decodes(raw, "gbk")
        if len(_LATIN1_LETTER.findall(run)) >= 2 and decoded and _CHINESE_TEXT.fullmatch(decoded):
            return True
    for run in _WIDE_RUN.findall(text):
        try:
            decoded = _decodes(run.encode("gbk"), "utf-8")
        except UnicodeEncodeError:
            continue
        if decoded and _CHINESE_TEXT.fullmatch(decoded):
            return True
    return False


def _single_byte_encoding(run: str) -> bytes | None:
    for encoding in ("cp1252", "latin-1"):
        try:
            return run.encode(encoding)
        except UnicodeEncodeError:
            continue
    return None


def _decodes(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


# --- money ------------------------------------------------------------------------------------

# Units seen in trading data, with the power of ten that turns them into 元. Standard records
# store 万元 (DOMAIN §3.2); notices and spreadsheets also write bare 万 / 亿 and CNY / RMB.
_UNIT_SCALE: dict[str, tuple[str, int]] = {
    "元": ("元", 0),
    "人民币元": ("元", 0),
    "元人民币": ("元", 0),
    "CNY": ("元", 0),
    "RMB": ("元", 0),
    "万元": ("万元", 4),
    "万": ("万元", 4),
    "人民币万元": ("万元", 4),
    "万元人民币": ("万元", 4),
    "亿元": ("亿元", 8),
    "亿": ("亿元", 8),
    "人民币亿元": ("亿元", 8),
}
_UNIT_BRACKETS = "()（）[]【】"
_AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:E[+-]?\d{1,3})?", re.ASCII)
_GROUPED_AMOUNT = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_MAX_AMOUNT_TEXT = 64
_NOT_FINITE = frozenset({"NAN", "SNAN", "INF", "INFINITY"})
# Anything beyond 10^20 元 or finer than 10^-20 元 is a corrupt value, never a real amount.
_MAX_MAGNITUDE = 20
# Wide enough for any accepted amount, and trapping so that a rounding can never pass silently.
_EXACT = Context(prec=100, traps=[InvalidOperation, Inexact])


def to_yuan(
    value: str | int | Decimal, unit: str, *, pointer: str = "", allow_negative: bool = False
) -> dict[str, str]:
    """Standard money object {"yuan", "source_value", "source_unit"} with exact decimal arithmetic.

    `yuan` is canonical: plain notation, no exponent, trailing fractional zeros removed ("1234500",
    "12.5", "0"). `source_value` is the amount as the source wrote it, in plain notation with
    thousands separators and a leading "+" removed but its own precision kept ("123.450").
    `source_unit` is the canonical name of the source unit (元, 万元 or 亿元).
    """
    canonical_unit, scale = _parse_unit(unit, pointer)
    amount = _parse_amount(value, pointer)
    if amount.is_signed() and amount != 0 and not allow_negative:
        raise _fail("normalize.money.negative", "negative amount", pointer)
    if amount != 0 and not -_MAX_MAGNITUDE <= amount.adjusted() + scale <= _MAX_MAGNITUDE:
        raise _fail("normalize.money.out_of_range", "amount magnitude out of range", pointer)
    if len(amount.as_tuple().digits) > _MAX_AMOUNT_TEXT:
        raise _fail("normalize.money.invalid", "amount has too many digits", pointer)
    return {
        "yuan": _plain(amount.scaleb(scale, _EXACT).normalize(_EXACT)),
        "source_value": _plain(amount),
        "source_unit": canonical_unit,
    }


def _parse_unit(unit: str, pointer: str) -> tuple[str, int]:
    key = clean_code(unit).strip(_UNIT_BRACKETS) if isinstance(unit, str) else ""
    found = _UNIT_SCALE.get(key)
    if found is None:
        raise _fail("normalize.money.unit", "unknown money unit", pointer)
    return found


def _parse_amount(value: object, pointer: str) -> Decimal:
    if isinstance(value, (bool, float)):
        # A float has already lost the source's decimal digits; adapters pass the source text.
        raise _fail("normalize.money.type", "amounts must be given as text, int or Decimal", pointer)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _fail("normalize.money.not_finite", "amount is NaN or infinite", pointer)
        return value
    if not isinstance(value, str):
        raise _fail("normalize.money.type", "amounts must be given as text, int or Decimal", pointer)
    text = unicodedata.normalize("NFC", value).translate(_CODE_TABLE).strip().lstrip("¥￥").upper()
    if not text or len(text) > _MAX_AMOUNT_TEXT:
        raise _fail("normalize.money.invalid", "amount is empty or too long", pointer)
    if "," in text:
        if not _GROUPED_AMOUNT.fullmatch(text):
            raise _fail("normalize.money.invalid", "misplaced thousands separator", pointer)
        text = text.replace(",", "")
    if not _AMOUNT.fullmatch(text):
        if text.lstrip("+-") in _NOT_FINITE:
            raise _fail("normalize.money.not_finite", "amount is NaN or infinite", pointer)
        raise _fail("normalize.money.invalid", "amount is not a decimal number", pointer)
    return Decimal(text)


def _plain(amount: Decimal) -> str:
    # "-0" is an artefact of the arithmetic, never a meaningful amount.
    text = format(amount.copy_abs() if amount == 0 else amount, "f")
    return text[1:] if text.startswith("+") else text


# --- dates and times --------------------------------------------------------------------------

_SEPARATED = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r" ?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
_COMPACT = re.compile(
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2}))?", re.ASCII
)
_CHINESE = re.compile(
    r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"
    r"(?: ?(?P<H>\d{1,2})"
    r"(?:[时点](?:(?P<M>\d{1,2})分(?:(?P<S>\d{1,2})秒)?)?|:(?P<M2>\d{2})(?::(?P<S2>\d{2}))?))?",
    re.ASCII,
)
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{2})(?::?(?P<m>\d{2}))?", re.ASCII)
_RFC3339_OFFSET = re.compile(r"[+-]\d{2}:\d{2}", re.ASCII)
_MIDNIGHT = datetime.min.time()


def to_rfc3339(
    value: str | datetime | date, *, tz: str = "+08:00", pointer: str = "", allow_date_only: bool = False
) -> str:
    """RFC 3339 timestamp with a numeric offset, e.g. "2026-11-22T10:00:00+08:00".

    Accepts "2026-11-22 10:00:00", "2026/11/22 10:00", "2026-11-22T10:00:00.000", ISO with "Z" or
    an offset, "20261122100000" (VERSIONNUMBER), "2026年11月22日 10时00分" / "2026年11月22日10:00",
    and datetime objects (spreadsheet cells arrive as datetime from openpyxl; bare Excel serial
    numbers are refused: a number alone cannot be told from other numbers). Naive times are local
    time at `tz` (China time); times with an offset are converted to `tz`. Fractional seconds are
    kept without trailing zeros. A date alone raises `normalize.time.date_only` unless
    `allow_date_only` is set, which reads it as the start of that day; date fields use `to_date`.
    """
    zone = _parse_offset(tz) if _RFC3339_OFFSET.fullmatch(tz) else None
    if zone is None:
        raise ValueError("tz must be an offset like +08:00")
    if isinstance(value, datetime):
        moment, fraction, has_time = value.replace(microsecond=0), _fraction(f"{value.microsecond:06d}"), True
    elif isinstance(value, date):
        moment, fraction, has_time = datetime.combine(value, _MIDNIGHT), "", False
    elif isinstance(value, str):
        moment, fraction, has_time = _parse_moment(value, pointer, "normalize.time.invalid")
    else:
        raise _fail("normalize.time.type", "a time must be text or a datetime", pointer)
    if not has_time and not allow_date_only:
        raise _fail("normalize.time.date_only", "a time was expected, got a date only", pointer)
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}{fraction}{tz}"
    )


def to_date(value: str | date, *, pointer: str = "") -> str:
    """Calendar date "YYYY-MM-DD" from the date forms `to_rfc3339` accepts, or "20261122".

    A value with a time of day is accepted only at exactly midnight without an offset (database
    DATE columns exported as DATETIME); any other time is refused rather than silently dropped.
    """
    if isinstance(value, datetime):
        moment, fraction, has_time = value, _fraction(f"{value.microsecond:06d}"), True
    elif isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    elif isinstance(value, str):
        moment, fraction, has_time = _parse_moment(value, pointer, "normalize.date.invalid")
    else:
        raise _fail("normalize.date.type", "a date must be text or a date", pointer)
    if has_time and (moment.tzinfo is not None or fraction or moment.time() != _MIDNIGHT):
        raise _fail("normalize.date.has_time", "a date was expected, got a time of day", pointer)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def _parse_moment(value: str, pointer: str, code: str) -> tuple[datetime, str, bool]:
    """(datetime without its fraction, fraction suffix, whether a time of day was given)."""
    text = clean_text(value.translate(_CODE_TABLE)).upper()
    match = _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text) or _CHINESE.fullmatch(text)
    if match is None:
        raise _fail(code, "unrecognised date/time format", pointer)
    parts = {key: part for key, part in match.groupdict().items() if part is not None}
    hour = parts.get("H")
    offset = _parse_offset(parts["tz"]) if "tz" in parts else None
    if "tz" in parts and offset is None:
        raise _fail(code, "not a valid UTC offset", pointer)
    try:
        moment = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(hour or 0),
            int(parts.get("M") or parts.get("M2") or 0),
            int(parts.get("S") or parts.get("S2") or 0),
            tzinfo=offset,
        )
    except ValueError:
        raise _fail(code, "not a real date or time", pointer) from None
    return moment, _fraction(parts.get("f", "")), hour is not None


def _fraction(digits: str) -> str:
    digits = digits.rstrip("0")
    return f".{digits}" if digits else ""


def _parse_offset(text: str) -> timezone | None:
    if text == "Z":
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None or int(match["h"]) > 23 or int(match["m"] or 0) > 59:
        return None
    minutes = int(match["h"]) * 60 + int(match["m"] or 0)
    return timezone(timedelta(minutes=-minutes if match["sign"] == "-" else minutes))
