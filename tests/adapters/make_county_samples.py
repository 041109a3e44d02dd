"""Deterministic county-center inputs: the bundled samples, their bad/ folder and the golden inputs.

    python -m tests.adapters.make_county_samples

rewrites config/samples/county-center/** and tests/adapters/golden/county-center/*.{csv,xlsx}
(golden outputs are rewritten by `pytest --update-golden`). `build()` returns the same bytes on
every run, and a test holds the committed files to it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from tests.adapters.county_sample_parts import (
    Cells,
    Factory,
    companies,
    csv_bytes,
    sections_of,
    wrong_check,
    xlsx_bytes,
)
from tests.adapters.county_sample_tables import (
    lankao_openings,
    ludian_awards,
    ludian_bids,
    macheng_awards,
    qiaojia_projects,
    qiaojia_sections,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "county-center"
GOLDEN = ROOT / "tests" / "adapters" / "golden" / "county-center"


# --- assembling --------------------------------------------------------------------------------


def bundled() -> dict[str, bytes]:
    """config/samples/county-center: valid exports of four counties in five shapes."""
    f = Factory(2026)
    zhaotong = f.uscc("530600", "12")
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=zhaotong, count=20)
    pool = companies(f, ["530621", "530602", "530102", "530302"], 14)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    qiaojia = sections_of(f, region="530622", county="巧家县", platform=zhaotong, count=15)
    lankao = sections_of(f, region="410225", county="兰考县", platform=f.uscc("410200", "12"), count=20)
    macheng = sections_of(f, region="421181", county="麻城市", platform=f.uscc("421100", "12"), count=10)
    hubei = companies(f, ["421181", "420102"], 6)
    return {
        "530621_鲁甸县_中标结果公示汇总表_2026Q2.csv": csv_bytes(ludian_awards(f, ludian, winners), "gbk"),
        "530621_鲁甸县_投标人名单_2026Q2.csv": csv_bytes(
            ludian_bids(f, ludian, winners, pool), "utf-8", bom=True
        ),
        "530622_巧家县_招标项目.csv": csv_bytes(qiaojia_projects(f, qiaojia, pool[:4]), "utf-8"),
        "530622_巧家县_标段信息.csv": csv_bytes(qiaojia_sections(qiaojia), "utf-8"),
        "410225_兰考县_开标记录.xlsx": xlsx_bytes(lankao_openings(f, lankao), title="开标记录"),
        "421181_麻城市_中标结果公示.csv": csv_bytes(macheng_awards(f, macheng, hubei), "utf-8"),
    }


def golden_inputs() -> dict[str, bytes]:
    """tests/adapters/golden/county-center: one small file per shape, and one of mixed good and bad rows."""
    f = Factory(7)
    platform = f.uscc("530600", "12")
    pool = companies(f, ["530621", "530602", "530102"], 6)
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=platform, count=3)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    qiaojia = sections_of(f, region="530622", county="巧家县", platform=platform, count=4)
    lankao = sections_of(f, region="410225", county="兰考县", platform=f.uscc("410200", "12"), count=3)
    return {
        "530621_award_gbk.csv": csv_bytes(ludian_awards(f, ludian, winners), "gbk"),
        "530621_bid_bom.csv": csv_bytes(
            ludian_bids(f, ludian[:2], winners, pool, union_every=1), "utf-8", bom=True
        ),
        "530622_project.csv": csv_bytes(qiaojia_projects(f, qiaojia, pool[:2]), "utf-8"),
        "530622_section_yuan.csv": csv_bytes(qiaojia_sections(qiaojia[:3], in_yuan=True), "utf-8"),
        "410225_opening.xlsx": xlsx_bytes(lankao_openings(f, lankao)),
        "421181_award_mixed.csv": csv_bytes(mixed_awards(f), "utf-8"),
    }


def mixed_awards(f: Factory) -> list[Cells]:
    """Good rows beside rows each refused for one documented reason (see the golden output)."""
    sections = sections_of(f, region="421181", county="麻城市", platform=f.uscc("421100", "12"), count=6)
    rows = list(macheng_awards(f, sections, companies(f, ["421181"], 3)))
    header, good = rows[0], [list(row) for row in rows[1:]]
    good[1] = good[1][:-2]  # ragged: two cells short
    good[2][7] = wrong_check(str(good[2][7]))  # USCC check character
    good[3][6] = ""  # 中标单位名称 missing
    good[4][5] = "2026年13月45日 10:00"  # not a date
    good[5][10] = "530621"  # a 鲁甸县 region in a 麻城市 file
    good[6][2] = f"{good[6][2]};{good[7][2]}"  # two sections, one amount
    good[7][6] = str(good[7][6]).encode("utf-8").decode("gbk", errors="replace")  # mojibake name
    return [header, *good]


NOT_A_WORKBOOK = "<html><body><table><tr><td>开标记录</td></tr></table></body></html>".encode()


def bad_inputs() -> dict[str, bytes]:
    """config/samples/county-center/bad: each file is refused for the reason its README gives."""
    f = Factory(404)
    platform = f.uscc("530600", "12")
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=platform, count=3)
    pool = companies(f, ["530621", "530602"], 4)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    awards = ludian_awards(f, ludian, winners)[1:]  # no title row
    bids = ludian_bids(f, ludian, winners, pool)
    traditional = (
        "項目編號,標段編號,中標人名稱,中標人統一社會信用代碼,中標金額(萬元),發佈時間\r\n"
        f"{ludian[0].tender_project_code},{ludian[0].code},魯甸縣宏達建築工程有限公司,{pool[0].uscc},"
        "856.30,2026-05-18 09:00:00\r\n"
    )
    mojibake = [
        [name.encode("utf-8").decode("gbk", errors="replace") for name in map(str, bids[0])],
        *bids[1:4],
    ]
    ragged = [list(row) for row in bids[:7]]
    ragged[2] = [*ragged[2], "多余的单元格"]
    ragged[4] = ragged[4][:10]
    unknown = [[*awards[0], "中标人联系电话"], *[[*row, "0870-1234567"] for row in awards[1:]]]
    bad_uscc = [
        awards[0],
        *[[*row[:9], wrong_check(str(row[9])), *row[10:]] for row in awards[1:]],
    ]
    return {
        "530621_中标结果_big5.csv": traditional.encode("big5"),
        "530621_中标结果_bom_gbk.csv": codecs.BOM_UTF8 + csv_bytes(awards, "gbk"),
        "530621_投标人名单_mojibake_header.csv": csv_bytes(mojibake, "utf-8"),
        "530621_投标人名单_ragged.csv": csv_bytes(ragged, "utf-8", bom=True),
        "530621_中标结果_unknown_column.csv": csv_bytes(unknown, "utf-8"),
        "530621_中标结果_empty.csv": b"",
        "530621_中标结果_bad_uscc.csv": csv_bytes(bad_uscc, "gbk"),
        "中标结果_no_county.csv": csv_bytes(awards, "utf-8"),
        "410225_开标记录_not_zip.xlsx": NOT_A_WORKBOOK,
    }


def build() -> dict[Path, bytes]:
    files = {SAMPLES / name: data for name, data in bundled().items()}
    files.update({SAMPLES / "bad" / name: data for name, data in bad_inputs().items()})
    files.update({GOLDEN / name: data for name, data in golden_inputs().items()})
    return files


def main() -> None:
    for path, data in build().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    main()
