"""``karavan trade`` views of blocs and countries: import-substitution opportunities,
intra-bloc trade, feasible next products and the product space."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, YearOpt, fail, state
from karavan.cli.match import registry_path
from karavan.cli.render import Col, fmt_amount, fmt_ratio, fmt_share
from karavan.cli.trade import (
    DataOpt,
    FileOpt,
    FormatOpt,
    MinExportsOpt,
    TopOpt,
    first_rows,
    load_trade,
    notes_caption,
    pick_exporters,
    require_world,
    source_title,
    trade_app,
)
from karavan.core.aggregation import BLOCS
from karavan.errors import RecordValidationError
from karavan.matching import Matcher, RegistryProducerDirectory
from karavan.registry import open_registry
from karavan.trade.builtin import country_names
from karavan.trade.complexity import complexity
from karavan.trade.eaeu import import_substitution, intra_bloc_trade, resolve_bloc
from karavan.trade.producers import Producer, ProducerDirectory
from karavan.trade.views import next_products, product_space

__all__ = ["intra_cmd", "next_products_cmd", "opportunities_cmd", "product_space_cmd"]

BlocOpt = Annotated[str, typer.Option("--bloc", "-b", help="EAEU, EAEU+CHN, or members 'RUS,KAZ'.")]


# ---------------------------------------------------------------------- opportunities
RegistryOpt = Annotated[
    str | None,
    typer.Option(
        "--registry",
        "--database-url",
        help="Registry whose published producers to list (default: the settings' registry, "
        "when its database file exists).",
        show_default=False,
    ),
]


class _HS2022Producers:
    """Registry producers of the rows' products, asking only for HS 2022 subheadings: a code of
    an older HS edition that HS 2022 dropped (or a generated one) has no registry producers,
    and is counted rather than stopping the view."""

    def __init__(self, directory: RegistryProducerDirectory) -> None:
        self.directory = directory
        self.unknown: set[str] = set()

    def producers(self, country: str, product: str, classification: str) -> Sequence[Producer]:
        try:
            return self.directory.producers(country, product, classification)
        except RecordValidationError:
            self.unknown.add(product)
            return []


@contextmanager
def _registry_producers(
    ctx: typer.Context, url: str | None, classification: str
) -> Iterator[tuple[_HS2022Producers | None, list[str]]]:
    """The producer directory of the registry at ``url`` (default: the settings' registry if
    its file exists) and notes saying which registry was used, or why none was."""
    chosen = url or state(ctx).settings.registry_url()
    path = registry_path(chosen)
    if path is not None and not path.is_file():
        if url is not None:
            fail(
                f"no registry at {path}: create it with 'karavan registry init', or fix --registry"
            )
        yield None, [f"no registry used: {path} does not exist (pass --registry URL)"]
        return
    if classification != RegistryProducerDirectory.CLASSIFICATION:
        yield (
            None,
            [
                f"no registry used: the registry records "
                f"{RegistryProducerDirectory.CLASSIFICATION} codes and these data are "
                f"classified by {classification or 'unknown codes'}"
            ],
        )
        return
    registry = open_registry(chosen)
    try:
        yield _HS2022Producers(RegistryProducerDirectory(Matcher(registry))), []
    finally:
        registry.close()


def _producer_notes(directory: _HS2022Producers | None, frame: pd.DataFrame) -> list[str]:
    if directory is None:
        return []
    listed = int(frame["producers"].map(len).sum()) if "producers" in frame else 0
    notes = [
        f"producers: {listed} published registry product(s) of the best member in the row's HS code"
    ]
    if directory.unknown:
        notes.append(
            f"{len(directory.unknown)} product code(s) are not HS 2022 subheadings: no registry "
            f"producers for them (e.g. {', '.join(sorted(directory.unknown)[:3])})"
        )
    return notes


@trade_app.command("opportunities")
def opportunities_cmd(
    ctx: typer.Context,
    bloc: BlocOpt = "EAEU",
    data: DataOpt = "world-sitc2",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    rca_threshold: Annotated[
        float, typer.Option("--rca-threshold", help="A member makes p if RCA >= this.")
    ] = 1.0,
    density_quantile: Annotated[
        float,
        typer.Option(
            "--density-quantile",
            min=0.0,
            max=1.0,
            help="Or if its density is in this top quantile.",
        ),
    ] = 0.75,
    top: TopOpt = 20,
    registry_url: RegistryOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import substitution: what the bloc imports from outside that a member makes or could make,
    with the best member's producers from the registry (HS 6-digit data).

    Needs imports, i.e. data with partners (a BACI or Comtrade file): the built-in world data
    hold exports only."""
    loaded, _ = load_trade(data, file, fmt, year)
    require_world(loaded, "import substitution")
    spec = bloc.split(",") if "," in bloc else bloc
    classification = loaded.table.meta.classification
    with _registry_producers(ctx, registry_url, classification) as (directory, notes):
        producers: ProducerDirectory | None = directory
        view = import_substitution(
            loaded.table,
            spec,
            rca_threshold=rca_threshold,
            density_quantile=density_quantile,
            producers=producers,
            top=top or None,
        )
    notes = [*view.notes, *notes, *_producer_notes(directory, view.frame)]
    if json_out:
        render.print_json(
            {
                "source": loaded.source,
                "bloc": view.bloc,
                "members": list(view.members),
                "present": list(view.present),
                "notes": [*loaded.notes, *notes],
                "rows": view.frame,
            }
        )
        return
    unit = loaded.table.meta.value_unit
    render.console().print(
        render.table(
            f"{view.bloc}: import-substitution opportunities, {source_title(loaded)}",
            [
                Col("product"),
                Col("name"),
                Col(f"external imports [{unit}]", fmt_amount, True),
                Col("top supplier"),
                Col("best member"),
                Col("RCA", fmt_ratio, True),
                Col("density", fmt_ratio, True),
                Col("basis"),
                Col("score", fmt_ratio, True),
                *([Col("producers", _names)] if "producers" in view.frame else []),
            ],
            view.frame[
                [
                    "product",
                    "name",
                    "external_imports",
                    "top_supplier",
                    "best_member",
                    "best_member_rca",
                    "best_member_density",
                    "basis",
                    "score",
                    *(["producers"] if "producers" in view.frame else []),
                ]
            ].itertuples(index=False),
            caption=notes_caption(loaded, notes),
        )
    )


def _names(producers: list[str]) -> str:
    return "; ".join(producers) or "-"


# ---------------------------------------------------------------------- next products
@trade_app.command("next-products")
def next_products_cmd(
    country: Annotated[
        str,
        typer.Option(
            "--country", "-c", help="Exporter(s), comma-separated (KAZ or KAZ,RUS), or EAEU."
        ),
    ],
    data: DataOpt = "world-sitc2",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    more_complex: Annotated[
        bool,
        typer.Option(
            "--more-complex", help="Only products more complex than the country (PCI > ECI)."
        ),
    ] = False,
    min_exports: MinExportsOpt = 0.0,
    top: TopOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Feasible next products for a country (or each member of a bloc): density, complexity
    outlook gain and PCI."""
    loaded, _ = load_trade(data, file, fmt, year, min_exports=min_exports)
    require_world(loaded, "next products")
    if country.strip().upper() in {b.upper() for b in BLOCS}:
        members = resolve_bloc(country.strip())[1]
        codes = pick_exporters(loaded.table, None, tuple(members))
    else:
        codes = pick_exporters(loaded.table, country, ())
    res = complexity(loaded.table)
    frames = [
        next_products(res, c, top=top or None, more_complex_only=more_complex).assign(country=c)
        for c in codes
    ]
    eci = {c: float(res.eci[res.exporters.index(c)]) for c in codes}
    weights = "score = 0.5 z(density) + 0.25 z(COG) + 0.25 z(PCI) (Karavan's weights)"
    if json_out:
        frame = pd.concat(frames, ignore_index=True)
        render.print_json(
            {
                "source": loaded.source,
                "countries": codes,
                "eci": eci,
                "notes": [*loaded.notes, weights],
                "rows": frame[["country", *[c for c in frame.columns if c != "country"]]],
            }
        )
        return
    names = country_names()
    for c, frame in zip(codes, frames, strict=True):
        render.console().print(
            render.table(
                f"{c} {names.get(c, '')}: next products (ECI {fmt_ratio(eci[c])}), "
                f"{source_title(loaded)}",
                [
                    Col("product"),
                    Col("name"),
                    Col("group"),
                    Col("density", fmt_ratio, True),
                    Col("COG", fmt_ratio, True),
                    Col("PCI", fmt_ratio, True),
                    Col("RCA", fmt_ratio, True),
                    Col("score", fmt_ratio, True),
                ],
                frame[
                    ["product", "name", "group", "density", "cog", "pci", "rca", "score"]
                ].itertuples(index=False),
                caption=notes_caption(loaded, [weights]) if c == codes[-1] else None,
            )
        )


# ---------------------------------------------------------------------- product space
@trade_app.command("product-space")
def product_space_cmd(
    data: DataOpt = "world-sitc2",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            help="Add a country's Mcp, RCA and density to the nodes.",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Edges with proximity at least this, beside the tree."),
    ] = 0.55,
    json_out: JsonOpt = False,
) -> None:
    """The product space: nodes (PCI, group) and edges (maximum spanning tree + strong links)."""
    loaded, _ = load_trade(data, file, fmt, year)
    require_world(loaded, "the product space")
    code = pick_exporters(loaded.table, country, ())[0] if country else None
    ps = product_space(complexity(loaded.table), threshold=threshold, country=code)
    if json_out:
        render.print_json(
            {
                "source": loaded.source,
                "threshold": threshold,
                "country": code,
                "nodes": ps.nodes,
                "edges": ps.edges,
            }
        )
        return
    kinds = ps.edges["kind"].value_counts()
    n_tree = int(kinds.get("mst", 0))
    render.console().print(
        f"product space of {source_title(loaded)}: {len(ps.nodes)} products, {n_tree} "
        f"tree edges and {int(kinds.get('threshold', 0))} edges with proximity >= {threshold} "
        "(use --json for the graph)"
    )


# ---------------------------------------------------------------------- intra-bloc trade
@trade_app.command("intra")
def intra_cmd(
    bloc: BlocOpt = "EAEU",
    data: DataOpt = "baci-kaz-hs02",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    top: TopOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Members' exports by product: to the bloc against to the rest of the world.

    Needs partners: the built-in Kazakhstan extract (2021) has five, Russia among them."""
    loaded, _ = load_trade(data, file, fmt, year)
    spec = bloc.split(",") if "," in bloc else bloc
    view = intra_bloc_trade(loaded.table, spec)
    frame = first_rows(view.frame, top)
    notes = [*loaded.notes, *view.notes]
    if json_out:
        render.print_json(
            {
                "source": loaded.source,
                "bloc": view.bloc,
                "members": list(view.members),
                "exporters": list(view.present),
                "notes": notes,
                "totals": {
                    "exports": float(view.frame["exports"].sum()),
                    "intra": float(view.frame["intra"].sum()),
                },
                "rows": frame,
            }
        )
        return
    unit = loaded.table.meta.value_unit
    render.console().print(
        render.table(
            f"{view.bloc}: exports of {', '.join(view.present)} to members and to others, "
            f"{source_title(loaded)}",
            [
                Col("product"),
                Col("name"),
                Col(f"exports [{unit}]", fmt_amount, True),
                Col("to members", fmt_amount, True),
                Col("to others", fmt_amount, True),
                Col("intra share", fmt_share, True),
            ],
            frame[["product", "name", "exports", "intra", "external", "intra_share"]].itertuples(
                index=False
            ),
            caption=notes_caption(loaded, list(view.notes)),
        )
    )
