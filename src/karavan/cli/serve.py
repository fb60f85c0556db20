"""``karavan serve`` (the registry's HTTP API under uvicorn) and the ``karavan registry`` group
(``init``, ``create-admin``, ``seed``).

``serve`` starts uvicorn with the factory string ``karavan.web.app:create_app``: the CLI never
imports :mod:`karavan.web` (the layers keep the two entry points apart), so the settings reach
the application through the environment (``KARAVAN_DATABASE_URL``, ``KARAVAN_DATA_DIR``).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated

import typer

from karavan.cli.app import JsonOpt, app, fail, state
from karavan.cli.render import print_json
from karavan.registry import SYSTEM, Role, accounts, open_registry
from karavan.registry.seed import load_seed

__all__ = ["WEB_APP_FACTORY", "registry_app", "serve"]

WEB_APP_FACTORY = "karavan.web.app:create_app"

registry_app = typer.Typer(
    help="The registry's database: create or upgrade it, add an admin, load the seed.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")

DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Registry database (overrides KARAVAN_DATABASE_URL; default: SQLite in the data "
        "directory).",
        show_default=False,
    ),
]


def _url(ctx: typer.Context, database_url: str | None) -> str:
    """The registry URL: the option's, or the settings' (whose default is a SQLite file in the
    data directory, created here on first use)."""
    if database_url:
        return database_url
    settings = state(ctx).settings
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.registry_url()


def _shown(url: str) -> str:
    """The URL with any password masked, for messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Serve the registry's JSON API (docs at /api/v1/docs) with uvicorn."""
    import uvicorn

    settings = state(ctx).settings
    os.environ["KARAVAN_DATA_DIR"] = str(settings.data_dir)
    os.environ["KARAVAN_DATABASE_URL"] = _url(ctx, database_url)
    typer.echo(
        f"serving {_shown(os.environ['KARAVAN_DATABASE_URL'])} on http://{host}:{port}/api/v1/docs",
        err=True,
    )
    uvicorn.run(WEB_APP_FACTORY, factory=True, host=host, port=port, proxy_headers=False)


@registry_app.command("init")
def init(ctx: typer.Context, database_url: DatabaseUrlOpt = None) -> None:
    """Create the registry's tables, or upgrade them to the newest schema."""
    url = _url(ctx, database_url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    registry = open_registry(url)
    registry.close()
    typer.echo(f"registry schema is up to date: {_shown(url)}")


@registry_app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The admin's e-mail address (the login).")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Create an admin account (the password is asked for, or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("no password given: type one, or pipe it with --password-stdin")
    registry = open_registry(_url(ctx, database_url))
    try:
        with registry.session() as session:
            user = accounts.create_user(session, SYSTEM, email, password, Role.ADMIN)
    finally:
        registry.close()
    typer.echo(f"created admin {user.email} (user id {user.id})")


@registry_app.command("seed")
def seed(ctx: typer.Context, database_url: DatabaseUrlOpt = None, as_json: JsonOpt = False) -> None:
    """Load the built-in seed records (idempotent: records already there are kept)."""
    registry = open_registry(_url(ctx, database_url))
    try:
        report = load_seed(registry)
    finally:
        registry.close()
    if as_json:
        print_json({"created": dict(report.created), "existing": dict(report.existing)})
        return
    for entity, count in report.created.items():
        typer.echo(f"{entity}: {count} created, {report.existing[entity]} already there")
