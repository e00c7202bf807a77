"""Bronze schema versions (SPEC §7, schema evolution): additive, nullable columns only.

Each version lists its columns with their types; a version keeps every column of the
one before it, unchanged and in place, and may add nullable columns at the end. The
dataset's configured schema_v is what a run writes (`schema_v=<v>/` in silver); a file
whose header is that version or an older one is read (added columns null); a header
that drops, renames or adds an unregistered column is refused with SCHEMA_ERROR.
Types cannot be seen in a CSV header: a retyped column is refused here, in the
registry, before it could be deployed (check_additive).
"""

from __future__ import annotations

from lakegate.datasets import dataset
from lakegate.errors import SchemaError

# The transactions dataset's versions, from the registry (lakegate/datasets.json). The
# validation path (glue_jobs.rules, transforms) is written for its columns.
SCHEMA_VERSIONS: dict[str, tuple[tuple[str, str], ...]] = dataset("transactions").versions()
V1 = SCHEMA_VERSIONS["v1"]
# Columns every version has and every row must fill (NULL_VALUE_ERROR otherwise).
REQUIRED_COLUMNS = tuple(name for name, _ in V1)


def check_additive(versions: dict[str, tuple[tuple[str, str], ...]]) -> None:
    """Each version must keep the previous one's columns (same names, types, order)."""
    previous_name: str | None = None
    previous: tuple[tuple[str, str], ...] = ()
    for name, columns in versions.items():
        if columns[: len(previous)] != previous:
            kept = dict(columns)
            changes = [
                f"{col} {typ} -> {kept[col]}" if col in kept else f"{col} dropped or renamed"
                for col, typ in previous
                if kept.get(col) != typ
            ] or ["columns reordered"]
            raise SchemaError(
                f"SCHEMA_ERROR schema {name} is not an additive change of {previous_name}:"
                f" {'; '.join(changes)}"
            )
        previous_name, previous = name, columns


check_additive(SCHEMA_VERSIONS)


def columns(schema_v: str) -> tuple[str, ...]:
    if schema_v not in SCHEMA_VERSIONS:
        raise SchemaError(f"SCHEMA_ERROR unknown schema version {schema_v!r}")
    return tuple(name for name, _ in SCHEMA_VERSIONS[schema_v])


def newer(a: str, b: str) -> str:
    """The later of two registered versions."""
    order = list(SCHEMA_VERSIONS)
    return a if order.index(a) >= order.index(b) else b


def header_version(key: str, names: tuple[str, ...], target: str) -> str:
    """The version a header is (its columns, in any order), if the target can read it."""
    shown = ",".join(names)
    order = list(SCHEMA_VERSIONS)
    for version in order:
        if set(names) == set(columns(version)) and len(names) == len(columns(version)):
            if order.index(version) > order.index(target):
                added = [c for c in columns(version) if c not in columns(target)]
                raise SchemaError(
                    f"SCHEMA_ERROR {key}: the header has {', '.join(added)} (schema {version}),"
                    f" but {target} is configured: switch the dataset to {version} first"
                    " (docs/schema-evolution.md)"
                )
            return version
    readable = columns(target)
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append("missing " + ", ".join(missing))
    extra = [n for n in names if n not in readable]
    if extra:
        problems.append("unexpected " + ", ".join(repr(n) for n in extra))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append("repeated " + ", ".join(repeated))
    if not problems:
        problems.append(f"columns {shown} are no schema version")
    raise SchemaError(
        f"SCHEMA_ERROR {key}: {'; '.join(problems)} (header: {shown}); only registered,"
        " additive schema versions are read (docs/schema-evolution.md)"
    )
