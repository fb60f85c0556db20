"""Entry point of the ``karavan`` command (``karavan = karavan.cli.main:main``).

The commands live in :mod:`karavan.cli.datasets` (datasets, import, info, validate, aggregate),
:mod:`karavan.cli.analysis` (footprint, multipliers, value-added-origin) and
:mod:`karavan.cli.report` (report); importing them registers them on :data:`app`.
"""

from __future__ import annotations

from karavan.cli import analysis, datasets, report
from karavan.cli.app import app

__all__ = ["app", "main"]

_COMMAND_MODULES = (datasets, analysis, report)


def main() -> None:
    """Run the command line (exit codes: 0 ok, 1 unexpected error, 2 user or data error,
    3 a check failed)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
