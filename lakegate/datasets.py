"""The dataset registry (`datasets.json`, which Terraform reads too): what each
dataset's rows are, and the settings its runs use.

An ingested dataset (bucket silver) lists its bronze columns in order, with their types;
a column added by a later schema version says `since` which one, so a version is every
column up to its own (SPEC §7: additive, nullable, at the end; nothing can be retyped,
renamed or reordered in this form). Its published rows hold those columns typed, then
the lineage columns. A derived dataset (bucket gold) lists the columns of its published
rows and names its `source`; an ingested one names its `gold`.

Derived from here: the schema versions (lakegate.schema_versions), the Spark schemas of
silver and gold (glue_jobs.schemas), the Glue catalog's tables (infra/modules/glue reads
this file), the settings (lakegate.config) and the CLI's --dataset choices. Checked on
load: an entry the rest could not use fails here, naming the dataset and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakegate.errors import BadArgument, SchemaError
from lakegate.ids import validate_dataset, validate_schema_v

DEFINITIONS = Path(__file__).with_name("datasets.json")

# Catalog (Hive) type names, as Spark's simpleString() writes them.
TYPE = re.compile(r"string|int|bigint|timestamp|date|decimal\(([1-9][0-9]?),([0-9][0-9]?)\)")
COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}", re.ASCII)
BUCKETS = ("silver", "gold")
# A key column's types: text that compares as the job trims it (a date in its one
# accepted form, yyyy-MM-dd, reads back from silver as the same text).
KEY_TYPES = ("string", "date")
KEY_SEPARATOR = "|"
# What the job trims around a value (glue_jobs.parsing.WHITESPACE).
KEY_WHITESPACE = " \t\r\n\x0b\x0c"
# The settings an entry may give (lakegate.config.DatasetConfig fields).
SETTINGS = frozenset(
    {
        "currencies",
        "breaker_threshold",
        "breaker_window_minutes",
        "max_quarantine_rate",
        "lookback_months",
        "partition_grace_days",
        "control_totals",
    }
)


class DatasetDefinitionError(SchemaError):
    pass


def decimal_of(type_name: str) -> tuple[int, int] | None:
    """(precision, scale) of a decimal(p,s) type name; None for any other type."""
    found = TYPE.fullmatch(type_name)
    return (int(found.group(1)), int(found.group(2))) if found and found.group(1) else None


# Settings an allow-list rule may name (a column's "allowed"): tuples of values.
ALLOW_LISTS = frozenset({"currencies"})


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    since: str = "v1"
    # The setting listing the values this column may hold (CURRENCY_ERROR otherwise).
    allowed: str | None = None
    # A column this one must differ from (CURRENCY_ERROR: a pair of one currency).
    differs_from: str | None = None
    # A decimal column that must be above zero (TYPE_ERROR otherwise).
    positive: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    bucket: str
    description: str
    schema_versions: tuple[str, ...]
    schema_v: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    settings: tuple[tuple[str, Any], ...]
    gold: str | None = None
    source: str | None = None
    # The column whose UTC month must be the bronze month its file is filed under.
    month_of: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def key_label(self) -> str:
        """How messages name the business key: its column, or `key (a, b, c)`."""
        return self.key[0] if len(self.key) == 1 else f"key ({', '.join(self.key)})"

    def key_value(self, values: Sequence[str | None]) -> str | None:
        """The business key of one row from its key columns' trimmed text, as the job
        compares it and a release names it: the value itself for a one-column key; for
        several, the values joined by `|` (a `|` or `\\` inside one escaped by `\\`,
        so two different rows never share a key). None when a part is empty.
        glue_jobs.keys builds the same value in Spark (a test proves them equal)."""
        parts = [(v or "").strip(KEY_WHITESPACE) for v in values]
        if len(parts) != len(self.key) or not all(parts):
            return None
        if len(parts) == 1:
            return parts[0]
        return KEY_SEPARATOR.join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)

    @property
    def ingested(self) -> bool:
        return self.bucket == "silver"

    @property
    def required(self) -> tuple[Column, ...]:
        """The first version's columns: every row must fill them (NULL_VALUE_ERROR)."""
        return self.version_columns(self.schema_versions[0])

    def version_columns(self, schema_v: str) -> tuple[Column, ...]:
        """The columns of one schema version: every column up to those it added."""
        if schema_v not in self.schema_versions:
            raise SchemaError(
                f"SCHEMA_ERROR unknown schema version {schema_v!r} of {self.name}"
                f" (known: {', '.join(self.schema_versions)})"
            )
        upto = self.schema_versions.index(schema_v)
        return tuple(c for c in self.columns if self.schema_versions.index(c.since) <= upto)

    def versions(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Each schema version's (name, type) pairs, oldest first."""
        return {
            v: tuple((c.name, c.type) for c in self.version_columns(v))
            for v in self.schema_versions
        }

    def published_columns(self, schema_v: str | None = None) -> tuple[Column, ...]:
        """The columns of a published run (partition columns apart): an ingested
        dataset's typed values of `schema_v` (default: the newest) and the lineage; a
        derived dataset's own."""
        if not self.ingested:
            return self.columns
        return (*self.version_columns(schema_v or self.schema_versions[-1]), *LINEAGE)


def _columns(where: str, given: Any) -> tuple[Column, ...]:
    if not isinstance(given, list) or not given:
        raise DatasetDefinitionError(f"datasets.json: {where}: a non-empty list of columns")
    found = []
    for spec in given:
        name, type_ = spec.get("name", ""), spec.get("type", "")
        if not COLUMN_NAME.fullmatch(name):
            raise DatasetDefinitionError(f"datasets.json: {where}: column name {name!r}")
        if not TYPE.fullmatch(type_):
            raise DatasetDefinitionError(
                f"datasets.json: {where}: column {name} has type {type_!r}, not one of"
                " string, int, bigint, timestamp, date, decimal(p,s)"
            )
        allowed = spec.get("allowed")
        if allowed is not None and allowed not in ALLOW_LISTS:
            raise DatasetDefinitionError(
                f"datasets.json: {where}: column {name} is allowed {allowed!r}, not one of"
                f" {', '.join(sorted(ALLOW_LISTS))}"
            )
        positive = bool(spec.get("positive", False))
        if positive and decimal_of(type_) is None:
            raise DatasetDefinitionError(
                f"datasets.json: {where}: column {name} is positive but not a decimal"
            )
        found.append(
            Column(
                name, type_, spec.get("since", "v1"), allowed, spec.get("differs_from"), positive
            )
        )
    names = [c.name for c in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DatasetDefinitionError(f"datasets.json: {where}: columns {repeated} repeated")
    return tuple(found)


def _dataset(name: str, spec: dict[str, Any], lineage: tuple[Column, ...]) -> Dataset:
    def fail(what: str) -> DatasetDefinitionError:
        return DatasetDefinitionError(f"datasets.json: dataset {name}: {what}")

    validate_dataset(name)
    bucket = spec.get("bucket")
    if bucket not in BUCKETS:
        raise fail(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
    versions = tuple(spec.get("schema_versions") or ())
    if not versions or len(set(versions)) != len(versions):
        raise fail("schema_versions must list distinct versions, oldest first")
    for version in versions:
        validate_schema_v(version)
    if spec.get("schema_v") not in versions:
        raise fail(f"schema_v {spec.get('schema_v')!r} is not one of its schema_versions")
    columns = _columns(f"dataset {name}", spec.get("columns"))
    order = [versions.index(c.since) if c.since in versions else -1 for c in columns]
    if -1 in order:
        raise fail(f"column {columns[order.index(-1)].name} is since an unknown version")
    if order != sorted(order) or order[0] != 0:
        raise fail("columns of a later schema version must come after the earlier ones'")
    if {c.name for c in columns} & {c.name for c in lineage} and bucket == "silver":
        raise fail("a column has the name of a lineage column")
    key = tuple(spec.get("key") or ())
    first = {c.name for c in columns if c.since == versions[0]}
    if not key or not set(key) <= first:
        raise fail(f"key {list(key)} must name columns of schema {versions[0]}")
    types = {c.name: c.type for c in columns}
    if any(types[k] not in KEY_TYPES for k in key):
        raise fail(f"key {list(key)}: a key column is a string or a date")
    for c in columns:
        if c.differs_from is not None and (
            c.differs_from not in first or c.name not in first or c.differs_from == c.name
        ):
            raise fail(
                f"column {c.name} differs_from {c.differs_from!r}: both must be other"
                f" columns of schema {versions[0]}"
            )
    month_of = spec.get("month_of")
    if month_of is not None and not any(
        c.name == month_of and c.type in ("timestamp", "date") and c.name in first for c in columns
    ):
        raise fail(
            f"month_of {month_of!r} must name a timestamp or date column of schema {versions[0]}"
        )
    settings = spec.get("settings") or {}
    unknown = sorted(set(settings) - SETTINGS)
    if unknown:
        raise fail(f"unknown settings {unknown}")
    return Dataset(
        name=name,
        bucket=bucket,
        description=str(spec.get("description") or ""),
        schema_versions=versions,
        schema_v=spec["schema_v"],
        key=key,
        columns=columns,
        settings=tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(settings.items())
        ),
        gold=spec.get("gold"),
        source=spec.get("source"),
        month_of=month_of,
    )


def load(path: Path = DEFINITIONS) -> tuple[tuple[Column, ...], dict[str, Dataset]]:
    """The lineage columns and every dataset, checked (DatasetDefinitionError names the
    dataset and field of the first problem)."""
    body = json.loads(path.read_text(encoding="utf-8"))
    lineage = _columns("lineage", body.get("lineage"))
    found = {name: _dataset(name, spec, lineage) for name, spec in body["datasets"].items()}
    for d in found.values():
        if d.gold is not None:
            gold = found.get(d.gold)
            if gold is None or gold.bucket != "gold" or gold.source != d.name:
                raise DatasetDefinitionError(
                    f"datasets.json: dataset {d.name}: gold {d.gold!r} must be a gold dataset"
                    f" whose source is {d.name}"
                )
        if d.source is not None:
            source = found.get(d.source)
            if source is None or not source.ingested or d.ingested:
                raise DatasetDefinitionError(
                    f"datasets.json: dataset {d.name}: source {d.source!r} must be an"
                    " ingested dataset, and only a gold dataset has a source"
                )
        elif not d.ingested:
            raise DatasetDefinitionError(f"datasets.json: dataset {d.name}: gold without a source")
    return lineage, found


LINEAGE, DATASETS = load()


def dataset(name: str) -> Dataset:
    """A registered dataset; BadArgument naming the registered ones otherwise."""
    if validate_dataset(name) not in DATASETS:
        raise BadArgument(
            f"dataset {name!r} is not registered (lakegate/datasets.json): one of"
            f" {', '.join(sorted(DATASETS))}"
        )
    return DATASETS[name]
