"""Source adapter throughput: parse + normalize + validate + sign + append, per source family, beside
parsing the same bytes alone.

Each family's input is built in memory from the rows of a bundled sample (config/samples/<source>/),
every record given its own business key (section codes, decision numbers, USCCs with valid check
characters), so that no record is skipped as a duplicate before it is signed. Uploads of `--upload`
records each go through `ingest_source` in one transaction, as `ggzy ingest` takes a file, into a
fresh SQLite node database; every record must come out accepted.

Run: .venv/bin/python -m benchmarks.bench_adapters [--records N] [--upload N]
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
SINGLE_CALL_SHARE = 10  # the one-record-per-call SOAP row sends this fraction of --records
PLATFORM = "12530000MB1E47030T"  # the USCC of the sending trading platform, as in the samples
Fields = dict[str, str]


class RatioRow(Row):
    """The ingest path is far slower than parsing alone: show the ratio with two significant digits."""

    @property
    def ratio(self) -> str:
        return f"{self.ours / self.baseline:.2g}x" if self.baseline else "-"


@dataclass
class Family:
    name: str
    source: str
    filename: str
    uploads: list[bytes]
    records: int
    baseline_name: str
    parse: Callable[[bytes], int]  # rows read from one upload
    target: int


# --- identifiers with valid check characters -----------------------------------------------------


def org_code(serial: int) -> tuple[str, str]:
    body = f"{serial:08d}"
    return body, body + org_code_check_char(body)


def uscc(region: str, serial: int) -> str:
    _, org = org_code(serial)
    return "91" + region + org + uscc_check_char("91" + region + org)


def id_card(region: str, serial: int) -> str:
    body = f"{region}19{70 + serial % 30}{1 + serial % 12:02d}{1 + serial % 28:02d}{serial % 1000:03d}"
    return body + id_card_check_char(body)


def deal_code(template: str, serial: int) -> str:
    data = template[:26] + f"{serial:06d}"  # the platform's USCC and the day stay, the serial changes
    return data + mod37_2_check_char(data)


# --- rows ----------------------------------------------------------------------------------------


def cycle(rows: list[Fields], n: int) -> Iterator[tuple[int, Fields]]:
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


def credit_penalties(template: list[Fields], n: int) -> list[Fields]:
    """Penalties of legal persons, each with its own decision number and party."""
    firms = [row for row in template if row.get("CF_XDR_SHXYM")]
    out = []
    for i, row in cycle(firms, n):
        region = row["CF_XDR_SHXYM"][2:8]
        row["CF_WSH"] = row["CF_WSH"].split("〔")[0] + f"〔2025〕{i + 1}号"
        row["CF_XDR_SHXYM"] = uscc(region, i + 1)
        if row.get("CF_XDR_ZZJG"):
            body, org = org_code(i + 1)
            row["CF_XDR_ZZJG"] = f"{body}-{org[-1]}"
        out.append(row)
    return out


def enterprises(n: int) -> list[dict[str, Any]]:
    template = orjson.loads((SAMPLES / "construction-market" / "enterprises.json").read_bytes())["records"]
    out = []
    for i, row in cycle(template, n):
        row["QY_ORG_CODE"] = uscc(row["QY_REGION"], i + 1)
        if row.get("OLD_CODE"):
            body, org = org_code(i + 1)
            row["OLD_CODE"] = f"{body}-{org[-1]}"
        out.append(row)
    return out


def county_awards(template: list[Fields], n: int) -> list[Fields]:
    """One section per row (a row listing several gives several records, which would blur the count)."""
    single = [row for row in template if ";" not in row["标段（包）编号"]]
    out = []
    for i, row in cycle(single, n):
        project = row["项目编号"][:15] + f"{i // 100:04d}001"
        row["序号"], row["项目编号"] = str(i + 1), project
        row["标段（包）编号"] = project + f"{i % 100 + 1:03d}"
        row["统一交易标识码"] = deal_code(row["统一交易标识码"], i + 1)
        row["中标人统一社会信用代码"] = uscc(row["中标人统一社会信用代码"][2:8], i + 1)
        out.append(row)
    return out


# --- documents -----------------------------------------------------------------------------------


def chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def fields_xml(row: Fields) -> str:
    return "".join(f"<{key}>{escape(value)}</{key}>" for key, value in row.items() if value)


def xml_document(dataset: str, rows: list[Fields]) -> bytes:
    body = "".join(f"\n  <RECORD>{fields_xml(row)}</RECORD>" for row in rows)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{dataset}>{body}\n</{dataset}>\n'.encode()


def json_document(dataset: str, rows: list[Any]) -> bytes:
    return orjson.dumps({"dataset": dataset, "records": rows})


def soap_calls(dataset: str, rows: list[Fields], size: int) -> list[bytes]:
    """receiveInfo calls of `size` RECORD rows each, with the serial numbers a platform counts up."""
    version = datetime(2025, 9, 5, 11, 0, tzinfo=BEIJING)
    calls = []
    for n, part in enumerate(chunks(rows, size), start=1):
        content = xml_document(dataset, part).decode().split("\n", 1)[1]  # without the XML declaration
        serial = f"5300000001{version:%Y%m%d}{n:06d}"
        calls.append(build_receive_info_request(
            app_id="ynggzy-zb-0001", app_key="bench-app-key", serial_number=serial, dataset_code=dataset,
            xml_content=content, request_time=version, version_number=version, plat_id=f"{n:032x}",
            credit_code=PLATFORM, cdata=True,
        ))
    return calls


def csv_document(header: list[str], rows: list[Fields], encoding: str, title: str = "") -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    if title:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows([row[name] for name in header] for row in rows)
    return text.getvalue().encode(encoding)


def csv_template(path: Path, skip_rows: int = 0) -> tuple[list[str], list[Fields]]:
    table = read_csv(path.read_bytes(), skip_rows=skip_rows)
    return table.header, [row.values for row in table.rows() if row.values is not None]


# --- families ------------------------------------------------------------------------------------


def parse_xml(data: bytes) -> int:
    return len(parse_dataset(data)[1])


def parse_soap(data: bytes) -> int:
    return len(parse_receive_info(data).rows)


def parse_json(data: bytes) -> int:
    return len(orjson.loads(data)["records"])


def parse_csv(skip_rows: int) -> Callable[[bytes], int]:
    return lambda data: sum(1 for _ in read_csv(data, skip_rows=skip_rows).rows())


def families(n: int, size: int) -> list[Family]:
    bids = tender_bids(n)
    single = max(1, n // SINGLE_CALL_SHARE)
    _, cf_json = parse_json_records(SAMPLES / "credit-china" / "cf_penalties.json")
    cf_header, cf_csv = csv_template(SAMPLES / "credit-china" / "cf_penalties_gbk.csv")
    county_file = "530621_鲁甸县_中标结果公示汇总表_2026Q2.csv"
    county_header, county_rows = csv_template(SAMPLES / "county-center" / county_file, skip_rows=1)
    county_title = "鲁甸县公共资源交易中心中标结果公示汇总表"
    tender = "GCJS_TENDER_LIST"
    return [
        Family("tender-platform XML (tender.bid)", "tender-platform", "bids.xml",
               [xml_document(tender, part) for part in chunks(bids, size)], n,
               "xml_source.parse_dataset", parse_xml, 4_000),
        Family("tender-platform SOAP (tender.bid)", "tender-platform", "receiveInfo.xml",
               soap_calls(tender, bids, size), n, "soap.parse_receive_info", parse_soap, 4_000),
        # What platforms mostly send: one object per call, each call its own request and transaction.
        # Fewer records, or this row alone would take minutes.
        Family("tender-platform SOAP 1/call (bid)", "tender-platform", "receiveInfo.xml",
               soap_calls(tender, bids[:single], 1), single, "soap.parse_receive_info", parse_soap, 4_000),
        Family("tender-platform JSON (tender.bid)", "tender-platform", "bids.json",
               [json_document(tender, part) for part in chunks(bids, size)], n,
               "orjson.loads", parse_json, 8_000),
        Family("credit-china JSON (credit.penalty)", "credit-china", "cf.json",
               [json_document("CF", part) for part in chunks(credit_penalties(cf_json, n), size)], n,
               "orjson.loads", parse_json, 8_000),
        Family("credit-china CSV GBK (penalty)", "credit-china", "cf.csv",
               [csv_document(cf_header, part, "gbk") for part in chunks(credit_penalties(cf_csv, n), size)],
               n, "tabular.read_csv().rows()", parse_csv(0), 8_000),
        Family("construction-market JSON (entity)", "construction-market", "enterprises.json",
               [json_document("JZSC_COMPANY", part) for part in chunks(enterprises(n), size)], n,
               "orjson.loads", parse_json, 8_000),
        Family("county-center CSV GBK (award)", "county-center", county_file,
               [csv_document(county_header, part, "gbk", county_title)
                for part in chunks(county_awards(county_rows, n), size)],
               n, "tabular.read_csv().rows()", parse_csv(1), 8_000),
    ]


def parse_json_records(path: Path) -> tuple[str, list[Fields]]:
    document = orjson.loads(path.read_bytes())
    return document["dataset"], document["records"]


# --- measuring -----------------------------------------------------------------------------------


def fresh_db(folder: Path) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'node.db'}")
    upgrade_head(engine)
    return engine


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
        assert report.refusal is None, report.refusal
        refused = next((r for r in report.results if r["status"] != "accepted"), None)
        assert refused is None, f"{family.name}: {refused}"
        accepted += report.counts.get("accepted", 0)
    assert accepted == family.records, f"{family.name}: {accepted} of {family.records} accepted"


def measure(family: Family, adapter: SourceAdapter, node: NodeIdentity, tmp: Path, repeat: int) -> RatioRow:
    # Databases are made before the clock starts: the migrations are no part of ingesting.
    engines = []
    for run in range(repeat):
        (tmp / f"{family.source}-{run}").mkdir()
        engines.append(fresh_db(tmp / f"{family.source}-{run}"))
    pending = iter(engines)
    ours = rate(lambda: ingest_all(next(pending), adapter, family, node), family.records, repeat=repeat)
    for engine in engines:
        engine.dispose()
    rows_read = sum(family.parse(data) for data in family.uploads)
    assert rows_read == family.records, f"{family.name}: the baseline read {rows_read} rows"
    baseline = rate(lambda: [family.parse(data) for data in family.uploads], family.records)
    return RatioRow(family.name, ours, family.baseline_name, baseline, f"≥ {family.target:,}/s "
                    + ("met" if ours >= family.target else "MISSED"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000, help="records per family")
    parser.add_argument("--upload", type=int, default=2_500, help="records per upload (one transaction)")
    parser.add_argument("--repeat", type=int, default=2, help="ingest runs per family (best counts)")
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
            tmp = Path(tmp_dir) / str(index)
            tmp.mkdir()
            rows.append(measure(family, registry[family.source], node, tmp, args.repeat))
    print_table(f"Adapter benchmark: {args.records:,} records per family, uploads of {args.upload:,}, "
                f"parse + normalize + validate + sign + append (SQLite), {pinned}", rows)


if __name__ == "__main__":
    main()
