"""Concordances, blocs and aggregation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import (
    BLOCS,
    EAEU_MEMBERS,
    Concordance,
    MRIOTable,
    TableMetadata,
    aggregate,
    bloc_concordance,
)
from karavan.errors import ConcordanceError


def table() -> MRIOTable:
    """3 regions x 2 sectors, 1 category, 1 stressor; values chosen to be easy to sum."""
    n = 6
    Z = np.arange(1.0, n * n + 1).reshape(n, n)
    Y = np.arange(1.0, n * 3 + 1).reshape(n, 3) * 10.0
    return MRIOTable.from_arrays(
        regions=["RUS", "KAZ", "CHN"],
        sectors=["agri", "manu"],
        categories=["hh"],
        Z=Z,
        Y=Y,
        F=np.arange(1.0, n + 1)[None, :],
        F_Y=np.array([[1.0, 2.0, 3.0]]),
        stressors=["CO2"],
        stressor_units=["kt"],
        meta=TableMetadata(source="test", sector_names={"agri": "Agriculture", "manu": "Industry"}),
    )


def message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


# ---------------------------------------------------------------------- concordances
def test_from_mapping_builds_a_zero_one_matrix() -> None:
    c = Concordance.from_mapping(["a", "b", "c"], {"a": "X", "b": "Y", "c": "X"})
    assert c.source == ("a", "b", "c")
    assert c.target == ("X", "Y")  # first-seen order
    np.testing.assert_array_equal(c.weights, [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert not c.weights.flags.writeable


@pytest.mark.parametrize(
    ("mapping", "text"),
    [
        ({"a": "X", "b": "X"}, "no target given for ['c'] (1 label(s))"),
        ({"a": "X"}, "no target given for ['b', 'c'] (2 label(s))"),
        (
            {"a": "X", "b": "X", "c": "X", "d": "Y"},
            "mapping names labels the table does not have: ['d']",
        ),
    ],
)
def test_from_mapping_errors(mapping: dict[str, str], text: str) -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        Concordance.from_mapping(["a", "b", "c"], mapping)
    assert message(excinfo) == text


@pytest.mark.parametrize(
    ("target", "weights", "text"),
    [
        (
            ("X",),
            [[1.0], [0.5]],
            "weights of 'b' sum to 0.5, not 1: totals would not be kept (1 label(s) affected)",
        ),
        (
            ("X", "Y"),
            [[0.6, 0.6], [0.3, 0.3]],
            "weights of 'a' sum to 1.2, not 1: totals would not be kept (2 label(s) affected)",
        ),
        (("X",), [[1.0, 0.0], [0.0, 1.0]], "concordance weights must be 2 x 1; got (2, 2)"),
        (("X",), [[1.5], [-0.5]], "concordance weights must be finite and non-negative"),
        (("X",), [[np.nan], [1.0]], "concordance weights must be finite and non-negative"),
    ],
)
def test_weights_must_keep_totals(target: tuple[str, ...], weights: Any, text: str) -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        Concordance(("a", "b"), target, np.asarray(weights))
    assert message(excinfo) == text


def test_weights_may_split_a_label() -> None:
    c = Concordance(("a", "b"), ("X", "Y"), np.array([[0.25, 0.75], [0.0, 1.0]]))
    np.testing.assert_array_equal(c.weights, [[0.25, 0.75], [0.0, 1.0]])


def test_from_frame_with_weights() -> None:
    frame = pd.DataFrame(
        {
            "source": ["a", "a", "b", "c"],
            "target": ["X", "Y", "Y", "X"],
            "weight": [0.4, 0.6, 1.0, 1.0],
        }
    )
    c = Concordance.from_frame(["a", "b", "c"], frame)
    assert c.target == ("X", "Y")
    np.testing.assert_array_equal(c.weights, [[0.4, 0.6], [0.0, 1.0], [1.0, 0.0]])


def test_from_frame_without_weights_is_many_to_one() -> None:
    frame = pd.DataFrame({"source": ["a", "b"], "target": ["X", "X"]})
    np.testing.assert_array_equal(Concordance.from_frame(["a", "b"], frame).weights, [[1.0], [1.0]])


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (
            pd.DataFrame({"source": ["a"], "weight": [1.0]}),
            "concordance table needs a 'target' column; has ['source', 'weight']",
        ),
        (
            pd.DataFrame({"source": ["a"], "target": ["X"]}),
            "no target given for ['b'] (1 label(s))",
        ),
        (
            pd.DataFrame({"source": ["a", "b", "z"], "target": ["X", "X", "X"]}),
            "concordance names labels the table does not have: ['z']",
        ),
        (
            pd.DataFrame({"source": ["a", "b"], "target": ["X", "Y"], "weight": [0.5, 1.0]}),
            "weights of 'a' sum to 0.5, not 1: totals would not be kept (1 label(s) affected)",
        ),
    ],
)
def test_from_frame_errors(frame: pd.DataFrame, text: str) -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        Concordance.from_frame(["a", "b"], frame)
    assert message(excinfo) == text


# ---------------------------------------------------------------------- blocs
def test_eaeu_with_only_russia_present() -> None:
    c = bloc_concordance(["RUS", "CHN", "DEU"], {"EAEU": EAEU_MEMBERS})
    assert c.target == ("EAEU", "CHN", "DEU")
    np.testing.assert_array_equal(c.weights, np.eye(3))
    rest = bloc_concordance(["RUS", "CHN", "DEU"], {"EAEU": EAEU_MEMBERS}, rest="ROW")
    assert rest.target == ("EAEU", "ROW")
    np.testing.assert_array_equal(rest.weights, [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])


def test_eaeu_plus_china() -> None:
    regions = ["DEU", "KAZ", "CHN", "USA", "RUS", "BLR"]
    c = bloc_concordance(regions, {"EAEU+CHN": BLOCS["EAEU+CHN"]})
    assert c.target == ("DEU", "EAEU+CHN", "USA")
    assert {s: c.target[int(np.argmax(w))] for s, w in zip(c.source, c.weights, strict=True)} == {
        "DEU": "DEU",
        "KAZ": "EAEU+CHN",
        "CHN": "EAEU+CHN",
        "USA": "USA",
        "RUS": "EAEU+CHN",
        "BLR": "EAEU+CHN",
    }


def test_bloc_definitions() -> None:
    assert EAEU_MEMBERS == ("RUS", "KAZ", "BLR", "ARM", "KGZ")
    assert BLOCS["EAEU+CHN"] == ("RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN")


def test_bloc_without_members_present() -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        bloc_concordance(["CHN", "DEU"], {"EAEU": EAEU_MEMBERS})
    assert message(excinfo) == (
        "bloc 'EAEU' has no member among the table's regions (RUS, KAZ, BLR, ARM, KGZ)"
    )


def test_region_in_two_blocs() -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        bloc_concordance(["RUS", "CHN"], BLOCS)
    assert message(excinfo) == "region 'RUS' is in two blocs: 'EAEU' and 'EAEU+CHN'"


# ---------------------------------------------------------------------- aggregate
def test_aggregate_regions_sums_blocks() -> None:
    t = table()
    agg = aggregate(t, regions=bloc_concordance(t.regions, {"EAEU": EAEU_MEMBERS}))
    assert agg.regions == ("EAEU", "CHN")
    assert agg.sectors == ("agri", "manu")
    Z = t.Z
    # EAEU/agri = RUS/agri + KAZ/agri (industries 0 and 2); CHN/agri is industry 4.
    assert agg.Z[0, 0] == Z[0, 0] + Z[0, 2] + Z[2, 0] + Z[2, 2]
    assert agg.Z[0, 2] == Z[0, 4] + Z[2, 4]
    assert agg.Z[3, 3] == Z[5, 5]
    np.testing.assert_array_equal(agg.x, [t.x[0] + t.x[2], t.x[1] + t.x[3], t.x[4], t.x[5]])
    # Final demand: rows and (region, category) columns both summed over the bloc.
    Y = t.Y
    assert agg.Y[0, 0] == Y[0, 0] + Y[0, 1] + Y[2, 0] + Y[2, 1]
    np.testing.assert_array_equal(
        agg.Y[:, 1], [Y[0, 2] + Y[2, 2], Y[1, 2] + Y[3, 2], Y[4, 2], Y[5, 2]]
    )
    np.testing.assert_array_equal(agg.F, [[1.0 + 3.0, 2.0 + 4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(agg.F_Y, [[3.0, 3.0]])
    assert agg.meta.notes == "aggregated (regions 3 -> 2)"
    assert agg.Z.sum() == t.Z.sum()


def test_aggregate_sectors_keeps_totals_and_names() -> None:
    t = table()
    agg = aggregate(t, sectors={"agri": "total", "manu": "total"})
    assert agg.sectors == ("total",)
    np.testing.assert_array_equal(agg.x, t.x.reshape(3, 2).sum(axis=1))
    np.testing.assert_array_equal(agg.value_added, t.value_added.reshape(3, 2).sum(axis=1))
    assert agg.meta.sector_names == {}
    assert agg.meta.notes == "aggregated (sectors 2 -> 1)"
    kept = aggregate(t, sectors={"agri": "agri", "manu": "agri"})
    assert kept.meta.sector_names == {"agri": "Agriculture"}
    assert aggregate(t).meta.notes == ""


def test_aggregate_with_a_split() -> None:
    t = table()
    split = Concordance(t.sectors, ("food", "rest"), np.array([[0.25, 0.75], [0.0, 1.0]]))
    agg = aggregate(t, sectors=split)
    np.testing.assert_allclose(
        agg.x.reshape(3, 2),
        np.column_stack([0.25 * t.x[0::2], 0.75 * t.x[0::2] + t.x[1::2]]),
        rtol=1e-15,
    )
    assert agg.Z.sum() == pytest.approx(t.Z.sum(), rel=1e-15)
    assert agg.validate(rtol=1e-12).passed


def test_aggregate_rejects_a_concordance_for_other_labels() -> None:
    t = table()
    with pytest.raises(ConcordanceError) as excinfo:
        aggregate(t, regions=Concordance.identity(["RUS", "KAZ"]))
    assert message(excinfo) == (
        "region concordance is for labels ['RUS', 'KAZ']..., the table has ['RUS', 'KAZ', 'CHN']..."
    )


def test_aggregate_rejects_other_specs() -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        aggregate(table(), sectors=["agri"])  # type: ignore[arg-type]
    assert message(excinfo) == (
        "sector must be a Concordance, a mapping or a frame; got <class 'list'>"
    )


def test_aggregate_with_an_incomplete_mapping() -> None:
    with pytest.raises(ConcordanceError) as excinfo:
        aggregate(table(), regions={"RUS": "EAEU", "KAZ": "EAEU"})
    assert message(excinfo) == "no target given for ['CHN'] (1 label(s))"


def test_aggregation_scales_the_rounding_allowance_so_the_result_validates() -> None:
    """Each source row is off balance by up to its rounding allowance; the aggregated row sums
    several of them, so the allowance per aggregated entry must grow accordingly."""
    from karavan.core import MRIOTable, TableMetadata
    from karavan.core.aggregation import aggregated_rounding

    rng = np.random.default_rng(3)
    R, S, C = 4, 2, 1
    n, nf = R * S, R * C
    Z = np.round(rng.uniform(0, 10, (n, n)))
    Y = np.round(rng.uniform(50, 100, (n, nf)))
    m = n + nf
    x = Z.sum(axis=1) + Y.sum(axis=1) + m * 1.0  # each row off by the full allowance (1 * m)
    t = MRIOTable.from_arrays(
        regions=["A", "B", "C", "D"],
        sectors=["s1", "s2"],
        categories=["hh"],
        Z=Z,
        Y=Y,
        x=x,
        meta=TableMetadata(rounding=1.0),
    )
    assert t.validate().passed
    agg = aggregate(t, regions={"A": "AB", "B": "AB", "C": "CD", "D": "CD"})
    # two source rows of 12 entries each (2 * 12 * 1.0 = 24) spread over 2*2 + 2 = 6 entries
    assert agg.meta.rounding == pytest.approx(4.0)
    assert agg.validate().passed
    K = np.kron(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float), np.eye(2))
    Kf = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float)
    assert aggregated_rounding(t, K, Kf) == pytest.approx(4.0)
    strict = agg.with_meta(rounding=t.meta.rounding)
    assert not strict.validate().passed  # the source's allowance would be too strict
