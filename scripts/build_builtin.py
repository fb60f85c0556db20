"""Build the built-in dataset ``wiod2013-eaeu`` from the WIOD 2013 release (``make builtin``).

Reads the 17 yearly tables ``wiot_1995.RData`` .. ``wiot_2011.RData`` (default
``../shared/data/wiod2013``), validates each, and aggregates the 41 WIOD regions for EAEU
analysis while keeping all 35 sectors:

- ``RUS`` (the only EAEU member WIOD resolves) and ``CHN`` stay separate;
- Russia's main partners stay separate: the ``--partners`` (default 10) WIOD countries with the
  largest bilateral gross trade with Russia in 2011 (intermediate and final, both directions);
- the other EU members (EU-27 of 2007-2013, the table's years) become ``EU-other``;
- the other WIOD countries become ``Other-major`` (large economies WIOD tabulates one by one);
- ``RoW`` stays: it holds Kazakhstan, Belarus, Armenia and Kyrgyzstan, which WIOD does not
  resolve.

The concordance is written to ``src/karavan/data/concordances/wiod2013_eaeu_regions.csv`` with
the ranking that chose the partners, and the dataset (native format) to
``src/karavan/data/builtin/wiod2013-eaeu/``, replacing what was there, with a README stating
the licence (CC BY 4.0), the citation and how to rebuild. The raw files are not copied.

    python scripts/build_builtin.py [--wiod DIR] [--partners N] [--max-mb 10]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from karavan.core.aggregation import Concordance, aggregate
from karavan.core.table import MRIOTable
from karavan.datastore.store import DataStore
from karavan.sources.formats import read_path
from karavan.sources.provenance import Provenance
from karavan.sources.wiod2013_labels import CITATION, LICENCE, URL

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "karavan" / "data"
DEFAULT_WIOD = ROOT.parent / "shared" / "data" / "wiod2013"
DEFAULT_CONCORDANCE = DATA / "concordances" / "wiod2013_eaeu_regions.csv"
DEFAULT_BUILTIN = DATA / "builtin"
NAME = "wiod2013-eaeu"
TITLE = "WIOD 2013, 1995-2011, aggregated for EAEU analysis"
YEARS = tuple(range(1995, 2012))
RANK_YEAR = 2011

# The EU's members during the table's years (EU-27 from 2007; WIOD 2013 has no Croatia).
# fmt: off
EU_MEMBERS = frozenset((
    "AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GRC",
    "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "MLT", "NLD", "POL", "PRT", "ROM", "SVK", "SVN",
    "SWE",
))
# fmt: on
KEEP = ("RUS", "CHN")
REST_OF_WORLD = "RoW"
EU_OTHER = "EU-other"
OTHER = "Other-major"


def partner_ranking(table: MRIOTable, country: str = "RUS") -> pd.DataFrame:
    """Bilateral gross trade of ``country`` with every other region (USD million).

    Exports are ``country``'s intermediate and final sales to the partner, imports the
    partner's sales to ``country``; both from the table's Z and Y blocks.
    """
    R, S, C = table.n_regions, table.n_sectors, len(table.categories)
    Zr = table.Z.reshape(R, S, R, S).sum(axis=(1, 3))
    Yr = table.Y.reshape(R, S, R, C).sum(axis=(1, 3))
    flows = Zr + Yr  # region x region: sales of row region to column region
    k = table.regions.index(country)
    frame = pd.DataFrame(
        {"exports": flows[k, :], "imports": flows[:, k]}, index=pd.Index(table.regions)
    )
    frame = frame.drop(index=country)
    frame["total"] = frame["exports"] + frame["imports"]
    return frame.sort_values("total", ascending=False)


def region_mapping(regions: tuple[str, ...], partners: list[str]) -> dict[str, str]:
    mapping = {}
    for r in regions:
        if r in KEEP or r in partners or r == REST_OF_WORLD:
            mapping[r] = r
        elif r in EU_MEMBERS:
            mapping[r] = EU_OTHER
        else:
            mapping[r] = OTHER
    return mapping


def write_concordance(
    path: Path, mapping: dict[str, str], ranking: pd.DataFrame, partners: list[str]
) -> None:
    order = [*KEEP, *partners, EU_OTHER, OTHER, REST_OF_WORLD]
    rows = sorted(mapping.items(), key=lambda kv: (order.index(kv[1]), kv[0]))
    top = ranking.head(len(partners) + 6)
    table_lines = [
        f"#   {r:<4} exports {e:>9,.0f}  imports {i:>9,.0f}  total {t:>9,.0f}"
        + ("  <- kept" if r in partners or r in KEEP or r == REST_OF_WORLD else "")
        for r, (e, i, t) in zip(
            top.index, top[["exports", "imports", "total"]].to_numpy(), strict=True
        )
    ]
    header = [
        "# WIOD 2013 regions (41) -> regions of Karavan's built-in dataset wiod2013-eaeu.",
        "# Written by scripts/build_builtin.py; the choice is reproducible from the data:",
        "# - RUS, the only member of the Eurasian Economic Union that WIOD resolves, and CHN",
        "#   stay separate. KAZ, BLR, ARM and KGZ are inside RoW, which stays as it is.",
        f"# - Russia's {len(partners)} largest partners by bilateral gross trade in {RANK_YEAR}",
        "#   (intermediate and final use, exports plus imports, USD million; from the WIOD table",
        "#   itself) stay separate:",
        *table_lines,
        f"# - The other EU members (EU-27 of 2007-2013, the table's years) -> {EU_OTHER}.",
        f"# - The other WIOD countries (large economies tabulated one by one) -> {OTHER}.",
        "# Columns: source (WIOD region code), target (region in the built-in dataset).",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(f"{s},{t}" for s, t in rows)
    path.write_text("\n".join(header) + "\nsource,target\n" + body + "\n", encoding="utf-8")


def read_concordance(path: Path, regions: tuple[str, ...]) -> Concordance:
    frame = pd.read_csv(path, comment="#", dtype=str)
    return Concordance.from_frame(regions, frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wiod", type=Path, default=DEFAULT_WIOD, help="folder of wiot_YYYY.RData")
    parser.add_argument("--partners", type=int, default=10, help="partners of Russia to keep")
    parser.add_argument("--concordance", type=Path, default=DEFAULT_CONCORDANCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_BUILTIN, help="built-in folder")
    parser.add_argument("--max-mb", type=float, default=10.0, help="size limit of the dataset")
    args = parser.parse_args(argv)
    if not args.wiod.is_dir():
        print(f"no WIOD 2013 folder at {args.wiod}; pass --wiod DIR", file=sys.stderr)
        return 2
    started = time.perf_counter()

    tables: list[MRIOTable] = []
    raw_files: list[dict[str, object]] = []
    for year in YEARS:
        path = args.wiod / f"wiot_{year}.RData"
        read, prov = read_path(path, "wiod2013-rdata")  # validated: raises on any failed check
        tables.extend(read)
        raw_files.extend(prov.raw_files)
    print(f"read and validated {len(tables)} years in {time.perf_counter() - started:.1f} s")

    latest = next(t for t in tables if t.meta.year == RANK_YEAR)
    ranking = partner_ranking(latest)
    candidates = [r for r in ranking.index if r not in KEEP and r != REST_OF_WORLD]
    partners = candidates[: args.partners]
    mapping = region_mapping(latest.regions, partners)
    write_concordance(args.concordance, mapping, ranking, partners)
    concordance = read_concordance(args.concordance, latest.regions)
    print(f"partners of RUS kept ({RANK_YEAR} gross trade): {', '.join(partners)}")

    members = {g: sorted(r for r, t in mapping.items() if t == g) for g in (EU_OTHER, OTHER)}
    notes = (
        f"Built by scripts/build_builtin.py from the 17 WIOD 2013 R data files. Regions: the "
        f"41 WIOD regions aggregated to {len(concordance.target)} with "
        "src/karavan/data/concordances/wiod2013_eaeu_regions.csv: RUS (the only EAEU member "
        f"WIOD resolves) and CHN kept; Russia's {len(partners)} largest partners by bilateral "
        f"gross trade in {RANK_YEAR} kept ({', '.join(partners)}); the other EU members "
        f"(EU-27 of 2007-2013) grouped as {EU_OTHER} ({', '.join(members[EU_OTHER])}); the "
        f"other WIOD countries grouped as {OTHER} ({', '.join(members[OTHER])}); RoW kept, which "
        "contains Kazakhstan, Belarus, Armenia and Kyrgyzstan (not resolved by WIOD). All 35 "
        "sectors kept."
    )
    va_note = (
        " Value added is output minus intermediate inputs, so it includes taxes less subsidies "
        "on products, cif/fob adjustments, purchases abroad and by non-residents and "
        "international transport margins."
    )
    aggregated = []
    for t in tables:
        a = aggregate(t, regions=concordance)  # keeps totals; scales the balance allowance
        a = a.with_meta(notes=f"{a.meta.notes} {notes}")
        a.validate().raise_if_failed(where=f"aggregated {t.meta.year}")
        for what, src, agg in (
            ("world output", t.x.sum(), a.x.sum()),
            ("RUS output", _region_sum(t, t.x, "RUS"), _region_sum(a, a.x, "RUS")),
            (
                "CHN value added",
                _region_sum(t, t.value_added, "CHN"),
                _region_sum(a, a.value_added, "CHN"),
            ),
        ):
            if src != agg:
                raise SystemExit(f"{t.meta.year}: aggregation changed {what}: {src} -> {agg}")
        aggregated.append(a)

    provenance = Provenance(
        source="WIOD 2013 release",
        licence=LICENCE,
        citation=CITATION,
        edition="November 2013",
        url=URL,
        raw_files=tuple(raw_files),
        derived_by="scripts/build_builtin.py",
        notes=notes + va_note,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = DataStore(root=Path(tmp), builtin_root=None)
        info = store.save(NAME, aggregated, provenance, title=TITLE)
        target = args.out / NAME
        if target.exists():
            shutil.rmtree(target)
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.move(str(info.path), str(target))
    target.chmod(0o755)  # the store's staging folder is private (mkdtemp)
    (target / "README.md").write_text(_readme(partners, len(concordance.target)), encoding="utf-8")

    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    du = subprocess.run(["du", "-sh", str(target)], capture_output=True, text=True, check=False)
    print(f"wrote {target}: {size / 1e6:.2f} MB in files (du: {du.stdout.split()[0]})")
    print(f"built in {time.perf_counter() - started:.1f} s")
    if size > args.max_mb * 1e6:
        print(
            f"dataset is {size / 1e6:.2f} MB, over {args.max_mb} MB: keep fewer partners "
            "(--partners) and document the change",
            file=sys.stderr,
        )
        return 1
    return 0


def _region_sum(table: MRIOTable, values: np.ndarray, region: str) -> float:
    k = table.regions.index(region)
    S = table.n_sectors
    return float(values[k * S : (k + 1) * S].sum())


def _readme(partners: list[str], n_regions: int) -> str:
    return f"""# wiod2013-eaeu: Karavan's built-in dataset

World Input-Output Tables of the WIOD 2013 release (November 2013), 1995-2011, in current USD
million at basic prices, aggregated for the analysis of the Eurasian Economic Union (EAEU):
{n_regions} regions x 35 sectors x 5 final-use categories, one table per year.

- Kept separate: RUS (the only EAEU member WIOD resolves), CHN, and Russia's {len(partners)}
  largest partners by bilateral gross trade in {RANK_YEAR}: {", ".join(partners)}.
- {EU_OTHER}: the other EU members (EU-27 of 2007-2013). {OTHER}: the other countries WIOD
  tabulates one by one. RoW: the rest of the world, which contains Kazakhstan, Belarus,
  Armenia and Kyrgyzstan; WIOD does not resolve them.
- All 35 sectors kept. Value added is output minus intermediate inputs (it includes taxes less
  subsidies on products and international transport margins).
- The concordance, with the ranking that chose the partners:
  `src/karavan/data/concordances/wiod2013_eaeu_regions.csv`. Every flow total is kept by the
  aggregation (world output, each kept region's output and value added).

## Licence and citation

The data are licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); this
aggregation is a derived work under the same licence. Cite:

{CITATION}.

Source: {URL}

## Rebuild

The raw files (`wiot_YYYY.RData`, one per year) are not part of the repository. With them in
`../shared/data/wiod2013/` (or any folder passed with `--wiod`), run

    make builtin

which runs `scripts/build_wiod_sectors.py` and `scripts/build_builtin.py`; the SHA-256 of every
raw file read is recorded in `dataset.json`.
"""


if __name__ == "__main__":
    raise SystemExit(main())
