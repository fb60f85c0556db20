"""Bloc views for the Eurasian Economic Union (or any bloc): the bloc's revealed advantage,
intra-bloc against external trade, and import-substitution opportunities.

**Bloc RCA** treats the bloc as one exporter (Balassa 1965)::

    RCA_Bp = (sum_{m in B} x_mp / sum_{m in B} x_m) / (x_p / x)

With ``intra="drop"`` trade among members counts as domestic, as for one economy: it leaves
both the bloc's exports and world exports (``x_Bp = sum_m x_mp - t_BBp``,
``x_p = sum_c x_cp - t_BBp`` with ``t_BBp`` the members' exports to each other); this needs a
complete partner dimension.

**Intra-bloc trade** by product: members' exports to members against exports to the rest of
the world. Needs a partner dimension; with partial partners (the built-in Kazakhstan extract)
intra-bloc exports are a lower bound, which the notes say.

**Import substitution**: products the bloc imports from outside (``sum_{c not in B, m in B}
x_cmp``) in which a member already has ``RCA >= 1``, or a density in the top quarter of its
densities (Hausmann et al. 2014: a capability nearby). Feasibility is 1 for a member with
``RCA >= 1`` and otherwise the percentile of its density among the products it does not make;
a product takes its best member. The ranking score is ``sqrt(value percentile x
feasibility)``, Karavan's choice, stated here. Needs imports, i.e. a partner dimension with
the exporters that sell to the bloc (a world bilateral table such as BACI): the built-in
world data hold exports only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from karavan.core.aggregation import BLOCS
from karavan.errors import LabelError, TableError
from karavan.trade.complexity import ComplexityResult, complexity
from karavan.trade.producers import NO_REGISTRY_NOTE, ProducerDirectory
from karavan.trade.rca import rca
from karavan.trade.table import TradeTable
from karavan.trade.views import next_products

__all__ = [
    "BlocView",
    "bloc_rca",
    "import_substitution",
    "intra_bloc_trade",
    "members_next_products",
    "resolve_bloc",
]


@dataclass(frozen=True)
class BlocView:
    """A labelled frame about a bloc, with what the data allowed said plainly in ``notes``."""

    bloc: str
    members: tuple[str, ...]
    present: tuple[str, ...]
    frame: pd.DataFrame
    notes: tuple[str, ...]


def resolve_bloc(bloc: str | Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """``"EAEU"`` / ``"EAEU+CHN"`` (see :data:`karavan.core.aggregation.BLOCS`) or a list of
    ISO3 codes -> (name, members)."""
    if isinstance(bloc, str):
        known = {k.upper(): k for k in BLOCS}
        if bloc.upper() not in known:
            raise LabelError(f"unknown bloc {bloc!r}; known: {', '.join(BLOCS)}")
        key = known[bloc.upper()]
        return key, BLOCS[key]
    members = tuple(dict.fromkeys(str(m) for m in bloc))
    if not members:
        raise LabelError("a bloc needs at least one member")
    return "+".join(members), members


def _present(labels: Iterable[str], members: tuple[str, ...]) -> tuple[str, ...]:
    have = set(labels)
    return tuple(m for m in members if m in have)


def _absent_note(members: tuple[str, ...], present: tuple[str, ...], where: str) -> list[str]:
    absent = [m for m in members if m not in present]
    return [f"not among the table's {where}: {', '.join(absent)}"] if absent else []


def _product_columns(table: TradeTable, idx: np.ndarray | None = None) -> dict[str, object]:
    products = list(table.products) if idx is None else [table.products[j] for j in idx]
    names, groups = table.meta.product_names, table.meta.product_groups
    return {
        "product": products,
        "name": [names.get(p, "") for p in products],
        "group": [groups.get(p, "") for p in products],
    }


def bloc_rca(
    table: TradeTable,
    bloc: str | Sequence[str] = "EAEU",
    *,
    intra: Literal["keep", "drop"] = "keep",
) -> BlocView:
    """The bloc's RCA by product, as one exporter, with each member's RCA beside it.

    Columns: ``product, name, group, bloc_exports, world_exports, bloc_share, rca,
    members_with_rca, rca_<member>...``, sorted by the bloc's RCA (largest first).
    """
    name, members = resolve_bloc(bloc)
    present = _present(table.exporters, members)
    if not present:
        raise LabelError(f"no member of {name} ({', '.join(members)}) is an exporter of this table")
    notes = _absent_note(members, present, "exporters")
    pos = [table.exporters.index(m) for m in present]
    bloc_x = table.X[pos].sum(axis=0)
    world_x = table.X.sum(axis=0)
    if intra == "drop":
        if table.coverage != "complete":
            raise TableError(
                "dropping intra-bloc trade needs a complete partner dimension; this table has "
                f"partner coverage {table.coverage!r}"
            )
        inside = _present(table.importers, members)
        t_bb = table.flows_between(present, inside)
        bloc_x, world_x = bloc_x - t_bb, world_x - t_bb
        notes.append("trade among members is domestic here: left out of bloc and world exports")
    elif intra == "keep":
        notes.append("bloc exports include the members' exports to each other")
    else:
        raise LabelError(f"intra must be 'keep' or 'drop'; got {intra!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = bloc_x / world_x
        bloc_rca_p = (bloc_x / bloc_x.sum()) / (world_x / world_x.sum())
    member_rca = rca(table.X)[pos]
    frame = pd.DataFrame(
        {
            **_product_columns(table),
            "bloc_exports": bloc_x,
            "world_exports": world_x,
            "bloc_share": share,
            "rca": bloc_rca_p,
            "members_with_rca": (np.nan_to_num(member_rca) >= 1.0).sum(axis=0),
        }
    )
    for m, row in zip(present, member_rca, strict=True):
        frame[f"rca_{m}"] = row
    frame = frame.sort_values("rca", ascending=False, kind="stable", na_position="last")
    return BlocView(name, members, present, frame.reset_index(drop=True), tuple(notes))


def intra_bloc_trade(table: TradeTable, bloc: str | Sequence[str] = "EAEU") -> BlocView:
    """Members' exports by product: to members (``intra``), to everyone else (``external``).

    Columns: ``product, name, group, exports, intra, external, intra_share``, largest exports
    first. ``external`` is exports minus intra-bloc exports, so with a partial partner
    dimension it also holds the trade to partners the table does not name.
    """
    name, members = resolve_bloc(bloc)
    if not table.has_partners:
        raise TableError(
            "intra-bloc trade needs a partner (importer) dimension; this table "
            f"({table.meta.source or 'trade data'}) holds exports to the world only"
        )
    exporters = _present(table.exporters, members)
    if not exporters:
        raise LabelError(f"no member of {name} is an exporter of this table")
    importers = _present(table.importers, members)
    notes = _absent_note(members, exporters, "exporters")
    # a member missing as a partner matters only if another member exports to it
    missing = [m for m in members if m not in importers and set(exporters) - {m}]
    if missing:
        notes.append(f"not among the table's partners: {', '.join(missing)}")
    if table.coverage == "partial":
        notes.append(
            "partner dimension is partial: intra-bloc exports are a lower bound (trade with "
            "members that are not among the partners is inside 'external')"
        )
    pos = [table.exporters.index(m) for m in exporters]
    exports = table.X[pos].sum(axis=0)
    intra = table.flows_between(exporters, importers) if importers else np.zeros_like(exports)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(exports > 0, intra / np.where(exports > 0, exports, 1.0), np.nan)
    frame = pd.DataFrame(
        {
            **_product_columns(table),
            "exports": exports,
            "intra": intra,
            "external": exports - intra,
            "intra_share": share,
        }
    )
    frame = frame[frame["exports"] > 0].sort_values("exports", ascending=False, kind="stable")
    return BlocView(name, members, exporters, frame.reset_index(drop=True), tuple(notes))


def _percentile(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Share of ``among`` at or below each value (NaN stays NaN)."""
    ref = np.sort(among[np.isfinite(among)])
    if ref.size == 0:
        return np.full(values.shape, np.nan)
    out = np.searchsorted(ref, values, side="right") / ref.size
    return np.where(np.isfinite(values), out, np.nan)


def import_substitution(
    table: TradeTable,
    bloc: str | Sequence[str] = "EAEU",
    *,
    result: ComplexityResult | None = None,
    rca_threshold: float = 1.0,
    density_quantile: float = 0.75,
    producers: ProducerDirectory | None = None,
    top: int | None = None,
) -> BlocView:
    """Products the bloc imports from outside that a member makes, or could make, ranked.

    Columns: ``product, name, group, external_imports, intra_imports, external_share,
    top_supplier, top_supplier_share, best_member, best_member_rca, best_member_density,
    basis ('rca' or 'density'), pci, feasibility, value_pct, score`` (and ``producers`` with a
    :class:`~karavan.trade.producers.ProducerDirectory`), best score first.
    """
    name, members = resolve_bloc(bloc)
    if not table.has_partners:
        raise TableError(
            "import substitution needs the bloc's imports, i.e. a partner (importer) dimension; "
            f"this table ({table.meta.source or 'trade data'}) holds exports to the world only"
        )
    buyers = _present(table.importers, members)
    outside = tuple(e for e in table.exporters if e not in set(members))
    if not buyers or not outside:
        raise TableError(
            f"the table holds no imports of {name} from outside it: "
            f"{'no member is among the importers' if not buyers else 'every exporter is a member'}"
        )
    ext_rows = [table.exporters.index(e) for e in outside]
    by_supplier = np.vstack([table.flows_between([table.exporters[i]], buyers) for i in ext_rows])
    external = by_supplier.sum(axis=0)
    if not (external > 0).any():
        raise TableError(f"the table records no imports of {name} from outside it")
    makers = _present(table.exporters, members)
    intra = table.flows_between(makers, buyers) if makers else np.zeros_like(external)
    notes = _absent_note(members, buyers, "importers")
    notes += _absent_note(members, makers, "exporters (their capabilities are unknown)")
    if table.coverage == "partial":
        notes.append("partner dimension is partial: imports are lower bounds")
    res = result if result is not None else complexity(table)
    if res.rca is None:
        raise TableError("import substitution needs RCA: use a result with presence rca or rpop")
    nc, npr = len(makers), len(table.products)
    feas = np.zeros((max(nc, 1), npr))
    rca_m = np.full((max(nc, 1), npr), np.nan)
    dens_m = np.full((max(nc, 1), npr), np.nan)
    near = np.zeros((max(nc, 1), npr), dtype=bool)
    for k, m in enumerate(makers):
        c = res.exporters.index(m)
        rca_m[k], dens_m[k] = res.rca[c], res.density[c]
        not_made = np.nan_to_num(rca_m[k]) < rca_threshold
        pct = _percentile(dens_m[k], dens_m[k][not_made])
        feas[k] = np.where(~not_made, 1.0, np.nan_to_num(pct))
        cut = np.nanquantile(dens_m[k][not_made], density_quantile) if not_made.any() else np.inf
        near[k] = not_made & (np.nan_to_num(dens_m[k], nan=-np.inf) >= cut)
    made_by = np.nan_to_num(rca_m) >= rca_threshold
    # best member: the strongest RCA among those that make p, else the highest feasibility
    best = np.where(made_by, 10.0 + np.nan_to_num(rca_m), feas).argmax(axis=0)
    made = (np.nan_to_num(rca_m) >= rca_threshold).any(axis=0) if nc else np.zeros(npr, bool)
    keep = (external > 0) & (made | near.any(axis=0)) if nc else np.zeros(npr, bool)
    idx = np.flatnonzero(keep)
    top_sup = by_supplier[:, idx].argmax(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ext_share = external[idx] / (external[idx] + intra[idx])
        sup_share = by_supplier[top_sup, idx] / external[idx]
    value_pct = _percentile(external[idx], external[idx])
    feasibility = feas[best[idx], idx]
    frame = pd.DataFrame(
        {
            **_product_columns(table, idx),
            "external_imports": external[idx],
            "intra_imports": intra[idx],
            "external_share": ext_share,
            "top_supplier": [outside[i] for i in top_sup],
            "top_supplier_share": sup_share,
            "best_member": [makers[best[j]] for j in idx] if nc else [],
            "best_member_rca": rca_m[best[idx], idx],
            "best_member_density": dens_m[best[idx], idx],
            "basis": np.where(made[idx], "rca", "density"),
            "pci": res.pci[idx],
            "feasibility": feasibility,
            "value_pct": value_pct,
            "score": np.sqrt(value_pct * feasibility),
        }
    )
    if producers is not None:
        frame["producers"] = [
            [p.name for p in producers.producers(m, p_, table.meta.classification)]
            for m, p_ in zip(frame["best_member"], frame["product"], strict=True)
        ]
    else:
        notes.append(NO_REGISTRY_NOTE)
    frame = frame.sort_values(
        ["score", "external_imports"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    if top is not None:
        frame = frame.iloc[:top]
    return BlocView(name, members, makers, frame, tuple(notes))


def members_next_products(
    result: ComplexityResult, bloc: str | Sequence[str] = "EAEU", *, top: int = 10
) -> BlocView:
    """The ``top`` feasible next products of every member among the result's exporters
    (:func:`karavan.trade.views.next_products`, stacked with a ``country`` column)."""
    name, members = resolve_bloc(bloc)
    present = _present(result.exporters, members)
    if not present:
        raise LabelError(f"no member of {name} is an exporter of these data")
    frames = [next_products(result, m, top=top).assign(country=m) for m in present]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["country", *[c for c in frame.columns if c != "country"]]]
    notes = _absent_note(members, present, "exporters")
    return BlocView(name, members, present, frame, tuple(notes))
