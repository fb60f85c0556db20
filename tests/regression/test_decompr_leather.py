"""decompr's published results on its ``leather`` example: Leontief, KWW and WWZ decompositions.

Golden numbers: ``data/decompr_leather.json`` (decompr 6.4.0: tests/testthat/test_leontief.R and
the rendered vignette ``decompr``), kept as the strings R printed. Each is asserted to half a
unit in its last printed decimal, i.e. to the precision it was published with. The table is
built as decompr builds it: ``A = inter / out`` column-wise, value added ``out - colSums(inter)``
and one final-demand column per country.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.exports import final_exports, intermediate_exports
from karavan.core.gvc.kww import kww_decomposition
from karavan.core.gvc.leontief_decomposition import leontief_decomposition
from karavan.core.gvc.wwz import WWZ_TERMS, wwz_decomposition, wwz_to_kww

LEATHER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples" / "leather.rda"
GOLDEN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "decompr_leather.json").read_text(encoding="utf-8")
)
VIGNETTE = GOLDEN["vignette"]


def half_unit(printed: str) -> float:
    """Half a unit in the last printed decimal of ``printed`` (plus float representation)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0**-decimals + 1e-12


def assert_as_printed(actual: float, printed: str, where: str) -> None:
    err = abs(actual - float(printed))
    assert err <= half_unit(printed), f"{where}: got {actual!r}, decompr printed {printed}"


@pytest.fixture(scope="module")
def leather() -> dict[str, Any]:
    if not LEATHER.is_file():
        pytest.skip(f"decompr's leather sample not found at {LEATHER}")
    import rdata

    return {str(k): v for k, v in rdata.read_rda(LEATHER)["leather"].items()}


@pytest.fixture(scope="module")
def table(leather: dict[str, Any]) -> MRIOTable:
    return MRIOTable.from_arrays(
        regions=[str(c) for c in leather["countries"]],
        sectors=[str(i) for i in leather["industries"]],
        categories=["final demand"],
        Z=leather["inter"],
        Y=leather["final"],
        x=leather["out"],
    )


@pytest.fixture(scope="module")
def model(table: MRIOTable) -> LeontiefModel:
    return LeontiefModel(table)


def test_out_is_total_uses(leather: dict[str, Any]) -> None:
    # decompr's tests pass o = out, its vignette lets o = rowSums(inter) + rowSums(final): the
    # goldens of both apply to one table only because the two agree
    uses = leather["inter"].sum(axis=1) + leather["final"].sum(axis=1)
    assert np.max(np.abs(leather["out"] - uses)) < 1e-12 * np.max(leather["out"])


@pytest.mark.parametrize("case", GOLDEN["leontief_tests"]["values"], ids=lambda c: str(c))
def test_leontief_as_in_decomprs_tests(model: LeontiefModel, case: dict[str, Any]) -> None:
    values = leontief_decomposition(model, case["post"]).to_numpy()
    k = case["row"] - 1  # decompr's long format: source slowest, using industry fastest
    actual = float(values[k // 9, k % 9])
    printed = case["value"]
    # the test's literals are truncated, not rounded (34.74381 for 34.7438192...): one unit in
    # their last decimal, and the test's own tolerance (all.equal: relative difference)
    assert abs(actual - float(printed)) <= 2 * half_unit(printed), f"row {case['row']}: {actual}"
    assert abs(actual - float(printed)) / abs(float(printed)) < case["tolerance"]


def test_leontief_vignette(model: LeontiefModel) -> None:
    values = leontief_decomposition(model).to_numpy().reshape(-1)
    printed = VIGNETTE["leontief"]["values"]
    assert len(printed) == values.size == 81
    for k, (actual, p) in enumerate(zip(values, printed, strict=True)):
        assert_as_printed(float(actual), p, f"FVAX row {k + 1}")


def test_kww_vignette(model: LeontiefModel) -> None:
    got = kww_decomposition(model)
    rows = VIGNETTE["kww"]["rows"]
    assert got.index.tolist() == list(rows)
    for country, terms in rows.items():
        assert list(terms) == list(got.columns)
        for term, printed in terms.items():
            assert_as_printed(float(got.loc[country, term]), printed, f"KWW {country} {term}")


def test_wwz_vignette(model: LeontiefModel, table: MRIOTable) -> None:
    got = wwz_decomposition(model).rename(columns=dict(WWZ_TERMS))
    total = got.sum(axis=1)
    e_int, e_fin = intermediate_exports(table), final_exports(table)
    columns = VIGNETTE["wwz"]["columns"]
    compared = 0
    for row in VIGNETTE["wwz"]["rows"]:
        rec = dict(zip(columns, row, strict=True))
        s, i, r = rec["Exporting_Country"], rec["Exporting_Industry"], rec["Importing_Country"]
        where = f"WWZ {s}/{i} -> {r}"
        # exports as decompr's diagnostics texp, texpint, texpfd
        assert_as_printed(float(e_int.loc[(s, i), r]), rec["texpint"], f"{where} texpint")
        assert_as_printed(float(e_fin.loc[(s, i), r]), rec["texpfd"], f"{where} texpfd")
        if s == r:  # decompr prints domestic pairs as zeros; Karavan leaves them out
            assert all(float(rec[t]) == 0.0 for t in WWZ_TERMS.values()), where
            assert (s, i, r) not in got.index
            continue
        for term in WWZ_TERMS.values():
            assert_as_printed(float(got.loc[(s, i, r), term]), rec[term], f"{where} {term}")
            compared += 1
        assert_as_printed(float(total.loc[(s, i, r)]), rec["texp"], f"{where} texp")
        assert abs(total.loc[(s, i, r)] - float(rec["texp"])) < half_unit("0.0000")  # texpdiff
    assert compared == 18 * 16


def test_wwz_aggregates_to_the_published_kww(model: LeontiefModel) -> None:
    got = wwz_to_kww(wwz_decomposition(model))
    for country, terms in VIGNETTE["kww"]["rows"].items():
        for term, printed in terms.items():
            assert_as_printed(float(got.loc[country, term]), printed, f"wwz2kww {country} {term}")
