"""Economic complexity: ECI and PCI by the eigenvector method, Fitness-Complexity, and the
full metric set of the Growth Lab's ``ecomplexity`` in one call.

**ECI and PCI** (Hidalgo and Hausmann 2009, "The building blocks of economic complexity",
*PNAS* 106: 10570-10575; Hausmann et al. 2014, *The Atlas of Economic Complexity*, technical
box 2.1). With ``M`` the presence matrix, diversity ``k_c = sum_p M_cp`` and ubiquity
``k_p = sum_c M_cp``::

    M~cc' = sum_p M_cp M_c'p / (k_c k_p)        M~pp' = sum_c M_cp M_cp' / (k_c k_p)

``K_c`` is the eigenvector of ``M~cc'`` for its second-largest eigenvalue (the largest, 1, has
a constant eigenvector), and ``K_p`` that of ``M~pp'``; they are linked by
``K_c = (1/k_c) sum_p M_cp K_p`` (the ECI of a country is the mean PCI of its products).
Karavan solves the symmetric form of the smaller of the two problems
(``D_c^-1/2 M D_p^-1 M' D_c^-1/2`` for countries) with LAPACK ``syevr`` and maps the vector to
the other side, instead of the dense non-symmetric eigensolver ``ecomplexity`` uses on the
products' side.

**Normalisation and sign**, as the Growth Lab's ``ecomplexity`` (and its Stata original) do::

    ECI = (K_c - mean(K_c)) / std(K_c)        PCI = (K_p - mean(K_c)) / std(K_c)

(population standard deviation over the countries in the network), which keeps
``ECI_c = mean of PCI_p over the products with M_cp = 1``. The sign of an eigenvector is
arbitrary; Karavan fixes it so that **ECI is positively correlated with diversity** (with total
exports when diversity does not vary).

**Fitness-Complexity** (Tacchella, Cristelli, Caldarelli, Gabrielli and Pietronero 2012, "A new
metrics for countries' fitness and products' complexity", *Scientific Reports* 2: 723)::

    F~_c = sum_p M_cp Q_p        Q~_p = 1 / sum_c M_cp / F_c

each step normalised to mean 1, from ``F = Q = 1``, until the largest relative change falls
below ``tol`` or ``iterations`` steps have run.

**Zero rows.** A country with zero diversity or a product with zero ubiquity is outside the
network: its ECI / PCI (and density, distance, COI, COG) are NaN and every other value is
computed as if it were absent. ``ecomplexity`` drops countries and products with zero exports
the same way, but a zero-diversity country that does export (possible with RPOP or a
threshold above 1) turns its whole year into NaN; Karavan confines it to that row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.linalg as la

from karavan.errors import LabelError, ShapeError
from karavan.trade import space
from karavan.trade.rca import mcp, population_vector, rca, rpop
from karavan.trade.table import Array, TradeMetadata, TradeTable

__all__ = [
    "ComplexityResult",
    "Presence",
    "complexity",
    "eci_pci",
    "fitness_complexity",
]

Presence = Literal["rca", "rpop", "manual"]


def _sign(kc: Array, *refs: Array) -> float:
    """+1 or -1: the sign that makes ``kc`` correlate positively with the first reference
    that varies."""
    for ref in refs:
        if ref.size > 1 and np.ptp(ref) > 0 and np.ptp(kc) > 0:
            r = float(np.corrcoef(ref, kc)[0, 1])
            if np.isfinite(r) and abs(r) > 1e-12:
                return 1.0 if r > 0 else -1.0
    return 1.0


def _eigvec2(S: Array) -> tuple[Array, float]:
    """Eigenvector of the symmetric ``S`` for its second-largest eigenvalue."""
    n = S.shape[0]
    w, V = la.eigh(S, subset_by_index=[n - 2, n - 1], driver="evr")
    return np.asarray(V[:, 0], dtype=np.float64), float(w[0])


def eci_raw(M: Any, tiebreak: Any = None) -> tuple[Array, Array, float]:
    """Unnormalised ``(K_c, K_p, lambda_2)`` of a presence matrix whose every row and column
    has a positive sum, signed so that ``K_c`` correlates positively with diversity (with
    ``tiebreak``, e.g. total exports, when that correlation is zero)."""
    M = np.asarray(M, dtype=np.float64)
    kc0 = M.sum(axis=1)
    kp0 = M.sum(axis=0)
    if (kc0 <= 0).any() or (kp0 <= 0).any():
        raise ShapeError("every country and product of the network needs a positive sum")
    if min(M.shape) < 2:
        raise ShapeError(f"ECI needs at least 2 countries and 2 products; got {M.shape}")
    sc, sp_ = np.sqrt(kc0), np.sqrt(kp0)
    A = M / sc[:, None] / sp_[None, :]
    with space.one_blas_thread():
        if M.shape[0] <= M.shape[1]:
            u, lam = _eigvec2(A @ A.T)
            kp = (M.T @ (u / sc)) / kp0
        else:
            v, lam = _eigvec2(A.T @ A)
            kp = v / sp_
        kc = (M @ kp) / kc0
    refs = (kc0,) if tiebreak is None else (kc0, np.asarray(tiebreak, dtype=np.float64))
    s = _sign(kc, *refs)
    return s * kc, s * kp, lam


def _standardise(values: Array, ref: Array) -> Array:
    """``(values - mean(ref)) / std(ref)`` (population std); NaN when ``ref`` does not vary."""
    sd = float(ref.std())
    if not (np.isfinite(sd) and sd > 0):
        return np.full(values.shape, np.nan)
    out: Array = (values - ref.mean()) / sd
    return out


def eci_pci(M: Any) -> tuple[Array, Array]:
    """ECI and PCI of a presence matrix, normalised as the Growth Lab does; NaN for countries
    with zero diversity and products with zero ubiquity (see the module docstring)."""
    M = np.asarray(M, dtype=np.float64)
    rows, cols = M.sum(axis=1) > 0, M.sum(axis=0) > 0
    eci = np.full(M.shape[0], np.nan)
    pci = np.full(M.shape[1], np.nan)
    if rows.sum() >= 2 and cols.sum() >= 2:
        kc, kp, _ = eci_raw(M[np.ix_(rows, cols)])
        eci[rows] = _standardise(kc, kc)
        pci[cols] = _standardise(kp, kc)
    return eci, pci


def fitness_complexity(
    M: Any, *, iterations: int = 200, tol: float = 1e-12
) -> tuple[Array, Array, int]:
    """Fitness of countries and complexity of products (Tacchella et al. 2012), each with mean
    1 over the network; NaN outside it. Returns ``(fitness, complexity, steps run)``."""
    M = np.asarray(M, dtype=np.float64)
    rows, cols = M.sum(axis=1) > 0, M.sum(axis=0) > 0
    Mv = M[np.ix_(rows, cols)]
    F = np.ones(Mv.shape[0])
    Q = np.ones(Mv.shape[1])
    step = 0
    with space.one_blas_thread():
        for step in range(1, iterations + 1):  # noqa: B007 - the count is returned
            F_new = Mv @ Q
            zero = F <= 0
            inv = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, F))
            s = Mv.T @ inv
            Q_new = np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), 0.0)
            if zero.any():  # a product made by a country of fitness 0 has complexity 0
                Q_new[Mv[zero].sum(axis=0) > 0] = 0.0
            F_new /= F_new.mean()
            Q_new /= Q_new.mean()
            change = max(
                float(np.max(np.abs(F_new - F) / np.maximum(np.abs(F), 1e-300))),
                float(np.max(np.abs(Q_new - Q) / np.maximum(np.abs(Q), 1e-300))),
            )
            F, Q = F_new, Q_new
            if change < tol:
                break
    fit = np.full(M.shape[0], np.nan)
    cpx = np.full(M.shape[1], np.nan)
    fit[rows] = F
    cpx[cols] = Q
    return fit, cpx, step


@dataclass(frozen=True, eq=False)
class ComplexityResult:
    """Every metric of one table, as arrays in the table's order with labelled views.

    Country arrays have one entry per exporter, product arrays one per product, matrices are
    exporters x products (``proximity`` is products x products). ``kc``/``kp`` are the signed,
    unnormalised eigenvectors (see the module docstring); ``in_network_*`` mark the rows that
    enter the network (positive diversity / ubiquity).
    """

    exporters: tuple[str, ...]
    products: tuple[str, ...]
    year: int | None
    meta: TradeMetadata
    options: Mapping[str, Any]
    exports: Array
    rca: Array | None
    rpop: Array | None
    mcp: Array
    diversity: Array
    ubiquity: Array
    eci: Array
    pci: Array
    kc: Array
    kp: Array
    eigenvalue: float
    proximity: Array
    density: Array
    distance: Array
    coi: Array
    cog: Array
    fitness: Array | None = None
    fc_complexity: Array | None = None
    in_network_countries: Array | None = None
    in_network_products: Array | None = None

    def countries(self) -> pd.DataFrame:
        """One row per exporter: exports, diversity, ECI, COI (and fitness), ECI rank."""
        frame = pd.DataFrame(
            {
                "exports": self.exports.sum(axis=1),
                "diversity": self.diversity,
                "eci": self.eci,
                "coi": self.coi,
            },
            index=pd.Index(self.exporters, name="exporter"),
        )
        if self.fitness is not None:
            frame["fitness"] = self.fitness
        frame["eci_rank"] = frame["eci"].rank(ascending=False, method="min").astype("Int64")
        return frame

    def product_frame(self) -> pd.DataFrame:
        """One row per product: name, group, world exports, ubiquity, PCI (and FC complexity)."""
        names, groups = self.meta.product_names, self.meta.product_groups
        frame = pd.DataFrame(
            {
                "name": [names.get(p, "") for p in self.products],
                "group": [groups.get(p, "") for p in self.products],
                "world_exports": self.exports.sum(axis=0),
                "ubiquity": self.ubiquity,
                "pci": self.pci,
            },
            index=pd.Index(self.products, name="product"),
        )
        if self.fc_complexity is not None:
            frame["fc_complexity"] = self.fc_complexity
        return frame

    def matrix(self, name: str) -> pd.DataFrame:
        """A labelled matrix: ``exports``, ``rca``, ``rpop``, ``mcp``, ``density``,
        ``distance``, ``cog`` (exporter x product) or ``proximity`` (product x product)."""
        if name == "proximity":
            return pd.DataFrame(
                self.proximity,
                index=pd.Index(self.products, name="product"),
                columns=pd.Index(self.products, name="product_2"),
                copy=False,
            )
        allowed = ("exports", "rca", "rpop", "mcp", "density", "distance", "cog")
        if name not in allowed:
            choices = ", ".join((*allowed, "proximity"))
            raise LabelError(f"unknown matrix {name!r}; choose one of {choices}")
        values = getattr(self, name)
        if values is None:
            raise LabelError(f"this result has no {name!r} (presence test {self.options})")
        return pd.DataFrame(
            values,
            index=pd.Index(self.exporters, name="exporter"),
            columns=pd.Index(self.products, name="product"),
            copy=False,
        )

    def long(self) -> pd.DataFrame:
        """Every (exporter, product) pair with all metrics, like ``ecomplexity``'s output."""
        nc, npr = len(self.exporters), len(self.products)
        data: dict[str, Any] = {
            "exporter": np.repeat(np.asarray(self.exporters, dtype=object), npr),
            "product": np.tile(np.asarray(self.products, dtype=object), nc),
            "value": self.exports.ravel(),
        }
        for name in ("rca", "rpop"):
            arr = getattr(self, name)
            if arr is not None:
                data[name] = arr.ravel()
        data.update(
            {
                "mcp": self.mcp.ravel(),
                "diversity": np.repeat(self.diversity, npr),
                "ubiquity": np.tile(self.ubiquity, nc),
                "eci": np.repeat(self.eci, npr),
                "pci": np.tile(self.pci, nc),
                "density": self.density.ravel(),
                "distance": self.distance.ravel(),
                "coi": np.repeat(self.coi, npr),
                "cog": self.cog.ravel(),
            }
        )
        return pd.DataFrame(data)


def _presence_input(
    table: TradeTable,
    presence: Presence,
    threshold: float,
    population: Mapping[str, float] | pd.Series | None,
) -> tuple[Array | None, Array | None, Array, Array]:
    """(rca, rpop, M, index used for continuous proximity)."""
    X = table.X
    if presence == "manual":
        return None, None, np.array(X, dtype=np.float64), np.array(X, dtype=np.float64)
    r = rca(X)
    if presence == "rca":
        return r, None, mcp(r, threshold), r
    if presence == "rpop":
        if population is None:
            raise LabelError("presence 'rpop' needs population by exporter")
        rp = rpop(X, population_vector(table, population))
        return r, rp, mcp(rp, threshold), rp
    raise LabelError(f"presence must be 'rca', 'rpop' or 'manual'; got {presence!r}")


Index = np.ndarray[Any, np.dtype[np.intp]]


def _scatter(values: Array, ri: Index, ci: Index, shape: tuple[int, int]) -> Array:
    """``values`` placed at rows ``ri`` and columns ``ci`` of a NaN array of ``shape`` (no copy
    when they cover it all)."""
    if values.shape == shape:
        return values
    out = np.full(shape, np.nan)
    out[np.ix_(ri, ci)] = values
    return out


def _user_proximity(frame: pd.DataFrame, products: tuple[str, ...]) -> Array:
    labels = list(products)
    missing = [p for p in labels if p not in frame.index or p not in frame.columns]
    if missing:
        raise LabelError(f"the proximity given lacks products {missing[:10]} ({len(missing)})")
    phi = frame.loc[labels, labels].to_numpy(dtype=np.float64)
    if not np.isfinite(phi).all():
        raise LabelError("the proximity given holds NaN or infinite values")
    return phi


def complexity(
    table: TradeTable,
    *,
    presence: Presence = "rca",
    threshold: float = 1.0,
    population: Mapping[str, float] | pd.Series | None = None,
    continuous: bool = False,
    asymmetric: bool = False,
    knn: int | None = None,
    proximity: pd.DataFrame | None = None,
    fitness: bool = False,
    fitness_iterations: int = 200,
) -> ComplexityResult:
    """Every metric of ``table``: RCA (and RPOP), Mcp, diversity, ubiquity, ECI, PCI,
    proximity, density, distance, COI, COG and, with ``fitness``, Fitness-Complexity.

    The options are those of the Growth Lab's ``ecomplexity`` (and give the same numbers):
    ``presence`` ``"rca"`` (Mcp from Balassa's RCA), ``"rpop"`` (from RPOP; needs
    ``population``) or ``"manual"`` (the table's values are Mcp); ``threshold`` for Mcp;
    ``continuous`` proximity (correlation of RCA / RPOP; density from them); ``asymmetric``
    proximity; ``knn`` neighbours for density; ``proximity`` given as a product x product
    frame instead of computed.
    """
    r, rp, M, index = _presence_input(table, presence, threshold, population)
    nc, npr = M.shape
    rows = M.sum(axis=1) > 0
    cols = M.sum(axis=0) > 0
    eci = np.full(nc, np.nan)
    pci = np.full(npr, np.nan)
    kc_full = np.full(nc, np.nan)
    kp_full = np.full(npr, np.nan)
    coi = np.full(nc, np.nan)
    lam = float("nan")
    ri, ci = np.flatnonzero(rows), np.flatnonzero(cols)
    if ri.size < 2 or ci.size < 2:  # no network: every network metric is undefined
        empty = np.full((nc, npr), np.nan)
        dens = dist = cog = empty
        phi_full = np.full((npr, npr), np.nan)
    else:
        Mv = M[np.ix_(ri, ci)]
        kc, kp, lam = eci_raw(Mv, tiebreak=table.X[ri].sum(axis=1))
        sd = float(kc.std())
        inv_sd = 1.0 / sd if sd > 0 else np.nan  # COG in units of the ECI's std
        eci[ri], pci[ci] = _standardise(kc, kc), _standardise(kp, kc)
        kc_full[ri], kp_full[ci] = kc, kp
        Mp = M[:, ci]
        fast = proximity is None and not (continuous or asymmetric) and knn is None
        if proximity is not None:
            phi = _user_proximity(proximity, tuple(table.products[j] for j in ci))
        elif continuous:
            exporting = np.isfinite(index[:, ci]).all(axis=1) & (table.X.sum(axis=1) > 0)
            phi = space.continuous_proximity(index[np.ix_(exporting, ci)])
        else:
            phi = space.proximity(Mp, asymmetric=asymmetric)
        if fast:  # products with phi through its structure (space.times_proximity)
            stacked = space.times_proximity(np.vstack([Mv, np.ones((1, ci.size))]), Mp)
            den = stacked[-1]
            d = stacked[:-1] / den[None, :]
            dv = 1.0 - d
            w = kp / den
            g = (1.0 - Mv) * space.times_proximity((1.0 - Mv) * w[None, :], Mp) * inv_sd
        else:
            pres = index[np.ix_(ri, ci)] if continuous and presence != "manual" else Mv
            d = space.density(pres, phi) if knn is None else space.knn_density(pres, phi, knn)
            dv = space.distance(Mv, phi) if continuous or knn is not None else 1.0 - d
            g = space.complexity_outlook_gain(Mv, phi, kp) * inv_sd
        c_raw = space.complexity_outlook_index(d, Mv, kp)
        coi[ri] = _standardise(c_raw, c_raw)
        dens, dist, cog = (_scatter(a, ri, ci, (nc, npr)) for a in (d, dv, g))
        phi_full = _scatter(phi, ci, ci, (npr, npr))
    fit = cpx = None
    if fitness:
        fit, cpx, _ = fitness_complexity(M, iterations=fitness_iterations)
    return ComplexityResult(
        exporters=table.exporters,
        products=table.products,
        year=table.year,
        meta=table.meta,
        options={
            "presence": presence,
            "threshold": threshold,
            "continuous": continuous,
            "asymmetric": asymmetric,
            "knn": knn,
            "proximity": "given" if proximity is not None else "computed",
        },
        exports=table.X,
        rca=r,
        rpop=rp,
        mcp=M,
        diversity=M.sum(axis=1),
        ubiquity=M.sum(axis=0),
        eci=eci,
        pci=pci,
        kc=kc_full,
        kp=kp_full,
        eigenvalue=lam,
        proximity=phi_full,
        density=dens,
        distance=dist,
        coi=coi,
        cog=cog,
        fitness=fit,
        fc_complexity=cpx,
        in_network_countries=rows,
        in_network_products=cols,
    )
