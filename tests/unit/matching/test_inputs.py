"""Needs from a table: a project's inputs (column of A) and the bloc's external input flows."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core.leontief import technical_coefficients
from karavan.errors import LabelError
from karavan.matching.inputs import external_flow_needs, project_inputs, sector_codes
from karavan.matching.query import NeedQuery
from karavan.matching.service import Matcher
from karavan.registry import Registry
from tests.conftest import small_table

from .conftest import add_org, add_product

SECTORS = ("AHF", "MCH", "FIN")  # agriculture, machinery, finance (WIOD 2013 codes)


def test_project_inputs_are_the_column_of_a_by_sector() -> None:
    table = small_table(sectors=SECTORS)
    inputs = project_inputs(table, "KAZ", "MCH", top=3)
    A = technical_coefficients(table)
    column = A[("KAZ", "MCH")]
    by_sector = column.groupby(level=1).sum()
    expected = by_sector.sort_values(ascending=False, kind="stable")
    assert [i.supplier_sector for i in inputs] == list(expected.index)
    assert [i.coefficient for i in inputs] == pytest.approx(expected.to_numpy())
    for item in inputs:
        domestic = column[("KAZ", item.supplier_sector)]
        assert item.domestic == pytest.approx(domestic)
        assert item.imported == pytest.approx(by_sector[item.supplier_sector] - domestic)
    assert project_inputs(table, "KAZ", "MCH", top=1)[0] == inputs[0]


def test_input_sectors_map_to_codes_through_the_concordances() -> None:
    table = small_table(sectors=SECTORS)
    inputs = {i.supplier_sector: i for i in project_inputs(table, "RUS", "AHF")}
    machinery = inputs["MCH"]
    assert machinery.isic3_divisions == ["29"]
    assert isinstance(machinery.need, NeedQuery)
    assert "842119" in machinery.need.hs_codes  # centrifuges: ISIC Rev.3 2919
    assert "2819" in machinery.need.isic_codes
    assert machinery.need.hs_codes == list(sector_codes("MCH")[1])
    finance = inputs["FIN"]
    assert finance.need is None  # a services sector, and the table has no sector names
    assert any("no HS codes" in note for note in finance.notes)
    named = small_table(sectors=SECTORS).with_meta(sector_names={"FIN": "Financial services"})
    fin = next(i for i in project_inputs(named, "RUS", "AHF") if i.supplier_sector == "FIN")
    assert fin.need is not None
    assert fin.need.text == "Financial services"


def test_unknown_sector_gets_no_codes_and_says_so() -> None:
    table = small_table()  # sectors AGR, MAN, SRV: not WIOD codes
    inputs = project_inputs(table, "RUS", "MAN")
    assert all(i.need is None for i in inputs)
    assert "not a WIOD 2013 sector" in inputs[0].notes[0]
    with pytest.raises(LabelError, match="region 'XXX' is not in the table"):
        project_inputs(table, "XXX", "MAN")


def test_external_flow_needs_prefer_the_blocs_members() -> None:
    table = small_table(sectors=SECTORS)  # regions RUS, KAZ, CHN
    needs = external_flow_needs(table, top=4)
    n_s = len(SECTORS)
    outside = table.Z[2 * n_s :, : 2 * n_s]  # from CHN into RUS and KAZ
    assert [n.value for n in needs] == pytest.approx(np.sort(outside.ravel())[::-1][:4])
    assert {n.supplier_region for n in needs} == {"CHN"}
    for n in needs:
        if n.need is not None:
            assert n.need.preferred_countries == ["RUS", "KAZ"]
    only_kaz = external_flow_needs(table, buyer_region="KAZ", top=2)
    assert {n.buyer_region for n in only_kaz} == {"KAZ"}


def test_match_project_finds_suppliers_of_the_inputs(registry: Registry) -> None:
    org = add_org(registry, "Machine works", "BLR")
    product = add_product(registry, org, "Centrifuges", hs_code="842119")
    table = small_table(sectors=SECTORS)
    results = Matcher(registry).match_project(table, "KAZ", "AHF")
    machinery = next(r for r in results if r.input.supplier_sector == "MCH")
    assert machinery.result is not None
    assert [m.product_id for m in machinery.result.matches] == [product]
    finance = next(r for r in results if r.input.supplier_sector == "FIN")
    assert finance.result is None


def test_match_external_flows_proposes_bloc_suppliers(registry: Registry) -> None:
    kaz = add_org(registry, "Steppe Machines", "KAZ")
    chn = add_org(registry, "Outside Machines", "CHN")
    add_product(registry, kaz, "Centrifuges", hs_code="842119")
    add_product(registry, chn, "Centrifuges", hs_code="842119")
    table = small_table(sectors=SECTORS)
    results = Matcher(registry).match_external_flows(table, top=9)
    machinery = [r for r in results if r.input.supplier_sector == "MCH"]
    assert machinery
    for found in machinery:
        assert found.result is not None
        assert [m.organisation_id for m in found.result.matches] == [kaz, chn]
        # Kazakhstan: EAEU tier 0.2 + preferred (a bloc member) 0.15; China: Belt and Road 0.1
        assert [m.score for m in found.result.matches] == pytest.approx([1.35, 1.1])
