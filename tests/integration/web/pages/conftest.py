"""A client of the whole application over a temporary data directory and SQLite registry (the
built-in dataset is always there), shared by the page tests of a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from karavan.datastore import DataStore
from karavan.settings import Settings
from karavan.web.app import create_app
from karavan.web.pages.analytics import Selection, select


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("karavan-pages")
    return Settings(data_dir=root, database_url=f"sqlite:///{root / 'registry.sqlite3'}")


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def selection(settings: Settings, year: int | None = None, bloc: str | None = None) -> Selection:
    """The selection a page makes for ``year`` (default the latest) and ``bloc``."""
    return select(DataStore(Path(settings.data_dir)), None, year, bloc)
