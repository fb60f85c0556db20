"""Declarative scenario specifications: what to change in a baseline table, as data.

A scenario is a YAML or JSON document validated by :class:`ScenarioSpec` (pydantic v2; the JSON
Schema is published in ``docs/scenario-schema.json``, ``karavan scenario schema`` prints it)::

    name: belarus-electronics
    baseline: {dataset: wiod2013-eaeu, year: 2011}
    bloc: EAEU                       # a name of karavan.core.BLOCS or a list of regions
    shocks:
      - type: new_plant
        region: RoW
        sector: EOE
        output: {dist: triangular, low: 300, mode: 500, high: 600}
        borrow_from: RUS

Every numeric parameter is a :data:`~karavan.scenarios.distributions.Param`: a number or a
distribution. :meth:`ScenarioSpec.parameters` lists them by path (``shocks[0].output``),
:meth:`ScenarioSpec.with_values` substitutes numbers for them (what a Monte Carlo draw does) and
:meth:`ScenarioSpec.spec_hash` fingerprints the canonical JSON. The shock types and their
meaning in the model are documented in :mod:`karavan.scenarios.runner` and ``docs/scenarios.md``.

Structural checks (types, ranges, shares summing to 1) run here and raise pydantic's
``ValidationError`` (:meth:`ScenarioSpec.from_file` turns it into
:class:`~karavan.errors.ScenarioError` with ``shocks[2].value``-style paths). Labels (regions,
sectors, categories, stressors) are checked when the spec is bound to a table by the runner,
which raises :class:`~karavan.errors.LabelError` naming the path and the allowed values.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from karavan.errors import ScenarioError
from karavan.scenarios.distributions import Param, _Dist

__all__ = [
    "Baseline",
    "CoefficientChangeShock",
    "FinalDemandShock",
    "ImportSubstitutionShock",
    "IntensityChangeShock",
    "NewPlantShock",
    "ScenarioSpec",
    "Shock",
    "SourcingRule",
    "format_validation_error",
]

ALL = "all"
Labels = str | list[str]
"""One label, ``"all"``, or a list of labels."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Baseline(_Model):
    """The table a scenario changes: a stored dataset and its year."""

    dataset: str = Field(min_length=1, description="Dataset name (see `karavan datasets`).")
    year: int | None = Field(default=None, description="Year (omit for a one-year dataset).")


class FinalDemandShock(_Model):
    """Change final use of the product of ``(region, sector)`` bought by ``buyer`` regions in
    ``category``: ``percent`` scales each selected entry of ``Y`` by ``1 + value/100``;
    ``absolute`` adds ``value`` (table units) spread over the selected entries in proportion to
    their baseline values (or to the one entry selected)."""

    type: Literal["final_demand"]
    region: str = Field(description="Supplying region (row of Y).")
    sector: str = Field(description="Product (sector) whose final use changes.")
    buyer: Labels = Field(default=ALL, description="Buying region(s) (columns of Y) or 'all'.")
    category: Labels = Field(default=ALL, description="Final-demand category(ies) or 'all'.")
    change: Literal["absolute", "percent"] = "absolute"
    value: Param


class SourcingRule(_Model):
    """Where a new plant buys an input product: shares ``local`` (its own region), ``bloc``
    (the other members, split by the region's baseline purchases from them) and ``world``
    (non-members, split likewise). Omit ``world`` to take the rest, ``1 - local - bloc``."""

    product: str = Field(default=ALL, description="Input product, or 'all' for the others.")
    local: Param = 0.0
    bloc: Param = 0.0
    world: Param | None = None

    @model_validator(mode="after")
    def _sum_to_one(self) -> SourcingRule:
        vals = [self.local, self.bloc] + ([] if self.world is None else [self.world])
        if not all(isinstance(v, float) for v in vals):
            return self
        nums = [float(v) for v in vals if isinstance(v, float)]
        if any(v < 0 for v in nums):
            raise ValueError(f"sourcing shares must be non-negative; got {nums}")
        total = sum(nums)
        if self.world is None and total > 1.0 + 1e-9:
            raise ValueError(f"local + bloc must not exceed 1; got {total:g}")
        if self.world is not None and abs(total - 1.0) > 1e-9:
            raise ValueError(f"local + bloc + world must sum to 1; got {total:g}")
        return self

    def shares(self) -> tuple[float, float, float]:
        """``(local, bloc, world)`` once numbers (``world`` defaults to the rest)."""
        local, bloc = _number(self.local), _number(self.bloc)
        world = 1.0 - local - bloc if self.world is None else _number(self.world)
        return local, bloc, max(world, 0.0)


class NewPlantShock(_Model):
    """A new plant in ``(region, sector)`` producing ``output`` (exogenous, table units).

    Inputs: the coefficient column of ``(borrow_from, sector)`` summed by product (domestic and
    imported), or ``inputs`` given explicitly (product -> coefficient). ``sourcing`` splits each
    input product between local, bloc and world suppliers; without a rule for a product its
    origins follow the region's baseline purchases of it (all buyers). Value-added and stressor
    coefficients default to the reference column's (``borrow_from``'s, or the region's own
    ``(region, sector)`` when ``inputs`` are explicit; explicit inputs without
    ``value_added`` take ``1 - sum(inputs)`` so that the plant's accounts balance)."""

    type: Literal["new_plant"]
    region: str
    sector: str
    output: Param = Field(description="The plant's annual output, in table units.")
    borrow_from: str | None = Field(default=None, description="Region whose column to borrow.")
    inputs: dict[str, Param] | None = Field(
        default=None, description="Explicit input coefficients: product -> per unit of output."
    )
    sourcing: list[SourcingRule] = Field(default_factory=list)
    value_added: Param | None = None
    stressors: dict[str, Param] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_input_structure(self) -> NewPlantShock:
        if (self.borrow_from is None) == (self.inputs is None):
            raise ValueError("give exactly one of borrow_from (a region) or inputs")
        products = [r.product for r in self.sourcing]
        if len(set(products)) != len(products):
            raise ValueError(f"sourcing names a product twice: {products}")
        return self


class ImportSubstitutionShock(_Model):
    """Move ``share`` of the purchases of ``product`` by buyers in ``buyers`` (their industries'
    input coefficients and their final use) from suppliers outside the bloc to ``supplier``, a
    member region; ``capacity`` caps the resulting output increase of ``(supplier, product)``
    (table units) by lowering the share actually moved."""

    type: Literal["import_substitution"]
    product: str
    buyers: Labels
    supplier: str
    share: Param = Field(description="Fraction in [0, 1] of extra-bloc purchases moved.")
    capacity: Param | None = Field(default=None, description="Maximum output increase.")


class CoefficientChangeShock(_Model):
    """Scale the technical coefficients ``A[(origin, input), (region, sector)]`` of the chosen
    columns and input rows by ``factor`` or by ``1 + percent/100``; the columns' value-added
    coefficients absorb the change (``v_j = 1 - sum_i A_ij`` moves with the inputs)."""

    type: Literal["coefficient_change"]
    regions: Labels
    sectors: Labels
    inputs: Labels = Field(default=ALL, description="Input products (rows) changed, or 'all'.")
    origins: Labels = Field(default=ALL, description="Origin regions of the inputs, or 'all'.")
    factor: Param | None = None
    percent: Param | None = None

    @model_validator(mode="after")
    def _one_change(self) -> CoefficientChangeShock:
        if (self.factor is None) == (self.percent is None):
            raise ValueError("give exactly one of factor or percent")
        return self


class IntensityChangeShock(_Model):
    """Change a stressor's (or value added's) coefficient per unit of output of the chosen
    industries by ``percent`` (``-15``: 15% less energy per unit of output)."""

    type: Literal["intensity_change"]
    account: str = Field(description="A stressor of the table, or 'value_added'.")
    regions: Labels
    sectors: Labels
    percent: Param


Shock = Annotated[
    FinalDemandShock
    | NewPlantShock
    | ImportSubstitutionShock
    | CoefficientChangeShock
    | IntensityChangeShock,
    Field(discriminator="type"),
]


class ScenarioSpec(_Model):
    """A named set of shocks to a baseline table (see the module docstring)."""

    name: str = Field(min_length=1)
    description: str = ""
    baseline: Baseline
    bloc: str | list[str] = Field(
        default="EAEU", description="A bloc name of karavan.core.BLOCS or a list of regions."
    )
    shocks: list[Shock] = Field(default_factory=list)

    # ------------------------------------------------------------------ files
    @classmethod
    def from_file(cls, path: str | Path) -> ScenarioSpec:
        """Read a YAML (``.yaml``/``.yml``) or JSON file; errors name the file and the path."""
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise ScenarioError(f"{p}: not valid {p.suffix.lstrip('.') or 'YAML'}: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioError(f"{p}: a scenario must be a mapping; got {type(data).__name__}")
        return cls.parse(data, source=str(p))

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, source: str = "scenario") -> ScenarioSpec:
        """Validate a mapping; a ``ValidationError`` becomes a :class:`ScenarioError`."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ScenarioError(f"{source}: {format_validation_error(exc)}") from exc

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> dict[str, Param]:
        """Every numeric parameter by path (``shocks[0].value``), numbers and distributions."""
        out: dict[str, Param] = {}
        _collect(self, "", out)
        return out

    def is_deterministic(self) -> bool:
        """True when every parameter is a number (no distribution)."""
        return not any(isinstance(p, _Dist) for p in self.parameters().values())

    def with_values(self, values: Mapping[str, float]) -> ScenarioSpec:
        """A copy with the parameters at the given paths set to numbers (distributions replaced
        by floats). Unknown paths raise :class:`ScenarioError` listing the known ones."""
        known = self.parameters()
        unknown = [k for k in values if k not in known]
        if unknown:
            raise ScenarioError(
                f"no parameter at {', '.join(unknown)}; parameters: {', '.join(known)}"
            )
        data = self.model_dump(mode="python", by_alias=True)
        for path, value in values.items():
            _set_path(data, path, float(value))
        return type(self).parse(data, source=f"scenario {self.name!r} with values")

    def spec_hash(self) -> str:
        """sha256 of the canonical JSON (sorted keys, no whitespace) of the spec."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def canonical(self) -> dict[str, Any]:
        """The spec as plain JSON data (defaults filled in), the input of :meth:`spec_hash`."""
        return self.model_dump(mode="json", by_alias=True)


# ---------------------------------------------------------------------- helpers
def _number(p: Param | None) -> float:
    if isinstance(p, float | int):
        return float(p)
    raise ScenarioError(f"expected a number, got the distribution {p!r}")


def _collect(obj: Any, path: str, out: dict[str, Param]) -> None:
    if isinstance(obj, _Dist):
        out[path] = obj  # type: ignore[assignment]
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if isinstance(value, float | _Dist | BaseModel | list | dict):
                _collect(value, f"{path}.{name}" if path else name, out)
    elif isinstance(obj, float):
        out[path] = obj
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _collect(v, f"{path}[{i}]", out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _collect(v, f"{path}[{k}]", out)


_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\]")


def _set_path(data: Any, path: str, value: float) -> None:
    steps: list[str | int] = []
    for m in _STEP.finditer(path):
        name, key = m.group(1), m.group(2)
        if name is not None:
            steps.append(name)
        else:
            steps.append(int(key) if key.isdigit() else key)
    node = data
    for step in steps[:-1]:
        node = node[step]
    last = steps[-1]
    if isinstance(node, list) and isinstance(last, int):
        node[last] = value
    elif isinstance(node, dict):
        node[str(last)] = value


def format_validation_error(exc: ValidationError) -> str:
    """Pydantic's errors as ``path: message`` with paths like ``shocks[2].region`` (the union
    tag pydantic inserts after a list index is dropped)."""
    tags = {"final_demand", "new_plant", "import_substitution", "coefficient_change"}
    tags |= {"intensity_change", "normal", "lognormal", "triangular", "uniform", "float"}
    parts = []
    for err in exc.errors():
        path = ""
        for loc in err.get("loc", ()):
            if isinstance(loc, int):
                path += f"[{loc}]"
            elif str(loc) in tags or str(loc).startswith(("function-", "float")):
                continue
            else:
                path += f".{loc}" if path else str(loc)
        msg = err.get("msg", "")
        ctx = err.get("ctx") or {}
        if "expected" in ctx and str(ctx["expected"]) not in msg:
            msg += f" (allowed: {ctx['expected']})"
        parts.append(f"{path or '(top)'}: {msg}")
    return "; ".join(dict.fromkeys(parts))
