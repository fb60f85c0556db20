"""Needs derived from an input-output table: a project's inputs, and the inputs a bloc buys
from outside.

**A project's inputs.** A project in sector ``k`` of region ``r`` will buy what that industry
buys per unit of output: column ``(r, k)`` of the technical coefficients ``A = Z diag(x)^-1``
(Miller and Blair 2009, sec. 2.2). Summed over supplying regions by sector,
``a_s = sum_q A[(q, s), (r, k)]``, split into ``domestic`` (``q = r``) and ``imported``; the
``top`` sectors by ``a_s`` are the project's main inputs, the coefficient being the evidence.

**External input flows.** :func:`karavan.core.gvc.dependency.external_input_flows` ranks the
flows ``Z[i, j]`` from industries ``i`` outside the bloc into member industries ``j``; each is a
need for the supplier's product, to be met inside the bloc (preferred countries: the bloc's
members).

**Codes.** An input sector becomes codes through the concordances shipped in
:mod:`karavan.classifications`: WIOD 2013 sector -> ISIC Rev.3 divisions
(:func:`~karavan.classifications.wiod_sectors_to_isic3`) -> HS 6-digit codes whose ISIC Rev.3
division is one of them (:func:`~karavan.classifications.hs_to_isic` ``rev=3``; only codes of
HS 2022 kept) -> ISIC Rev.4 classes of those HS codes (``rev=4``). Service sectors have no HS
codes: their need is the sector's name as text (from the table's ``sector_names``) and says so;
a sector that is not a WIOD 2013 sector gets no codes, also said.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pydantic import BaseModel, Field

from karavan.classifications import (
    country_name,
    hs_nomenclature,
    hs_to_isic,
    isic4_labels,
    wiod_sectors_to_isic3,
)
from karavan.core.gvc.dependency import external_input_flows
from karavan.core.gvc.economies import BlocSpec, resolve_bloc
from karavan.core.table import MRIOTable
from karavan.errors import LabelError, ZeroOutputError
from karavan.matching.query import EAEU_MEMBERS, NeedQuery

__all__ = ["InputNeed", "external_flow_needs", "project_inputs", "sector_codes"]


class InputNeed(BaseModel):
    """One input as a need, with the table's numbers behind it.

    ``origin`` is ``project`` (``coefficient`` = ``a_s``, with ``domestic`` and ``imported``
    parts) or ``external_flow`` (``value`` = ``Z[i, j]`` in the table's unit, with
    ``share_of_buyer_inputs``); ``need`` is None when the sector maps to no code and has no
    name to search by (``notes`` say so).
    """

    origin: str = Field(description="project | external_flow")
    buyer_region: str
    buyer_sector: str
    supplier_sector: str
    supplier_region: str | None = None
    coefficient: float | None = None
    domestic: float | None = None
    imported: float | None = None
    value: float | None = None
    share_of_buyer_inputs: float | None = None
    isic3_divisions: list[str] = []
    need: NeedQuery | None
    notes: list[str] = []


@cache
def _hs2022() -> frozenset[str]:
    frame = hs_nomenclature()
    return frozenset(frame.loc[frame["level"] == 6, "code"].astype(str))


@cache
def _isic4_classes() -> frozenset[str]:
    codes = isic4_labels()["code"].astype(str)
    return frozenset(c for c in codes if len(c) == 4 and c.isdigit())


@cache
def sector_codes(sector: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(ISIC Rev.3 divisions, HS 2022 6-digit codes, ISIC Rev.4 classes)`` of a WIOD 2013
    sector (Karavan's short code such as ``"MCH"``, or WIOD's such as ``"29"``); three empty
    tuples for a label that is not a WIOD sector."""
    wiod = wiod_sectors_to_isic3()
    rows = wiod[(wiod["sector"] == sector) | (wiod["wiod_code"] == sector)]
    divisions = tuple(sorted(set(rows["isic3_division"].astype(str))))
    if not divisions:
        return (), (), ()
    rev3 = hs_to_isic(rev=3, level=2).dropna()
    valid = _hs2022()
    hs = tuple(sorted(c for c in set(rev3[rev3["isic"].isin(divisions)]["hs6"]) if c in valid))
    rev4 = hs_to_isic(rev=4, level=4).dropna()
    classes = _isic4_classes()
    isic = tuple(sorted(c for c in set(rev4[rev4["hs6"].isin(hs)]["isic"]) if c in classes))
    return divisions, hs, isic


def _need(
    table: MRIOTable,
    sector: str,
    *,
    limit: int,
    technology: bool,
    preferred: list[str],
) -> tuple[NeedQuery | None, list[str], list[str]]:
    divisions, hs, isic = sector_codes(sector)
    notes: list[str] = []
    name = table.meta.sector_names.get(sector)
    if not divisions:
        notes.append(f"sector {sector!r} is not a WIOD 2013 sector: no codes for it")
    elif not hs:
        notes.append(
            f"sector {sector!r} (ISIC Rev.3 {', '.join(divisions)}) has no HS codes "
            "(services): matched by its name only"
        )
    if not hs and not name:
        notes.append(f"sector {sector!r} has no name in the table to search by: not matched")
        return None, list(divisions), notes
    need = NeedQuery(
        hs_codes=list(hs),
        isic_codes=list(isic),
        text=name if not hs else None,
        lang="en" if not hs else None,
        preferred_countries=preferred,
        technology=technology,
        limit=limit,
    )
    return need, list(divisions), notes


def _index_of(table: MRIOTable, region: str, sector: str) -> int:
    if region not in table.regions:
        raise LabelError(f"region {region!r} is not in the table; it has {list(table.regions)}")
    if sector not in table.sectors:
        raise LabelError(f"sector {sector!r} is not in the table; it has {list(table.sectors)}")
    return table.regions.index(region) * table.n_sectors + table.sectors.index(sector)


def project_inputs(
    table: MRIOTable,
    region: str,
    sector: str,
    *,
    top: int = 10,
    limit: int = 10,
    technology: bool = False,
) -> list[InputNeed]:
    """The ``top`` inputs of a project in ``sector`` of ``region``, largest coefficient first
    (zero coefficients left out), each as a need (module docstring). Raises LabelError for a
    region or sector not in the table, ZeroOutputError when the industry has no output."""
    j = _index_of(table, region, sector)
    x = float(table.x[j])
    if x == 0.0:
        raise ZeroOutputError(
            f"industry ({region}, {sector}) has zero output: its input coefficients are undefined"
        )
    column = (table.Z[:, j] / x).reshape(table.n_regions, table.n_sectors)
    total = column.sum(axis=0)
    domestic = column[table.regions.index(region)]
    order = [int(s) for s in np.argsort(-total, kind="stable") if total[s] > 0][:top]
    out: list[InputNeed] = []
    for s in order:
        supplier = table.sectors[s]
        need, divisions, notes = _need(
            table, supplier, limit=limit, technology=technology, preferred=[]
        )
        out.append(
            InputNeed(
                origin="project",
                buyer_region=region,
                buyer_sector=sector,
                supplier_sector=supplier,
                coefficient=float(total[s]),
                domestic=float(domestic[s]),
                imported=float(total[s] - domestic[s]),
                isic3_divisions=divisions,
                need=need,
                notes=notes,
            )
        )
    return out


def _is_country(code: str) -> bool:
    try:
        country_name(code, "en")
    except LabelError:
        return False
    return True


def external_flow_needs(
    table: MRIOTable,
    bloc: BlocSpec = EAEU_MEMBERS,
    *,
    buyer_region: str | None = None,
    top: int = 10,
    limit: int = 10,
) -> list[InputNeed]:
    """The ``top`` largest flows into the bloc's industries from outside it (of
    ``buyer_region`` only, when given), each as a need for the supplier's product with the
    bloc's members as preferred countries."""
    flows = external_input_flows(table, bloc)
    if buyer_region is not None:
        if buyer_region not in table.regions:
            raise LabelError(
                f"buyer_region {buyer_region!r} is not in the table; it has {list(table.regions)}"
            )
        flows = flows[flows["buyer_region"] == buyer_region]
    members = [r for r in resolve_bloc(table.regions, bloc).present if _is_country(r)]
    chosen = flows.head(top)
    values = chosen["value"].to_numpy(dtype=np.float64)
    shares = chosen["share_of_buyer_inputs"].to_numpy(dtype=np.float64)
    labels = chosen[["supplier_region", "supplier_sector", "buyer_region", "buyer_sector"]]
    out: list[InputNeed] = []
    for k, (sup_region, sup_sector, buy_region, buy_sector) in enumerate(
        labels.astype(str).itertuples(index=False, name=None)
    ):
        need, divisions, notes = _need(
            table, sup_sector, limit=limit, technology=False, preferred=members
        )
        out.append(
            InputNeed(
                origin="external_flow",
                buyer_region=buy_region,
                buyer_sector=buy_sector,
                supplier_sector=sup_sector,
                supplier_region=sup_region,
                value=float(values[k]),
                share_of_buyer_inputs=float(shares[k]),
                isic3_divisions=divisions,
                need=need,
                notes=notes,
            )
        )
    return out
