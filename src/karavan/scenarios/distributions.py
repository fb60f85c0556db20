"""Distributions a scenario's numeric parameters may take instead of a number.

Each is a small pydantic model, tagged by ``dist``, with ``ppf(u)`` (the inverse CDF, so that
Latin hypercube samples map uniform strata to values), ``sample(rng, n)`` and ``mean``. A
degenerate distribution (zero spread) returns its location exactly, so that a Monte Carlo run
with degenerate distributions equals the deterministic run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats

__all__ = [
    "Distribution",
    "LogNormal",
    "Normal",
    "Param",
    "Triangular",
    "Uniform",
    "param_mean",
    "param_ppf",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def ppf(self, u: FloatArray) -> FloatArray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.ppf(rng.random(n))

    @property
    def mean(self) -> float:
        raise NotImplementedError


class Normal(_Dist):
    """Normal with mean ``mean_`` (field ``mean``) and standard deviation ``sd``."""

    dist: Literal["normal"] = "normal"
    mu: float = Field(alias="mean")
    sd: float = Field(ge=0.0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def ppf(self, u: FloatArray) -> FloatArray:
        if self.sd == 0.0:
            return np.full(np.shape(u), self.mu)
        return np.asarray(stats.norm.ppf(u, loc=self.mu, scale=self.sd), dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.mu


class LogNormal(_Dist):
    """Log-normal: ``log X ~ Normal(mu, sigma)`` (``mu``, ``sigma`` of the logarithm)."""

    dist: Literal["lognormal"] = "lognormal"
    mu: float
    sigma: float = Field(ge=0.0)

    def ppf(self, u: FloatArray) -> FloatArray:
        if self.sigma == 0.0:
            return np.full(np.shape(u), float(np.exp(self.mu)))
        return np.asarray(
            stats.lognorm.ppf(u, s=self.sigma, scale=np.exp(self.mu)), dtype=np.float64
        )

    @property
    def mean(self) -> float:
        return float(np.exp(self.mu + self.sigma**2 / 2))


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with mode ``mode``."""

    dist: Literal["triangular"] = "triangular"
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"triangular needs low <= mode <= high; got {self.low}, {self.mode}, {self.high}"
            )
        return self

    def ppf(self, u: FloatArray) -> FloatArray:
        width = self.high - self.low
        if width == 0.0:
            return np.full(np.shape(u), self.low)
        c = (self.mode - self.low) / width
        return np.asarray(stats.triang.ppf(u, c, loc=self.low, scale=width), dtype=np.float64)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"uniform needs low <= high; got {self.low}, {self.high}")
        return self

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.asarray(self.low + (self.high - self.low) * np.asarray(u), dtype=np.float64)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0


Distribution = Annotated[Normal | LogNormal | Triangular | Uniform, Field(discriminator="dist")]
Param = float | Distribution
"""A numeric scenario parameter: a number, or a distribution of it."""


def param_mean(p: float | _Dist) -> float:
    return float(p) if isinstance(p, int | float) else p.mean


def param_ppf(p: float | _Dist, u: FloatArray) -> FloatArray:
    """Values of ``p`` at uniform quantiles ``u`` (a number is returned as a constant)."""
    if isinstance(p, int | float):
        return np.full(np.shape(u), float(p))
    return p.ppf(u)
