"""``karavan match`` and the registry producers of ``karavan trade opportunities``, driven
in-process on a seeded SQLite registry; ``--json`` output is compared with the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from karavan.classifications import hs_nomenclature
from karavan.cli.main import app
from karavan.datastore import DataStore
from karavan.errors import LabelError
from karavan.matching import Matcher, RegistryProducerDirectory
from karavan.registry import SYSTEM, OrganisationCreate, ProductCreate, Registry, open_registry
from karavan.registry.seed import load_seed
from karavan.trade.eaeu import import_substitution
from karavan.trade.readers import read_baci
from tests.unit.trade.generated import bilateral_table, write_baci

runner = CliRunner()
SOURCE = [{"title": "Test fixture", "url": "https://example.org/fixture", "date": "2026-01-01"}]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KARAVAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return tmp_path / "data"


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def publish(registry: Registry, name: str, country: str, hs_code: str, text: str) -> int:
    """A published enterprise and its published product; returns the organisation's id."""
    ids = []
    for entity, payload in (
        (
            "organisations",
            OrganisationCreate.model_validate(
                {"kind": "enterprise", "name_en": name, "name_ru": name}
                | {"country": country, "sources": SOURCE}
            ),
        ),
        ("products", None),
    ):
        if payload is None:
            payload = ProductCreate.model_validate(
                {"organisation_id": ids[0], "hs_code": hs_code, "text": text, "lang": "en"}
                | {"sources": SOURCE}
            )
        record = registry.create(SYSTEM, entity, payload)
        record = registry.submit(SYSTEM, entity, record.id, record.version)
        ids.append(registry.approve(SYSTEM, entity, record.id, record.version).id)
    return ids[0]


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    """A SQLite registry file with the seed and a Kazakh pipe maker."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    registry = open_registry(url)
    try:
        load_seed(registry)
        publish(registry, "Pavlodar Pipe Works", "KAZ", "730419", "seamless steel pipes")
    finally:
        registry.close()
    return url


# --- match need / project / external ------------------------------------------------------------


def test_match_need_json_carries_the_evidence(seeded: str) -> None:
    out = json.loads(
        run(
            "match",
            "need",
            "seamless steel pipes",
            "--hs",
            "730419",
            "--country",
            "kaz",
            "--quantity",
            "100",
            "--unit",
            "t",
            "--limit",
            "3",
            "--database-url",
            seeded,
            "--json",
        ).stdout
    )
    assert out["query"]["hs_codes"] == ["730419"]
    assert out["query"]["preferred_countries"] == ["KAZ"]
    top = out["matches"][0]
    assert (top["organisation_name_en"], top["country"], top["hs_code"]) == (
        "Pavlodar Pipe Works",
        "KAZ",
        "730419",
    )
    kinds = [e["kind"] for e in top["evidence"]]
    assert kinds.count("code") == 1
    assert "term" in kinds
    assert "capacity" in kinds
    country = next(e for e in top["evidence"] if e["kind"] == "country")
    assert country["contribution"] == pytest.approx(0.35)  # EAEU 0.2 + preferred 0.15
    assert top["score"] == pytest.approx(sum(e["contribution"] for e in top["evidence"]))
    assert len(out["matches"]) <= 3


def test_match_need_table_summarises_the_evidence(seeded: str) -> None:
    stdout = run("match", "need", "--hs", "840820", "--database-url", seeded).stdout
    first = next(line for line in stdout.splitlines() if "│ 1 │" in line)
    assert "MAZ-Weichai" in first
    assert "HS6 840820" in first
    assert "EAEU member" in first
    assert "organisation(s) matched at all" in stdout


def test_match_need_errors_are_one_line(seeded: str, data_dir: Path) -> None:
    result = run("match", "need", "--hs", "7304", "--database-url", seeded, code=2)
    assert result.stderr.count("\n") == 1
    assert "--hs" in result.stderr
    assert "730419" in result.stderr  # the hint names the heading's subheadings
    result = run("match", "need", "pipes", code=2)  # the default registry does not exist
    assert f"no registry at {data_dir / 'registry.sqlite3'}" in result.stderr
    assert not (data_dir / "registry.sqlite3").exists()


def test_match_project_coefficients_are_the_column_of_a(seeded: str) -> None:
    args = ["--region", "RUS", "--sector", "TRE", "--year", "2011", "--top", "4"]
    out = json.loads(
        run("match", "project", *args, "--limit", "2", "--database-url", seeded, "--json").stdout
    )
    table = DataStore(Path("/nonexistent")).load("wiod2013-eaeu", 2011)
    j = table.regions.index("RUS") * table.n_sectors + table.sectors.index("TRE")
    a = (table.Z[:, j] / table.x[j]).reshape(table.n_regions, table.n_sectors).sum(axis=0)
    order = np.argsort(-a, kind="stable")[:4]
    inputs = [item["input"] for item in out["inputs"]]
    assert [i["supplier_sector"] for i in inputs] == [table.sectors[s] for s in order]
    np.testing.assert_allclose([i["coefficient"] for i in inputs], a[order], rtol=1e-12)
    assert out["inputs"][0]["result"]["matches"][0]["organisation_name_en"] == "MAZ-Weichai"
    stdout = run("match", "project", *args, "--database-url", seeded).stdout
    assert "1. input TRE: coefficient 0.3811" in stdout


def test_match_external_lists_flows_from_outside(seeded: str) -> None:
    out = json.loads(
        run(
            "match", "external", "--year", "2011", "--top", "2", "--database-url", seeded, "--json"
        ).stdout
    )
    inputs = [item["input"] for item in out["inputs"]]
    assert [i["origin"] for i in inputs] == ["external_flow", "external_flow"]
    assert all(i["supplier_region"] not in ("RUS", "KAZ", "BLR", "ARM", "KGZ") for i in inputs)
    assert inputs[0]["value"] >= inputs[1]["value"] > 0
    result = run("match", "external", "--database-url", seeded, code=2)
    assert "choose one with --year" in result.stderr


# --- trade opportunities with registry producers ------------------------------------------------


@pytest.fixture
def hs_baci_file(tmp_path: Path) -> Path:
    """A generated BACI file whose 50 products are real HS 2022 subheadings."""
    path = write_baci(bilateral_table(n_products=50), tmp_path / "BACI_HS22_Y2021_V202401.csv")
    frame = pd.read_csv(path, dtype={"q": str})
    nomenclature = hs_nomenclature()
    codes = sorted(nomenclature.loc[nomenclature["level"] == 6, "code"].astype(str))
    codes = [c for c in codes if c[0] != "0"][:50]  # BACI writes k without leading zeros
    frame["k"] = frame["k"].map(lambda k: int(codes[int(k)]))
    frame.to_csv(path, index=False)
    return path


def test_opportunities_list_registry_producers(hs_baci_file: Path, tmp_path: Path) -> None:
    base = ["trade", "opportunities", "--file", str(hs_baci_file), "--top", "0", "--json"]
    without = json.loads(run(*base).stdout)
    assert any("no registry used" in n and "does not exist" in n for n in without["notes"])
    assert all("producers" not in row for row in without["rows"])
    kaz = [row for row in without["rows"] if row["best_member"] == "KAZ"]
    assert kaz, "the generated data must give KAZ at least one opportunity"
    code = kaz[0]["product"]

    url = f"sqlite:///{tmp_path / 'trade-registry.sqlite3'}"
    registry = open_registry(url)
    try:
        publish(registry, "Karaganda Works", "KAZ", code, "a product of the opportunity")
        publish(registry, "Minsk Works", "BLR", code, "the same product, in Belarus")
    finally:
        registry.close()
    out = json.loads(run(*base, "--registry", url).stdout)
    by_product = {row["product"]: row for row in out["rows"]}
    assert by_product[code]["producers"] == ["Karaganda Works"]  # the best member's only
    listed = sum(len(row["producers"]) for row in out["rows"])
    assert listed == 1
    assert any("1 published registry product(s)" in n for n in out["notes"])
    assert not any("no registry used" in n for n in out["notes"])
    ref = import_substitution(read_baci(hs_baci_file), "EAEU").frame
    assert list(by_product) == list(ref["product"])
    table = run(*base[:-1], "--database-url", url).stdout
    assert "Karaganda Works" in table


def test_opportunities_with_a_missing_registry_is_an_error(hs_baci_file: Path) -> None:
    result = run(
        "trade",
        "opportunities",
        "--file",
        str(hs_baci_file),
        "--registry",
        "sqlite:////no/r.db",
        code=2,
    )
    assert "no registry at /no/r.db" in result.stderr


def test_opportunities_on_codes_outside_hs_2022(tmp_path: Path) -> None:
    """Generated codes ('000000', ...) are not HS 2022 subheadings: no producers, a note."""
    baci = write_baci(bilateral_table(n_products=50), tmp_path / "BACI_HS17_Y2021_V202401.csv")
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    open_registry(url).close()
    out = json.loads(
        run("trade", "opportunities", "--file", str(baci), "--registry", url, "--json").stdout
    )
    assert all(row["producers"] == [] for row in out["rows"])
    assert any("not HS 2022 subheadings" in n for n in out["notes"])


def test_the_directory_refuses_sitc(seeded: str) -> None:
    """The built-in world data are SITC: the registry (HS codes) cannot name their producers."""
    registry = open_registry(seeded)
    try:
        directory = RegistryProducerDirectory(Matcher(registry))
        found = directory.producers("KAZ", "730419", "HS 6-digit")
        assert [(p.name, p.country, p.product) for p in found] == [
            ("Pavlodar Pipe Works", "KAZ", "730419")
        ]
        assert directory.producers("RUS", "730419", "HS 6-digit") == []
        with pytest.raises(LabelError, match="SITC"):
            directory.producers("KAZ", "6782", "SITC Rev.2 4-digit")
    finally:
        registry.close()
