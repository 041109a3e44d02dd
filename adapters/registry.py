"""The source adapters a node runs, by the name used in `/api/v1/ingest/{source}` and `ggzy ingest`.

An explicit dict, built once at start-up: no entry points, no import scanning. Adapters that need
node configuration get it here as arguments (this package reads no file and no setting): the
county-center column mapping document, the federation's key for personal ID numbers, and the
GB/T 2260 table that turns unknown but well-formed region codes into warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import SourceAdapter
from adapters.construction_market import ConstructionMarketAdapter
from adapters.county_center import CountyCenterAdapter
from adapters.credit_china import CreditChinaAdapter
from adapters.tender_platform import TenderPlatformAdapter
from schemas.regions import RegionTable

TENDER_PLATFORM = "tender-platform"
CREDIT_CHINA = "credit-china"
CONSTRUCTION_MARKET = "construction-market"
COUNTY_CENTER = "county-center"
SOURCE_NAMES: tuple[str, ...] = (TENDER_PLATFORM, CREDIT_CHINA, CONSTRUCTION_MARKET, COUNTY_CENTER)


def build_registry(
    *,
    county_mapping: Mapping[str, Any],
    id_hash_key: bytes,
    regions: RegionTable | None = None,
) -> dict[str, SourceAdapter]:
    """One adapter per source name; raises ValueError for a short key or a broken mapping."""
    adapters: list[SourceAdapter] = [
        TenderPlatformAdapter(id_key=id_hash_key, regions=regions),
        CreditChinaAdapter(regions=regions),
        ConstructionMarketAdapter(person_key=id_hash_key, regions=regions),
        CountyCenterAdapter(county_mapping, id_key=id_hash_key, regions=regions),
    ]
    registry = {adapter.name: adapter for adapter in adapters}
    if tuple(registry) != SOURCE_NAMES:
        # An adapter renamed without the registry (or the API) following would silently move a source.
        raise ValueError(f"adapter names {sorted(registry)} are not the source names {sorted(SOURCE_NAMES)}")
    return registry
