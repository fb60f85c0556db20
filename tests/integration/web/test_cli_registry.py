"""``karavan registry init|create-admin|seed`` and ``karavan serve``, driven with CliRunner,
then a sign-in through the web app on the database the CLI made."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from karavan.cli.main import app as cli
from karavan.settings import Settings
from karavan.web.app import create_app

PASSWORD = "Admin-password-2026"


def test_init_create_admin_then_login(tmp_path: Path, registry_url: str) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    init = runner.invoke(cli, [*base, "registry", "init", "--database-url", registry_url])
    assert init.exit_code == 0, init.output
    assert "registry schema is up to date" in init.output
    again = runner.invoke(cli, [*base, "registry", "init", "--database-url", registry_url])
    assert again.exit_code == 0, again.output

    created = runner.invoke(
        cli,
        [*base, "registry", "create-admin", "Root@Example.kz", "--password-stdin"],
        input=f"{PASSWORD}\n",
        env={"KARAVAN_DATABASE_URL": registry_url},
    )
    assert created.exit_code == 0, created.output
    assert "created admin root@example.kz (user id 1)" in created.output

    weak = runner.invoke(
        cli,
        [*base, "registry", "create-admin", "two@example.kz", "--database-url", registry_url],
        input="short\nshort\n",
    )
    assert weak.exit_code == 2
    assert "password must have 12" in weak.output

    app = create_app(Settings(data_dir=tmp_path, database_url=registry_url))
    with TestClient(app) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "root@example.kz", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        assert login.json()["user"]["role"] == "admin"
        made = client.post(
            "/api/v1/organisations",
            json={"kind": "agency", "name_en": "Agency", "name_ru": "Агентство", "country": "ARM"},
            headers={"X-CSRF-Token": login.json()["csrf_token"]},
        )
        assert made.status_code == 201


def test_seed_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/seeded.sqlite3"
    runner = CliRunner()
    first = runner.invoke(cli, ["registry", "seed", "--database-url", url, "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert sum(report["created"].values()) > 0
    second = runner.invoke(cli, ["registry", "seed", "--database-url", url, "--json"])
    assert second.exit_code == 0, second.output
    again = json.loads(second.output)
    assert sum(again["created"].values()) == 0
    assert again["existing"] == report["created"]


def test_serve_runs_uvicorn_with_the_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    # setenv records the original values, so the variables the command sets are undone after
    monkeypatch.setenv("KARAVAN_DATABASE_URL", "sqlite:///placeholder")
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(tmp_path / "placeholder"))
    url = f"sqlite:///{tmp_path}/served.sqlite3"
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "serve", "--port", "8123", "--database-url", url],
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            ("karavan.web.app:create_app",),
            {"factory": True, "host": "127.0.0.1", "port": 8123, "proxy_headers": False},
        )
    ]
    assert os.environ["KARAVAN_DATABASE_URL"] == url
    assert os.environ["KARAVAN_DATA_DIR"] == str(tmp_path)


def test_seed_into_a_data_directory_that_does_not_exist_yet(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "registry", "seed", "--json"], env={}
    )
    assert result.exit_code == 0, result.output
    assert sum(json.loads(result.output)["created"].values()) == 70  # 43 + 10 + 1 + 16 records
    assert (data_dir / "registry.sqlite3").is_file()
