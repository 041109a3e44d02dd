"""Building blocks shared by every standard record type: value types, conditions, the record base.

Conventions that hold for every record type (and that the JSON Schema files state too):

- Field names are English snake_case; each field's description names the national field
  (`招标项目编号 TENDER_PROJECT_CODE`) where one exists.
- Optional means *omitted*: `null` is never accepted and empty strings or empty lists are not
  either, so one business fact has exactly one JSON form (the form that gets signed).
- Validation is strict, as in JSON Schema: no string-to-number or number-to-string coercion.
  The one allowance is that an integral float (`3.0`) is an integer, because JSON Schema says so.
- Identifiers are strings whose JSON Schema `format` names a checker in
  `schemas.identifiers.FORMAT_CHECKERS`; the pydantic models call the very same function.
- Cross-field rules (a Party's code checked by its code type, fields required by an event kind)
  are `Condition`s: exported as `allOf`/`if`/`then` and enforced by the model the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from schemas.identifiers import FORMAT_CHECKERS


@dataclass(frozen=True)
class Condition:
    """When `field` is present (and equals `equals`, if given), `require` must be present too and
    each `(field, format)` of `formats` must pass that format's checker."""

    field: str
    equals: str | bool | None = None
    require: tuple[str, ...] = ()
    formats: tuple[tuple[str, str], ...] = ()

    def json_schema(self) -> dict[str, Any]:
        when: dict[str, Any] = {"required": [self.field]}
        if self.equals is not None:
            when["properties"] = {self.field: {"const": self.equals}}
        then: dict[str, Any] = {}
        if self.require:
            then["required"] = list(self.require)
        if self.formats:
            then["properties"] = {name: {"format": fmt} for name, fmt in self.formats}
        return {"if": when, "then": then}

    def violations(self, model: BaseModel) -> list[str]:
        value = getattr(model, self.field)
        if value is None or (self.equals is not None and value != self.equals):
            return []
        problems = [f"{name} is required here" for name in self.require if getattr(model, name) is None]
        for name, fmt in self.formats:
            candidate = getattr(model, name)
            if candidate is not None and not FORMAT_CHECKERS[fmt](candidate):
                problems.append(f"{name} is not a valid {fmt}")
        return problems


def _add_conditions(schema: dict[str, Any], model: type[BaseModel]) -> None:
    conditions: tuple[Condition, ...] = getattr(model, "conditions", ())
    if conditions:
        schema["allOf"] = [condition.json_schema() for condition in conditions]


class StandardModel(BaseModel):
    """Base of every record and value object: strict, closed, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, json_schema_extra=_add_conditions)

    conditions: ClassVar[tuple[Condition, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _reject_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(key for key, value in data.items() if value is None and key in cls.model_fields)
            if nulls:
                raise ValueError(f"null is not accepted (omit the field instead): {', '.join(nulls)}")
        return data

    @model_validator(mode="after")
    def _check_conditions(self) -> StandardModel:
        problems = [problem for condition in self.conditions for problem in condition.violations(self)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_payload(self) -> dict[str, Any]:
        """The JSON form of this object: the exact shape the JSON Schema describes."""
        return self.model_dump(mode="json", exclude_none=True)


# --- scalar value types ----------------------------------------------------------------------------

# Patterns use explicit ASCII classes ([0-9], not \d): \d is Unicode-wide in Python and Rust.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE_PART = r"[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = rf"^{_DATE_PART}$"
# Seconds stop at 59 (no leap second) and the offset is mandatory: Z or ±HH:MM.
TIMESTAMP_PATTERN = (
    rf"^{_DATE_PART}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,9}})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Codes are printable without spaces or control characters; other scripts (汉字) are allowed.
CODE_PATTERN = r"^[^\x00-\x20\x7f]+$"


def _real_calendar_date(value: str) -> str:
    # The pattern has fixed positions; only "does this day exist" is left (2025-02-29).
    date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    return value


def _identifier_check(format_name: str, label: str) -> Callable[[str], str]:
    check = FORMAT_CHECKERS[format_name]

    def validate(value: str) -> str:
        if not check(value):
            raise ValueError(f"not a valid {label}")
        return value

    return validate


def _integral_float_as_int(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; accept it the same way, but never bools.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


Timestamp: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=TIMESTAMP_PATTERN),
    AfterValidator(_real_calendar_date),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN}),
]
Date: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=DATE_PATTERN),
    AfterValidator(_real_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
DecimalString: TypeAlias = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN, max_length=40)]
Digest: TypeAlias = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
# HMAC-SHA-256 of a person's upper-cased ID number under the federation's pseudonymisation key:
# the same person gets the same id on every node, and the number itself never travels.
KeyedHash: TypeAlias = Annotated[str, StringConstraints(pattern=r"^hmac-sha256:[0-9a-f]{64}$")]
Md5Hex: TypeAlias = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Code: TypeAlias = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=100)]
Name: TypeAlias = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Text: TypeAlias = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
Url: TypeAlias = Annotated[str, StringConstraints(pattern=r"^https?://[^\x00-\x20\x7f]+$", max_length=2048)]
# Bounds come before the validator: placed after it, pydantic exports them as unknown keywords.
Count: TypeAlias = Annotated[int, Field(ge=0, le=2**53), BeforeValidator(_integral_float_as_int)]
Position: TypeAlias = Annotated[int, Field(ge=1, le=1_000_000), BeforeValidator(_integral_float_as_int)]

Uscc: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("uscc", "统一社会信用代码")),
    WithJsonSchema({"type": "string", "format": "uscc"}),
]
OrgCode: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("org-code", "组织机构代码")),
    WithJsonSchema({"type": "string", "format": "org-code"}),
]
IdCardNumber: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("cn-id-card", "居民身份证号")),
    WithJsonSchema({"type": "string", "format": "cn-id-card"}),
]
RegionCode: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("region-code", "行政区划代码")),
    WithJsonSchema({"type": "string", "format": "region-code"}),
]
InvestProjectCode: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("invest-project-code", "投资项目统一代码")),
    WithJsonSchema({"type": "string", "format": "invest-project-code"}),
]
UnifiedDealCode: TypeAlias = Annotated[
    str,
    AfterValidator(_identifier_check("unified-deal-code", "统一交易标识码")),
    WithJsonSchema({"type": "string", "format": "unified-deal-code"}),
]

TradeType: TypeAlias = Literal["工程建设", "政府采购", "土地使用权", "矿业权", "国有产权", "其他"]


# --- composite value types -------------------------------------------------------------------------


class Money(StandardModel):
    """An amount in yuan as a decimal string. `source_value`/`source_unit` keep what the source gave
    (sources in 万元 are the rule); both or neither. Whether `yuan` equals the converted source value
    is the adapter's duty: the schema cannot state it."""

    conditions = (
        Condition("source_value", require=("source_unit",)),
        Condition("source_unit", require=("source_value",)),
    )

    yuan: DecimalString = Field(description="金额, in 元 (CNY yuan), decimal string")
    source_value: DecimalString | None = Field(default=None, description="金额 as given by the source")
    source_unit: Literal["元", "万元", "亿元"] | None = Field(
        default=None, description="the source's unit (PRICE_UNIT / *_UNIT)"
    )


class Party(StandardModel):
    """A market participant as the national datasets give it (`*_NAME, *_CODE_TYPE, *_CODE, *_ROLE,
    *_REGION_CODE`). `code_type`: `uscc` 统一社会信用代码, `org_code` 组织机构代码 (pre-2015 or
    OLD_CODE), `id_card` 居民身份证号 (a natural person), `other` anything else (工商注册号,
    事业单位证书号, passport, foreign registration): checked only as a code, not by an algorithm."""

    conditions = (
        Condition("code_type", equals="uscc", formats=(("code", "uscc"),)),
        Condition("code_type", equals="org_code", formats=(("code", "org-code"),)),
        Condition("code_type", equals="id_card", formats=(("code", "cn-id-card"),)),
    )

    name: Name = Field(description="名称 *_NAME")
    code_type: Literal["uscc", "org_code", "id_card", "other"] = Field(description="证件类型 *_CODE_TYPE")
    code: Code = Field(description="代码 *_CODE (checked according to code_type)")
    role: Name | None = Field(default=None, description="主体角色 *_ROLE")
    region_code: RegionCode | None = Field(default=None, description="所在行政区划 *_REGION_CODE")


class Department(StandardModel):
    """A supervisory department (行政监督部门) or other public body acting in a workflow."""

    name: Name = Field(description="部门名称")
    code: Code = Field(description="部门代码: its code in the federation directory (normally its USCC)")
    region_code: RegionCode = Field(description="the jurisdiction it belongs to (GB/T 2260)")
    industry: Name | None = Field(default=None, description="行业: 住建, 交通, 水利, 发改, 财政 …")


class Actor(StandardModel):
    """Who did something in a workflow event."""

    name: Name = Field(description="person or body name")
    role: Name | None = Field(default=None, description="capacity in which it acted (承办人, 监督员 …)")
    department_code: Code | None = Field(default=None, description="department code, as in Department.code")
    region_code: RegionCode | None = Field(default=None, description="jurisdiction of the actor")


class DocumentRef(StandardModel):
    """A document, recording or file referred to by its SHA-256 digest; the bytes travel elsewhere."""

    digest: Digest = Field(description="SHA-256 of the file bytes, 'sha256:' + 64 hex")
    title: Name | None = Field(default=None, description="document title or file name")
    media_type: Code | None = Field(default=None, description="IANA media type, e.g. application/pdf")
    size: Count | None = Field(default=None, description="size in bytes")
    locator: Url | None = Field(default=None, description="where the holder can fetch it")


class StandardRecord(StandardModel):
    """Base of the 24 record types. Each subclass sets the class variables:

    - `record_type`: the registry name (`tender.award`);
    - `business_key`: dotted field paths that identify the business record across versions;
    - `jurisdiction_fields`: dotted paths, in order of preference, whose first present value is the
      GB/T 2260 code the record concerns; empty when only the caller knows it.
    """

    record_type: ClassVar[str]
    business_key: ClassVar[tuple[str, ...]]
    jurisdiction_fields: ClassVar[tuple[str, ...]] = ()

    data_timestamp: Timestamp = Field(
        description="数据时间戳 DATA_TIMESTAMP: the record's version, RFC 3339 with offset; later wins"
    )
    platform_code: Code | None = Field(default=None, description="交易系统(平台)标识码 PLATFORM_CODE")
    extensions: dict[str, Any] | None = Field(
        default=None, description="source-specific extra fields, kept verbatim (not standardised)"
    )
