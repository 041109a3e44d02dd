"""Source adapter "construction-market": 建筑市场监管 四库一平台 exports (DOMAIN §5, §12).

Inputs: JSON (a list of rows, `{"records": [...]}` or `{"dataset": ..., "records": [...]}`), XML
whose root element names the dataset (`<JZSC_PROJECT><RECORD>…</RECORD></JZSC_PROJECT>`, read by
`adapters.xml_source`), or CSV with the field codes as headers.

| dataset | rows | record |
| --- | --- | --- |
| `JZSC_COMPANY` | 企业 QY_* | `entity` |
| `JZSC_QUALIFICATION` | 资质 APT_* with the company's QY_* | `entity.qualification` |
| `JZSC_REG_STAFF` | 注册人员 RY_*, REG_*, IDCARD with the employer's QY_* | `entity.staff` |
| `JZSC_PROJECT` | 项目 PRJNUM, PRJNAME, … | `project` |

The dataset is the one the document names (JSON `dataset`, XML root; an unknown name refuses the
upload, a row of another dataset's fields is refused with `construction.dataset_mismatch`);
otherwise the row's fields tell it: PRJNUM (or any PRJ* field) a project, any APT_ field a
qualification, any RY_ or REG_ field registered staff, and QY_ fields alone a company. Fields of
several kinds, or of none: `construction.unknown_dataset`. File names are never used.

Registered staff ID numbers never leave the adapter: `person_id` is HMAC-SHA256 under the node's
pseudonymisation key over the upper-cased number (`schemas.base.KeyedHash`), so the same person gets
the same id on every node of a federation that shares the key. The key is a constructor argument.
`ADAPTER` uses `DEVELOPMENT_PERSON_KEY`, a fixed and public key for development, tests and the
bundled samples only; a gateway node builds its own `ConstructionMarketAdapter(person_key=...)`.
Field mappings: `adapters.construction_records`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from adapters.base import NormalizedRecord, RawItem, RejectedItem, invalid, reason
from adapters.construction_records import (
    entity_payload,
    project_payload,
    qualification_payload,
    staff_payload,
)
from adapters.row_fields import RowFields
from adapters.row_records import finished_record
from adapters.row_upload import RowSource
from schemas.regions import RegionTable

# Public on purpose: hashes made with it identify nobody outside development data.
DEVELOPMENT_PERSON_KEY = b"ggzy-gateway development pseudonymisation key; never use in production"
MIN_KEY_BYTES = 16

DATASETS: Mapping[str, str] = {
    "JZSC_COMPANY": "entity",
    "JZSC_QUALIFICATION": "entity.qualification",
    "JZSC_REG_STAFF": "entity.staff",
    "JZSC_PROJECT": "project",
}


def dataset_of_fields(names: Iterable[str]) -> str | None:
    """The one dataset the field names belong to, or None for none or several."""
    upper = {name.upper() for name in names if isinstance(name, str)}
    found = {
        dataset
        for dataset, prefixes in (
            ("JZSC_PROJECT", ("PRJ",)),
            ("JZSC_QUALIFICATION", ("APT_",)),
            ("JZSC_REG_STAFF", ("RY_", "REG_")),
        )
        if any(name.startswith(prefixes) for name in upper)
    }
    if not found and any(name.startswith("QY_") for name in upper):
        found.add("JZSC_COMPANY")
    return found.pop() if len(found) == 1 else None


class ConstructionMarketAdapter:
    """`person_key` keys the staff person ids; `regions` turns codes missing from it into warnings."""

    name = "construction-market"
    version = "1"

    def __init__(self, *, person_key: bytes, regions: RegionTable | None = None) -> None:
        if not isinstance(person_key, bytes) or len(person_key) < MIN_KEY_BYTES:
            raise ValueError(f"person_key must be at least {MIN_KEY_BYTES} bytes")
        self.regions = regions
        self._rows = RowSource(area="construction", datasets=DATASETS, classify=dataset_of_fields)
        self._builders: Mapping[str, Callable[[RowFields], dict[str, Any]]] = {
            "JZSC_COMPANY": entity_payload,
            "JZSC_QUALIFICATION": qualification_payload,
            "JZSC_REG_STAFF": lambda fields: staff_payload(fields, person_key),
            "JZSC_PROJECT": project_payload,
        }

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        return self._rows.split(data, filename=filename, content_type=content_type)

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        if item.dataset not in DATASETS:
            raise invalid(
                "unknown dataset", reason("construction.unknown_dataset", "not a construction dataset")
            )
        if not isinstance(item.row, Mapping):
            raise invalid("row is not an object", reason("construction.field_type", "a row is an object"))
        fields = RowFields(item.row, area="construction", regions=self.regions)
        payload = self._builders[item.dataset](fields)
        return [finished_record(DATASETS[item.dataset], payload, fields, ref=item.ref)]


ADAPTER = ConstructionMarketAdapter(person_key=DEVELOPMENT_PERSON_KEY)
