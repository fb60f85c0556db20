"""validate_table: each check passing on a sound table and failing on a crafted one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from karavan.core import MRIOTable, TableMetadata, validate_table
from karavan.core.validation import Check, spectral_radius
from karavan.errors import (
    BalanceError,
    NegativeValueError,
    NonFiniteError,
    NotProductiveError,
    TableError,
    ZeroOutputError,
)

Z = np.array(
    [
        [10.0, 20.0, 5.0, 0.0],
        [4.0, 8.0, 0.0, 2.0],
        [1.0, 0.0, 30.0, 6.0],
        [0.0, 3.0, 9.0, 12.0],
    ]
)
Y = np.array(
    [
        [60.0, 5.0, 10.0, 0.0],
        [40.0, 2.0, 8.0, 0.0],
        [7.0, 0.0, 90.0, 4.0],
        [2.0, 1.0, 50.0, 3.0],
    ]
)
F = np.array([[1.0, 2.0, 3.0, 4.0]])


def make(**overrides: Any) -> MRIOTable:
    """A balanced 2-region, 2-sector table (x and V default to balance it)."""
    kwargs: dict[str, Any] = {
        "regions": ["R1", "R2"],
        "sectors": ["a", "b"],
        "categories": ["hh", "inventories"],
        "Z": Z,
        "Y": Y,
        "F": F,
        "F_Y": np.zeros((1, 4)),
        "stressors": ["CO2"],
        "stressor_units": ["kt"],
    }
    kwargs.update(overrides)
    return MRIOTable.from_arrays(**kwargs)


def with_entry(arr: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    out = np.array(arr, dtype=float)
    out[index] = value
    return out


def check(report_checks: tuple[Check, ...], name: str) -> Check:
    (found,) = [c for c in report_checks if c.name == name]
    return found


# ---------------------------------------------------------------------- a sound table
def test_sound_table_passes_every_check() -> None:
    report = make().validate()
    assert report.passed
    assert report.failures == ()
    assert [c.name for c in report.checks] == [
        "finite",
        "non-negative",
        "balance",
        "zero output",
        "productive",
    ]
    assert report.info == {"industries": 4, "zero_output_industries": 0}
    report.raise_if_failed()  # does not raise


def test_report_as_dict() -> None:
    d = make().validate().as_dict()
    assert d["passed"] is True
    assert d["industries"] == 4
    checks = d["checks"]
    assert isinstance(checks, list)
    assert [c["check"] for c in checks] == [
        "finite",
        "non-negative",
        "balance",
        "zero output",
        "productive",
    ]


def test_productivity_certificate_is_the_largest_column_sum() -> None:
    t = make()
    rho, vec = spectral_radius(t)
    assert rho == pytest.approx((Z.sum(axis=0) / t.x).max(), rel=1e-15)
    assert vec.size == 0
    assert check(t.validate().checks, "productive").message == (
        f"spectral radius of A below 1 (bound {rho:.6f})"
    )


# ---------------------------------------------------------------------- finiteness
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"Z": with_entry(Z, (1, 2), np.nan), "x": make().x},
            "Z holds 1 non-finite value(s); first at row R1/b, column R2/a: nan",
        ),
        (
            {"Y": with_entry(Y, (3, 0), np.inf)},
            "Y holds 1 non-finite value(s); first at row R2/b, column R1/hh: inf",
        ),
        (
            {"x": with_entry(make().x, (2,), np.nan)},
            "x holds 1 non-finite value(s); first at row output, column R2/a: nan",
        ),
        (
            {"F": with_entry(F, (0, 3), -np.inf)},
            "F holds 1 non-finite value(s); first at row CO2, column R2/b: -inf",
        ),
        (
            {"F_Y": with_entry(np.zeros((1, 4)), (0, 3), np.nan)},
            "F_Y holds 1 non-finite value(s); first at row CO2, column R2/inventories: nan",
        ),
    ],
)
def test_non_finite_values_are_located(overrides: dict[str, Any], message: str) -> None:
    report = make(**overrides).validate()
    assert not report.passed
    assert len(report.checks) == 1  # the other checks are skipped
    (finite,) = report.failures
    assert (finite.name, finite.message, finite.error) == ("finite", message, NonFiniteError)
    with pytest.raises(NonFiniteError) as excinfo:
        report.raise_if_failed("table.csv")
    assert str(excinfo.value) == f"table.csv: {message}"


def test_non_finite_findings_carry_labels() -> None:
    Zn = with_entry(with_entry(Z, (1, 2), np.nan), (3, 0), np.nan)
    (finite,) = make(Z=Zn, x=make().x).validate().failures
    assert [(f.row, f.column) for f in finite.findings] == [("R1/b", "R2/a"), ("R2/b", "R1/a")]
    assert finite.message.startswith("Z holds 2 non-finite value(s)")


# ---------------------------------------------------------------------- signs
def test_negative_output() -> None:
    x = with_entry(make().x, (1,), -5.0)
    report = make(x=x).validate()
    signs = check(report.checks, "non-negative")
    assert not signs.passed
    assert signs.message == (
        "x (gross output) must be non-negative: 1 negative value(s); first at row output, "
        "column R1/b: -5.0"
    )
    with pytest.raises(NegativeValueError, match=r"^x \(gross output\) must be non-negative"):
        report.raise_if_failed()


def test_negative_intermediate_use() -> None:
    signs = check(make(Z=with_entry(Z, (3, 1), -3.0)).validate().checks, "non-negative")
    assert (signs.passed, signs.error) == (False, NegativeValueError)
    assert signs.message == (
        "Z (intermediate use) must be non-negative: 1 negative value(s); first at row R2/b, "
        "column R1/b: -3.0"
    )
    assert [(f.row, f.column, f.value) for f in signs.findings] == [("R2/b", "R1/b", -3.0)]


def test_negative_final_use_outside_stock_changes() -> None:
    signs = check(make(Y=with_entry(Y, (0, 2), -1.5)).validate().checks, "non-negative")
    assert not signs.passed
    assert signs.message == (
        "Y (final use, categories other than stock changes and capital formation) must be "
        "non-negative: 1 negative value(s); first at row R1/a, column R2/hh: -1.5"
    )


def test_negative_inventory_change_is_allowed() -> None:
    report = make(Y=with_entry(Y, (1, 1), -2.0)).validate()
    assert report.passed
    assert check(report.checks, "non-negative").message == (
        "x, Z and Y (except stock changes and capital formation) non-negative"
    )


# ---------------------------------------------------------------------- balance
def test_balance_error_names_the_worst_industry() -> None:
    x = make().x + np.array([3.0, 0.0, 10.0, 0.0])  # output above total uses
    report = make(x=x).validate()
    balance = check(report.checks, "balance")
    assert not balance.passed
    assert balance.message == (
        "gross output differs from total uses beyond tolerance in 2 industries; "
        "worst R2/a: x=148, difference 10"
    )
    with pytest.raises(BalanceError) as excinfo:
        report.raise_if_failed()
    assert str(excinfo.value) == balance.message


def test_column_imbalance_is_reported_as_inputs() -> None:
    t = make()
    V = t.V.copy()
    V[0, 3] -= 7.0
    balance = check(make(V=V, va_components=["value added"]).validate().checks, "balance")
    assert balance.message == (
        "gross output differs from total inputs beyond tolerance in 1 industries; "
        "worst R2/b: x=80, difference 7"
    )


def test_balance_findings_list_the_largest_differences() -> None:
    x = make().x + np.array([3.0, 0.0, 10.0, 0.0])
    balance = check(make(x=x).validate().checks, "balance")
    uses = [(f.row, f.value) for f in balance.findings if f.column == "output - total uses"]
    assert uses[:2] == [("R2/a", 10.0), ("R1/a", 3.0)]


def test_balance_tolerance_allows_for_rounding() -> None:
    x = make().x + np.array([1.0, 0.0, 0.0, 0.0])
    strict = make(x=x)
    assert not check(strict.validate().checks, "balance").passed
    # Half a unit per entry: 4 Z entries + 4 Y entries in a row may be off by 4 in all.
    rounded = strict.with_meta(rounding=0.5)
    balance = check(rounded.validate().checks, "balance")
    assert balance.passed
    assert balance.message == (
        "balanced: worst |x - uses| 1, worst |x - inputs| 0 (rtol 1e-06, rounding 0.5 per entry)"
    )
    assert check(rounded.validate(rounding=0.0).checks, "balance").passed is False


def test_balance_relative_tolerance() -> None:
    x = make().x * (1 + 1e-7)
    assert check(make(x=x).validate().checks, "balance").passed
    assert not check(make(x=x).validate(rtol=1e-9).checks, "balance").passed


# ---------------------------------------------------------------------- zero output
def zero_output_table(buys_inputs: bool) -> MRIOTable:
    """Industry R2/b sells nothing and has no final demand, hence zero output."""
    Z0 = Z.copy()
    Z0[3, :] = 0.0
    Z0[:, 3] = [0.0, 2.0, 6.0, 0.0] if buys_inputs else 0.0
    Y0 = Y.copy()
    Y0[3, :] = 0.0
    return make(Z=Z0, Y=Y0, F=with_entry(F, (0, 3), 0.0))


def test_zero_output_industry_with_inputs() -> None:
    t = zero_output_table(buys_inputs=True)
    np.testing.assert_array_equal(t.x[3], 0.0)
    report = t.validate()
    zero = check(report.checks, "zero output")
    assert (zero.passed, zero.error) == (False, ZeroOutputError)
    assert zero.message == (
        "industry R2/b has zero output but non-zero intermediate inputs Z (2): "
        "its coefficients are undefined"
    )
    assert [c.name for c in report.failures] == ["zero output"]  # balanced nonetheless
    with pytest.raises(ZeroOutputError) as excinfo:
        report.raise_if_failed()
    assert str(excinfo.value) == zero.message


def test_zero_output_industry_with_stressors() -> None:
    t = zero_output_table(buys_inputs=False)
    t = make(Z=t.Z, Y=t.Y, F=with_entry(F, (0, 3), 4.0))
    zero = check(t.validate().checks, "zero output")
    assert zero.message == (
        "industry R2/b has zero output but non-zero stressors F (4): its coefficients are undefined"
    )


def test_zero_output_industry_without_inputs_passes_and_is_reported() -> None:
    report = zero_output_table(buys_inputs=False).validate()
    assert report.passed
    zero = check(report.checks, "zero output")
    assert zero.message == (
        "1 zero-output industries with no inputs (R2/b): their coefficient columns are zero "
        "by definition"
    )
    assert [(f.row, f.value) for f in zero.findings] == [("R2/b", 0.0)]
    assert report.info == {"industries": 4, "zero_output_industries": 1}


# ---------------------------------------------------------------------- productivity
def test_not_productive_names_the_sectors() -> None:
    # Stock drawdowns let intermediate use exceed output: every column of A sums to 4/3.
    t = MRIOTable.from_arrays(
        regions=["R1", "R2"],
        sectors=["a", "b"],
        categories=["inventories"],
        Z=np.full((4, 4), 4.0),
        Y=np.full((4, 2), -2.0),
    )
    report = t.validate()
    productive = check(report.checks, "productive")
    assert (productive.passed, productive.error) == (False, NotProductiveError)
    assert productive.message == (
        "not productive: spectral radius of A is 1.33333 >= 1; the Perron vector is "
        "concentrated on R1/a, R1/b, R2/a, R2/b; input coefficients summing to >= 1 in: "
        "R1/a (1.333), R1/b (1.333), R2/a (1.333), R2/b (1.333)"
    )
    assert [c.name for c in report.failures] == ["productive"]
    with pytest.raises(NotProductiveError) as excinfo:
        report.raise_if_failed()
    assert str(excinfo.value) == productive.message


def test_not_productive_spectral_radius_and_vector() -> None:
    # A = [[0.5, 1.0], [1.0, 0.5]] (with x = 2): Perron root 1.5, vector (1, 1) / 2.
    t = MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b"],
        categories=["inventories"],
        Z=[[1.0, 2.0], [2.0, 1.0]],
        Y=[[-1.0], [-1.0]],
    )
    rho, vec = spectral_radius(t)
    assert rho == pytest.approx(1.5, rel=1e-12)
    np.testing.assert_allclose(vec, [0.5, 0.5], rtol=1e-12)
    productive = check(t.validate().checks, "productive")
    assert productive.message.startswith("not productive: spectral radius of A is 1.5 >= 1;")


def test_not_productive_with_one_column_over_one() -> None:
    # Only R/b's inputs exceed its output; the spectral radius is computed, not bounded.
    t = MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b", "c"],
        categories=["hh", "inventories"],
        Z=[[1.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 1.0]],
        Y=[[9.0, 0.0], [0.0, -2.0], [9.0, 0.0]],
    )
    productive = check(t.validate().checks, "productive")
    head, rest = productive.message.split("; the Perron vector is concentrated on ")
    named, over = rest.split("; ")
    assert head == "not productive: spectral radius of A is 1.2 >= 1"
    assert named.split(", ")[0] == "R/b"  # the others carry none of it, in either order
    assert sorted(named.split(", ")) == ["R/a", "R/b", "R/c"]
    assert over == "input coefficients summing to >= 1 in: R/b (1.2)"
    assert [(f.row, f.column) for f in productive.findings] == [("R/b", "column sum of A")]


def test_productivity_skipped_for_negative_z() -> None:
    productive = check(make(Z=with_entry(Z, (3, 1), -3.0)).validate().checks, "productive")
    assert (productive.passed, productive.message) == (False, "skipped: Z has negative entries")


def test_raise_if_failed_raises_the_first_failure() -> None:
    x = with_entry(make().x, (1,), -5.0)  # negative, and unbalanced too
    report = validate_table(make(x=x))
    assert [c.name for c in report.failures][:2] == ["non-negative", "balance"]
    with pytest.raises(NegativeValueError):
        report.raise_if_failed()
    assert issubclass(NegativeValueError, TableError)


def test_validate_uses_metadata_rounding() -> None:
    x = make().x + np.array([2.0, 0.0, 0.0, 0.0])
    t = make(x=x, meta=TableMetadata(rounding=0.5))
    assert check(t.validate().checks, "balance").passed


def test_not_productive_single_industry() -> None:
    t = MRIOTable.from_arrays(
        regions=["R"], sectors=["a"], categories=["inventories"], Z=[[3.0]], Y=[[-1.0]]
    )
    assert spectral_radius(t)[0] == pytest.approx(1.5, rel=1e-15)
    assert check(t.validate().checks, "productive").message == (
        "not productive: spectral radius of A is 1.5 >= 1; the Perron vector is concentrated "
        "on R/a; input coefficients summing to >= 1 in: R/a (1.5)"
    )
