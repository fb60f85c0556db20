"""Entry point of the ``karavan`` command (``karavan = karavan.cli.main:main``).

The commands live in :mod:`karavan.cli.datasets` (datasets, import, info, validate, aggregate),
:mod:`karavan.cli.analysis` (footprint, multipliers, value-added-origin),
:mod:`karavan.cli.report` (report), :mod:`karavan.cli.closure` (closure, dependency),
:mod:`karavan.cli.gvc` (tiva, decompose), :mod:`karavan.cli.trade` and
:mod:`karavan.cli.trade_views` (the ``trade`` group: datasets, rca, complexity, opportunities,
intra, next-products, product-space) and :mod:`karavan.cli.scenario` (the ``scenario`` group:
run, list, compare, export, schema) and :mod:`karavan.cli.serve` (serve, and the ``registry``
group: init, create-admin, seed) and :mod:`karavan.cli.match` (the ``match`` group: need,
project, external); importing them registers them on :data:`app`.
"""

from __future__ import annotations

from karavan.cli import (
    analysis,
    closure,
    datasets,
    gvc,
    match,
    report,
    scenario,
    serve,
    trade,
    trade_views,
)
from karavan.cli.app import app

__all__ = ["app", "main"]

_COMMAND_MODULES = (
    datasets,
    analysis,
    report,
    closure,
    gvc,
    trade,
    trade_views,
    scenario,
    serve,
    match,
)


def main() -> None:
    """Run the command line (exit codes: 0 ok, 1 unexpected error, 2 user or data error,
    3 a check failed)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
