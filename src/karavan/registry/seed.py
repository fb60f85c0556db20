"""The registry's seed: a small, real starting set of records, each with its public sources.

The seed lives in ``karavan/data/registry/seed/`` as one JSON file per entity
(``organisations.json``, ``products.json``, ``needs.json``, ``projects.json``; what is in them and
where each part comes from: ``docs/registry-seed.md`` and the directory's ``README.md``). A seed
record is the entity's ``XCreate`` payload with two differences, because database ids do not
exist before loading:

- every record has a stable ``"key"`` (``"org:great-stone-park"``, ``"product:..."``,
  ``"need:..."``, ``"project:..."``), unique across the seed;
- references name keys instead of ids: ``"park": "<org key>"`` (for ``park_id``),
  ``"organisation": "<org key>"`` (for ``organisation_id`` of products and needs, and inside
  each of a project's ``participants``).

:func:`read_seed` parses and checks the files without a database (keys unique, every reference
resolves to an organisation, a ``park`` is an organisation of kind ``industrial_park``, every
record cites at least one source, and every payload validates against its ``XCreate`` schema).
:func:`load_seed` then creates the records through :class:`~karavan.registry.service.Registry`
in reference order and takes each through ``submit`` and ``approve`` to ``published``: seed
records are reviewed, since every fact in them comes from a cited public source.

Loading is idempotent. The schemas have no field for the seed key, so a record already in the
registry is recognised by its natural key: organisations by ``(name_en, country)``, projects by
``name_en``, products and needs by ``(organisation, hs_code, isic_code, text)``. A record found
that way is not created again (and is taken on to ``published`` if a previous run stopped
half-way); records are never updated, so an edit made in the registry survives a re-run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ValidationError

from karavan.errors import RecordValidationError
from karavan.registry.actors import SYSTEM, Actor
from karavan.registry.schemas import (
    ENTITIES,
    EntityName,
    NeedCreate,
    OrganisationCreate,
    OrgKind,
    ProductCreate,
    ProjectCreate,
    RecordStatus,
)
from karavan.registry.service import Registry

__all__ = ["SEED_DIRECTORY", "SeedRecord", "SeedReport", "load_seed", "read_seed"]

SEED_DIRECTORY = Path(__file__).resolve().parent.parent / "data" / "registry" / "seed"
"""Where the packaged seed files are."""

_SCHEMAS: dict[EntityName, type[BaseModel]] = {
    "organisations": OrganisationCreate,
    "products": ProductCreate,
    "needs": NeedCreate,
    "projects": ProjectCreate,
}
_KEY_PREFIX: dict[EntityName, str] = {
    "organisations": "org:",
    "products": "product:",
    "needs": "need:",
    "projects": "project:",
}
_PAGE = 500
_PLACEHOLDER_ID = 1


@dataclass(frozen=True, slots=True)
class SeedRecord:
    """One record of a seed file: its key, the raw JSON object, and where it was read from."""

    entity: EntityName
    key: str
    data: Mapping[str, Any]
    file: str
    index: int

    @property
    def where(self) -> str:
        return f"{self.file}, record {self.index} ({self.key!r})"

    def references(self) -> list[tuple[str, str]]:
        """``(field, organisation key)`` for every reference this record makes."""
        refs: list[tuple[str, str]] = []
        for name in ("park", "organisation"):
            if isinstance(self.data.get(name), str):
                refs.append((name, self.data[name]))
        for i, participant in enumerate(self.data.get("participants") or []):
            if isinstance(participant, Mapping) and isinstance(
                participant.get("organisation"), str
            ):
                refs.append((f"participants[{i}].organisation", participant["organisation"]))
        return refs

    def payload(self, ids: Mapping[str, int]) -> BaseModel:
        """The entity's ``XCreate`` with keys replaced by ids from ``ids``.

        Raises RecordValidationError naming the file, record and field when a key has no id or
        the payload breaks the schema.
        """
        data = {name: value for name, value in self.data.items() if name != "key"}
        for name, target in (("park", "park_id"), ("organisation", "organisation_id")):
            if name in data:
                data[target] = _id_of(ids, data.pop(name), self, name)
        if "participants" in data and isinstance(data["participants"], list):
            participants = []
            for i, participant in enumerate(data["participants"]):
                if not isinstance(participant, Mapping):
                    participants.append(participant)
                    continue
                item = dict(participant)
                if "organisation" in item:
                    field_name = f"participants[{i}].organisation"
                    item["organisation_id"] = _id_of(
                        ids, item.pop("organisation"), self, field_name
                    )
                participants.append(item)
            data["participants"] = participants
        try:
            return _SCHEMAS[self.entity].model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            location = ".".join(str(part) for part in first["loc"]) or "record"
            raise RecordValidationError(
                f"seed {self.where}: {location}: {first['msg']}; got {first.get('input')!r}",
                field=location,
                value=first.get("input"),
            ) from exc


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What :func:`load_seed` did: per entity, records created and records already present.

    ``ids`` maps every seed key to the id of its record in the registry.
    """

    created: Mapping[str, int]
    existing: Mapping[str, int]
    ids: Mapping[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


def _id_of(ids: Mapping[str, int], key: object, record: SeedRecord, field_name: str) -> int:
    if not isinstance(key, str) or key not in ids:
        raise RecordValidationError(
            f"seed {record.where}: {field_name} must be the key of an organisation in "
            f"organisations.json; got {key!r}",
            field=field_name,
            value=key,
        )
    return ids[key]


def _read_file(directory: Path, entity: EntityName) -> list[SeedRecord]:
    name = f"{entity}.json"
    path = directory / name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RecordValidationError(
            f"seed file {path} is missing; expected one JSON file per entity {ENTITIES}",
            field="file",
            value=str(path),
        ) from exc
    except json.JSONDecodeError as exc:
        raise RecordValidationError(
            f"seed file {name} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
            field="file",
            value=name,
        ) from exc
    if not isinstance(raw, list):
        raise RecordValidationError(
            f"seed file {name} must hold a JSON array of records; got {type(raw).__name__}",
            field="file",
            value=name,
        )
    records = []
    for index, item in enumerate(raw):
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key.startswith(_KEY_PREFIX[entity]):
            raise RecordValidationError(
                f"seed {name}, record {index}: every record needs a string 'key' starting "
                f"with {_KEY_PREFIX[entity]!r}; got {key!r}",
                field="key",
                value=key,
            )
        records.append(SeedRecord(entity, key, item, name, index))
    return records


def _check(seed: Mapping[EntityName, list[SeedRecord]]) -> None:
    """Keys unique, references to organisations (parks to parks), at least one source each."""
    seen: dict[str, SeedRecord] = {}
    for record in _all(seed):
        if record.key in seen:
            raise RecordValidationError(
                f"seed {record.where}: key is already used by {seen[record.key].where}; "
                "keys must be unique across the seed",
                field="key",
                value=record.key,
            )
        seen[record.key] = record
        if not record.data.get("sources"):
            raise RecordValidationError(
                f"seed {record.where}: every seed record must cite at least one source "
                "(title, url, date); got none",
                field="sources",
                value=record.data.get("sources"),
            )
    natural: dict[tuple[object, ...], SeedRecord] = {}
    for record in _all(seed):
        # what load_seed matches on (with the organisation's key standing for its id)
        view = SimpleNamespace(
            **{**record.data, "organisation_id": record.data.get("organisation")}
        )
        identity = (record.entity, *_natural_key(record.entity, view))
        if identity in natural:
            raise RecordValidationError(
                f"seed {record.where}: same natural key as {natural[identity].where} "
                f"({identity[1:]!r}); the loader could not tell them apart",
                field="key",
                value=record.key,
            )
        natural[identity] = record
    organisations = {r.key: r for r in seed["organisations"]}
    for record in _all(seed):
        for field_name, key in record.references():
            target = organisations.get(key)
            if target is None:
                raise RecordValidationError(
                    f"seed {record.where}: {field_name} must be the key of an organisation in "
                    f"organisations.json; got {key!r}",
                    field=field_name,
                    value=key,
                )
            if field_name == "park" and target.data.get("kind") != OrgKind.INDUSTRIAL_PARK:
                raise RecordValidationError(
                    f"seed {record.where}: park must be an organisation of kind "
                    f"'industrial_park'; got {key!r} of kind {target.data.get('kind')!r}",
                    field=field_name,
                    value=key,
                )
            if field_name == "park" and record.entity == "organisations" and "park" in target.data:
                raise RecordValidationError(
                    f"seed {record.where}: park {key!r} is itself a resident of a park; "
                    "parks load before their residents, so a park cannot have a park",
                    field=field_name,
                    value=key,
                )


def _all(seed: Mapping[EntityName, list[SeedRecord]]) -> Iterable[SeedRecord]:
    for entity in ENTITIES:
        yield from seed[entity]


def read_seed(directory: Path | str | None = None) -> dict[EntityName, list[SeedRecord]]:
    """The seed records per entity, read from ``directory`` (default: the packaged seed).

    Checks everything that can be checked without a database, including each payload against
    its ``XCreate`` schema (with a placeholder id for every reference); raises
    RecordValidationError naming the file, the record and the field.
    """
    root = Path(directory) if directory is not None else SEED_DIRECTORY
    seed = {entity: _read_file(root, entity) for entity in ENTITIES}
    _check(seed)
    placeholder = {r.key: _PLACEHOLDER_ID for r in seed["organisations"]}
    for record in _all(seed):
        record.payload(placeholder)
    return seed


def _natural_key(entity: EntityName, record: Any) -> tuple[object, ...]:
    """What identifies a seed record among registry records (the schemas have no seed key).

    ``record`` is an ``XCreate`` payload or an ``XPublic`` record (read by attribute).
    """
    if entity == "organisations":
        names: tuple[str, ...] = ("name_en", "country")
    elif entity == "projects":
        names = ("name_en",)
    else:
        names = ("organisation_id", "hs_code", "isic_code", "text")
    return tuple(getattr(record, name, None) for name in names)


def _existing(
    registry: Registry, actor: Actor, entity: EntityName
) -> dict[tuple[object, ...], Any]:
    """Every record of ``entity`` the actor can see, by natural key (paging through ``list``)."""
    found: dict[tuple[object, ...], Any] = {}
    offset = 0
    while True:
        page = registry.list(actor, entity, limit=_PAGE, offset=offset)
        for item in page.items:
            found.setdefault(_natural_key(entity, item), item)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return found


def _publish(registry: Registry, actor: Actor, entity: EntityName, record: Any) -> None:
    """Take a record from wherever it stands to ``published`` (submit, then approve)."""
    status = RecordStatus(record.status)
    if status in (RecordStatus.DRAFT, RecordStatus.REJECTED):
        record = registry.submit(
            actor, entity, record.id, record.version, note="seed: cited public sources"
        )
        status = RecordStatus(record.status)
    if status is RecordStatus.SUBMITTED:
        registry.approve(
            actor, entity, record.id, record.version, note="seed: cited public sources"
        )


def _load_order(seed: Mapping[EntityName, list[SeedRecord]]) -> list[SeedRecord]:
    """Organisations without a park, then residents, then products, needs and projects."""
    organisations = seed["organisations"]
    return [
        *(r for r in organisations if "park" not in r.data),
        *(r for r in organisations if "park" in r.data),
        *seed["products"],
        *seed["needs"],
        *seed["projects"],
    ]


def load_seed(
    registry: Registry, actor: Actor = SYSTEM, directory: Path | str | None = None
) -> SeedReport:
    """Create the seed's records in ``registry`` and publish them; return what was done.

    ``actor`` must be allowed to create, submit and approve (the default, ``SYSTEM``, is an
    admin). Idempotent: records already present (by natural key, see the module docstring) are
    counted in ``existing`` and not created again. Not one transaction: a run that stops
    half-way leaves the records it created, and the next run completes the rest.
    """
    seed = read_seed(directory)
    ids: dict[str, int] = {}
    created: dict[str, int] = dict.fromkeys(ENTITIES, 0)
    existing: dict[str, int] = dict.fromkeys(ENTITIES, 0)
    present = {entity: _existing(registry, actor, entity) for entity in ENTITIES}
    for record in _load_order(seed):
        payload = record.payload(ids)
        natural = _natural_key(record.entity, payload)
        stored = present[record.entity].get(natural)
        if stored is None:
            stored = registry.create(actor, record.entity, payload)
            present[record.entity][natural] = stored
            created[record.entity] += 1
        else:
            existing[record.entity] += 1
        ids[record.key] = stored.id
        if RecordStatus(stored.status) is not RecordStatus.PUBLISHED:
            _publish(registry, actor, record.entity, stored)
    return SeedReport(created=created, existing=existing, ids=ids)
