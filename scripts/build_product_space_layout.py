"""Precompute the drawing of the built-in product space (issue 9: the trade page's first render).

The trade page draws the product space of the built-in world data (785 SITC products, 973
edges) with a force-directed layout (:func:`karavan.web.pages.trade.layout_positions`, seed 7,
100 iterations). Computing it takes about 3 s, which a page cannot spend on its first request,
so this script computes it once from the package's own built-in data and writes
``src/karavan/data/trade/product_space_layout.csv`` (``product, x, y``, coordinates within
[-1, 1] rounded to 6 decimals, rows in the product space's node order). The page reads the
file and falls back to computing (and says so) only when the file does not cover the graph.

The drawing is deterministic for a given seed on one machine. It is a chaotic iteration, so a
different summation order (another CPU's SIMD width) can move nodes in the last bits and then
further; shipping the file also makes the picture the same everywhere.

    python scripts/build_product_space_layout.py [--out PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from karavan.trade import product_space
from karavan.web.pages.trade import LAYOUT_FILE, build_layout, world_complexity

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "karavan" / "data" / "trade" / LAYOUT_FILE


def product_space_layout() -> pd.DataFrame:
    """The drawing of the built-in world data's product space (``product, x, y``)."""
    space = product_space(world_complexity())
    return build_layout(space.nodes, space.edges)


def write_layout(frame: pd.DataFrame, path: Path) -> None:
    """Write the drawing as CSV with fixed formatting (byte-identical for equal frames)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    frame = product_space_layout()
    write_layout(frame, args.out)
    print(f"wrote {len(frame)} positions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
