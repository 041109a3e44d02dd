"""Source adapter "credit-china": 信用中国 双公示, serious-dishonesty blacklists and credit repairs.

Inputs (DOMAIN §8): JSON (a list of rows, `{"records": [...]}` or `{"dataset": ..., "records": [...]}`),
CSV in UTF-8 or GBK (the field codes as headers, or the Chinese headers of the national 双公示
templates, `adapters.credit_headers`) and XML whose root element names the dataset.

Datasets and the record each row becomes:

| dataset | rows | record |
| --- | --- | --- |
| `XK` | 行政许可 XK_* | `credit.license` |
| `CF` | 行政处罚 CF_* (CF_NR_FK, CF_NR_WFFF in 万元) | `credit.penalty` |
| `BLACK_LIST` | 严重失信主体名单 BLACK_LIST fields | `credit.blacklist` |
| `BLACK_LIST_REVOKE` | 撤销黑名单: the entry again, revoked | `credit.blacklist` (`revoked: true`) |
| `CREDIT_REPAIR` | 信用修复 | `credit.repair` |

How the dataset is recognised, in this order:

1. The document says it: the JSON `dataset` member or the XML root element. An unknown name refuses
   the whole upload (`json.unknown_dataset`, `xml.unknown_dataset`). A row whose fields belong to
   another dataset is refused on its own (`credit.dataset_mismatch`).
2. Otherwise the field names do, per JSON row and per CSV header: an `XK_` field means XK, a `CF_`
   field CF, `BLACKLIST_CODE` BLACK_LIST (a revocation is told by its status or date), `REPAIR_CODE`
   CREDIT_REPAIR; a Chinese template header by its decision-date column. Fields of none or of several
   datasets: `credit.unknown_dataset` (the row, or the whole CSV file).

File names are never used: renaming a file must not change what its rows mean.

Every record needs a version (DATA_TIMESTAMP or VERSIONNUMBER, `credit.no_data_timestamp`) and a
region (DFBM 地方编码 for 双公示 rows, REGION_CODE or BODY_REGION_CODE for lists and repairs,
`credit.no_jurisdiction`): the jurisdiction is never derived from the authority's USCC.
Field-level mappings and windows: `adapters.credit_publicity`, `adapters.credit_lists`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from adapters.base import NormalizedRecord, RawItem, RejectedItem, invalid, reason
from adapters.credit_headers import template_columns
from adapters.credit_lists import blacklist_payload, repair_payload
from adapters.credit_publicity import license_payload, penalty_payload
from adapters.row_fields import RowFields
from adapters.row_records import finished_record
from adapters.row_upload import RowSource
from schemas.regions import RegionTable

Builder = Callable[[RowFields], dict[str, Any]]

DATASETS: Mapping[str, tuple[str, Builder]] = {
    "XK": ("credit.license", license_payload),
    "CF": ("credit.penalty", penalty_payload),
    "BLACK_LIST": ("credit.blacklist", lambda fields: blacklist_payload(fields, revocation=False)),
    "BLACK_LIST_REVOKE": ("credit.blacklist", lambda fields: blacklist_payload(fields, revocation=True)),
    "CREDIT_REPAIR": ("credit.repair", repair_payload),
}


def dataset_of_fields(names: Iterable[str]) -> str | None:
    """The one dataset the field names belong to, or None for none or several."""
    found: set[str] = set()
    for name in names:
        upper = name.upper() if isinstance(name, str) else ""
        if upper.startswith("XK_"):
            found.add("XK")
        elif upper.startswith("CF_"):
            found.add("CF")
        elif upper == "BLACKLIST_CODE":
            found.add("BLACK_LIST")
        elif upper == "REPAIR_CODE":
            found.add("CREDIT_REPAIR")
    return found.pop() if len(found) == 1 else None


class CreditChinaAdapter:
    """`regions`, when given, turns well-formed region codes missing from the table into warnings."""

    name = "credit-china"
    version = "1"

    def __init__(self, *, regions: RegionTable | None = None) -> None:
        self.regions = regions
        self._rows = RowSource(
            area="credit",
            datasets=DATASETS,
            classify=dataset_of_fields,
            same_fields={"BLACK_LIST_REVOKE": "BLACK_LIST"},
            template=template_columns,
        )

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        return self._rows.split(data, filename=filename, content_type=content_type)

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        if item.dataset not in DATASETS:
            raise invalid("unknown dataset", reason("credit.unknown_dataset", "not a credit-china dataset"))
        if not isinstance(item.row, Mapping):
            raise invalid("row is not an object", reason("credit.field_type", "a row is an object"))
        record_type, build = DATASETS[item.dataset]
        fields = RowFields(item.row, area="credit", regions=self.regions)
        payload = build(fields)
        return [finished_record(record_type, payload, fields, ref=item.ref)]


ADAPTER = CreditChinaAdapter()
