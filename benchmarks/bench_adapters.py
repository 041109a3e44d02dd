"""Source adapter throughput: parse + normalize + validate + sign + append, per source family, beside
parsing the same bytes alone, in the same run.

Each family's input is built in memory from the rows of a bundled sample (config/samples/<source>/),
every record given its own business key (section codes, decision numbers, USCCs with valid check
characters): a repeated key would be skipped as a duplicate before signing and flatter the figure.
Uploads of `--upload` records each go through `ingest_source` in one transaction, as `ggzy ingest`
takes a file, into a fresh SQLite node database; every record must come out accepted.

Run: .venv/bin/python -m benchmarks.bench_adapters [--records N] [--upload N] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import mimetypes
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson
from sqlalchemy import Engine

from adapters.base import SourceAdapter
from adapters.county_center_mapping import load_mapping
from adapters.registry import build_registry
from adapters.soap import BEIJING, build_receive_info_request, parse_receive_info
from adapters.tabular import read_csv
from adapters.xml_source import parse_dataset
from benchmarks.harness import Row, pin_to_one_core, print_table, rate
from config.settings import CONFIG_DIR
from gateway.services.identity import NodeIdentity
from gateway.services.source_ingest import ingest_source
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.migrate import upgrade_head
from schemas.identifiers import id_card_check_char, mod37_2_check_char, org_code_check_char, uscc_check_char
from schemas.regions import RegionTable
from signing.keys import Keyring, SigningKey

SAMPLES = CONFIG_DIR / "samples"
ID_KEY = b"bench pseudonymisation key, not a federation's"
BIDS_PER_SECTION = 5
SINGLE_CALL_SHARE = 10  # the one-bid-per-call SOAP row sends this fraction of --records
PLATFORM = "12530000MB1E47030T"  # the sending trading platform's USCC, as in the samples
COUNTY_FILE = "530621_鲁甸县_中标结果公示汇总表_2026Q2.csv"
COUNTY_TITLE = "鲁甸县公共资源交易中心中标结果公示汇总表"
Fields = dict[str, str]


class RatioRow(Row):
    """Ingesting is far slower than parsing alone: two significant digits, where "0.0x" would say nothing."""

    @property
    def ratio(self) -> str:
        return f"{self.ours / self.baseline:.2g}x" if self.baseline else "-"


# Pure parsing of one upload, by the name shown in the table; each gives the number of rows read.
BASELINES: dict[str, Callable[[bytes], int]] = {
    "xml_source.parse_dataset": lambda data: len(parse_dataset(data)[1]),
    "soap.parse_receive_info": lambda data: len(parse_receive_info(data).rows),
    "orjson.loads": lambda data: len(orjson.loads(data)["records"]),
    "tabular.read_csv().rows()": lambda data: sum(1 for _ in read_csv(data).rows()),
    "tabular.read_csv(skip_rows=1)": lambda data: sum(1 for _ in read_csv(data, skip_rows=1).rows()),
}


@dataclass
class Family:
    name: str
    source: str  # the adapter's name in the registry
    filename: str  # as `ggzy ingest` would pass it (the county adapter reads the county from it)
    uploads: list[bytes]
    records: int
    baseline: str  # a key of BASELINES
    target: int


def org_code(serial: int, *, dashed: bool = False) -> str:
    body = f"{serial:08d}"
    return body + ("-" if dashed else "") + org_code_check_char(body)  # dashed: XXXXXXXX-X


def uscc(region: str, serial: int) -> str:
    first17 = "91" + region + org_code(serial)
    return first17 + uscc_check_char(first17)


def id_card(region: str, serial: int) -> str:
    body = f"{region}19{70 + serial % 30}{1 + serial % 12:02d}{1 + serial % 28:02d}{serial % 1000:03d}"
    return body + id_card_check_char(body)


def deal_code(template: str, serial: int) -> str:
    data = template[:26] + f"{serial:06d}"  # the platform's USCC and the day stay, the serial changes
    return data + mod37_2_check_char(data)


def cycle(rows: list[Any], n: int) -> Iterator[tuple[int, Any]]:
    for i in range(n):
        yield i, dict(rows[i % len(rows)])


def tender_bids(n: int) -> list[Fields]:
    """Five bidders per section, each bidder its own firm and bid manager."""
    _, template = parse_dataset((SAMPLES / "tender-platform" / "02-zhaoyang-sewer.bids.xml").read_bytes())
    out = []
    for i, row in cycle(template, n):
        section = i // BIDS_PER_SECTION
        project = row["TENDER_PROJECT_CODE"][:15] + f"{section // 100:04d}001"
        row["TENDER_PROJECT_CODE"], row["BID_SECTION_CODE"] = project, project + f"{section % 100 + 1:03d}"
        row["BIDDER_ORG_CODE"] = uscc(row["BIDDER_REGION_CODE"], i + 1)
        row["ID_CARD"] = id_card(row["BIDDER_REGION_CODE"], i)
        row["BID_DOCUMENT_MD5"] = hashlib.md5(str(i).encode(), usedforsecurity=False).hexdigest()
        out.append(row)
    return out


def penalties(template: list[Fields], n: int) -> list[Fields]:
    """Penalties of legal persons, each with its own decision number and party."""
    out = []
    for i, row in cycle([row for row in template if row.get("CF_XDR_SHXYM")], n):
        row["CF_WSH"] = row["CF_WSH"].split("〔")[0] + f"〔2025〕{i + 1}号"
        row["CF_XDR_SHXYM"] = uscc(row["CF_XDR_SHXYM"][2:8], i + 1)
        if row.get("CF_XDR_ZZJG"):
            row["CF_XDR_ZZJG"] = org_code(i + 1, dashed=True)
        out.append(row)
    return out


def enterprises(n: int) -> list[dict[str, Any]]:
    out = []
    for i, row in cycle(json_template(SAMPLES / "construction-market" / "enterprises.json"), n):
        row["QY_ORG_CODE"] = uscc(row["QY_REGION"], i + 1)
        if row.get("OLD_CODE"):
            row["OLD_CODE"] = org_code(i + 1, dashed=True)
        out.append(row)
    return out


def county_awards(template: list[Fields], n: int) -> list[Fields]:
    """One section per row: a row naming several gives several records, which would blur the count."""
    out = []
    for i, row in cycle([row for row in template if ";" not in row["标段（包）编号"]], n):
        project = row["项目编号"][:15] + f"{i // 100:04d}001"
        row["序号"], row["项目编号"] = str(i + 1), project
        row["标段（包）编号"] = project + f"{i % 100 + 1:03d}"
        row["统一交易标识码"] = deal_code(row["统一交易标识码"], i + 1)
        row["中标人统一社会信用代码"] = uscc(row["中标人统一社会信用代码"][2:8], i + 1)
        out.append(row)
    return out


def json_template(path: Path) -> list[Fields]:
    records: list[Fields] = orjson.loads(path.read_bytes())["records"]
    return records


def csv_template(path: Path, skip_rows: int = 0) -> tuple[list[str], list[Fields]]:
    table = read_csv(path.read_bytes(), skip_rows=skip_rows)
    return table.header, [row.values for row in table.rows() if row.values is not None]


def chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def xml_document(dataset: str, rows: list[Fields]) -> bytes:
    records = "".join(
        "\n  <RECORD>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in row.items() if v) + "</RECORD>"
        for row in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{dataset}>{records}\n</{dataset}>\n'.encode()


def json_document(dataset: str, rows: list[Any]) -> bytes:
    return orjson.dumps({"dataset": dataset, "records": rows})


def soap_calls(dataset: str, rows: list[Fields], size: int) -> list[bytes]:
    """receiveInfo calls of `size` rows each, numbered as a platform counts its calls."""
    at, calls = datetime(2025, 9, 5, 11, 0, tzinfo=BEIJING), []
    for n, part in enumerate(chunks(rows, size), start=1):
        calls.append(build_receive_info_request(
            app_id="ynggzy-zb-0001", app_key="bench-app-key", serial_number=f"5300000001{at:%Y%m%d}{n:06d}",
            dataset_code=dataset, xml_content=xml_document(dataset, part).decode().split("\n", 1)[1],
            request_time=at, version_number=at, plat_id=f"{n:032x}", credit_code=PLATFORM, cdata=True,
        ))
    return calls


def csv_document(header: list[str], rows: list[Fields], title: str = "") -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    if title:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows([row[name] for name in header] for row in rows)
    return text.getvalue().encode("gbk")


def families(n: int, size: int) -> list[Family]:
    bids, single = tender_bids(n), max(1, n // SINGLE_CALL_SHARE)
    cf_json = penalties(json_template(SAMPLES / "credit-china" / "cf_penalties.json"), n)
    cf_header, cf_rows = csv_template(SAMPLES / "credit-china" / "cf_penalties_gbk.csv")
    county_header, county_rows = csv_template(SAMPLES / "county-center" / COUNTY_FILE, skip_rows=1)
    tender, xml, soap, json = "GCJS_TENDER_LIST", *list(BASELINES)[:3]
    return [
        Family("tender-platform XML (tender.bid)", "tender-platform", "bids.xml",
               [xml_document(tender, part) for part in chunks(bids, size)], n, xml, 4_000),
        Family("tender-platform SOAP (tender.bid)", "tender-platform", "receiveInfo.xml",
               soap_calls(tender, bids, size), n, soap, 4_000),
        # How platforms mostly push: one object per call, each call a request (and transaction) of its own.
        Family(f"tender-platform SOAP 1/call (n/{SINGLE_CALL_SHARE})", "tender-platform", "receiveInfo.xml",
               soap_calls(tender, bids[:single], 1), single, soap, 4_000),
        Family("tender-platform JSON (tender.bid)", "tender-platform", "bids.json",
               [json_document(tender, part) for part in chunks(bids, size)], n, json, 8_000),
        Family("credit-china JSON (credit.penalty)", "credit-china", "cf.json",
               [json_document("CF", part) for part in chunks(cf_json, size)], n, json, 8_000),
        Family("credit-china CSV GBK (penalty)", "credit-china", "cf.csv",
               [csv_document(cf_header, part) for part in chunks(penalties(cf_rows, n), size)], n,
               "tabular.read_csv().rows()", 8_000),
        Family("construction-market JSON (entity)", "construction-market", "enterprises.json",
               [json_document("JZSC_COMPANY", part) for part in chunks(enterprises(n), size)], n, json,
               8_000),
        Family("county-center CSV GBK (award)", "county-center", COUNTY_FILE,
               [csv_document(county_header, part, COUNTY_TITLE)
                for part in chunks(county_awards(county_rows, n), size)], n,
               "tabular.read_csv(skip_rows=1)", 8_000),
    ]


def ingest_all(engine: Engine, adapter: SourceAdapter, family: Family, node: NodeIdentity) -> None:
    """Every upload in its own transaction; every record must be accepted."""
    factory = make_session_factory(engine)
    content_type = mimetypes.guess_type(family.filename)[0] or ""
    accepted = 0
    for data in family.uploads:
        with factory() as db, db.begin():
            report = ingest_source(db, adapter=adapter, data=data, filename=family.filename,
                                   content_type=content_type, node=node, source_system=family.source,
                                   now=datetime.now(UTC))
        refused = report.refusal or next((r for r in report.results if r["status"] != "accepted"), None)
        assert refused is None, f"{family.name}: {refused}"
        accepted += report.counts.get("accepted", 0)
    assert accepted == family.records, f"{family.name}: {accepted} of {family.records} accepted"


def measure(family: Family, adapter: SourceAdapter, node: NodeIdentity, folder: Path, repeat: int) -> Row:
    # The databases are made before the clock starts: migrations are no part of ingesting.
    engines = [make_engine(f"sqlite:///{folder / f'run{run}.db'}") for run in range(repeat)]
    for engine in engines:
        upgrade_head(engine)
    pending = iter(engines)
    ours = rate(lambda: ingest_all(next(pending), adapter, family, node), family.records, repeat=repeat)
    for engine in engines:
        engine.dispose()
    parse = BASELINES[family.baseline]
    read = sum(parse(data) for data in family.uploads)
    assert read == family.records, f"{family.name}: the baseline read {read} rows"
    baseline = rate(lambda: [parse(data) for data in family.uploads], family.records)
    verdict = "met" if ours >= family.target else "MISSED"
    return RatioRow(family.name, ours, family.baseline, baseline, f"≥ {family.target:,}/s {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000, help="records per family")
    parser.add_argument("--upload", type=int, default=2_500, help="records per upload (one transaction)")
    parser.add_argument("--repeat", type=int, default=2, help="ingest runs per family; the best counts")
    args = parser.parse_args()
    pinned = pin_to_one_core()
    key = SigningKey.generate()
    node = NodeIdentity("530600", "bench", "", key, Keyring([key.public]))
    regions = RegionTable.load(CONFIG_DIR / "regions" / "gbt2260-2023.csv",
                               CONFIG_DIR / "regions" / "gbt2260-retired-2002-2014.csv")
    registry = build_registry(county_mapping=load_mapping(CONFIG_DIR / "mappings" / "county-center.json"),
                              id_hash_key=ID_KEY, regions=regions)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        for index, family in enumerate(families(args.records, args.upload)):
            folder = Path(tmp_dir) / str(index)
            folder.mkdir()
            rows.append(measure(family, registry[family.source], node, folder, args.repeat))
    print_table(f"Adapter benchmark: {args.records:,} records per family in uploads of {args.upload:,}, "
                f"parse + normalize + validate + sign + append (SQLite), {pinned}", rows)


if __name__ == "__main__":
    main()
