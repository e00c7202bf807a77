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

from lakegate.datasets import DATASETS, dataset
from lakegate.errors import SchemaError

Versions = dict[str, tuple[tuple[str, str], ...]]


def versions(name: str) -> Versions:
    """A registered dataset's versions, oldest first: (column, type) pairs each."""
    return dataset(name).versions()


# The transactions dataset's versions (the sample data, the benchmark and the tests'
# files are transactions); everything a run does asks for its own dataset's.
SCHEMA_VERSIONS: Versions = versions("transactions")
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


for _name in DATASETS:
    check_additive(versions(_name))


def columns(schema_v: str, dataset_name: str) -> tuple[str, ...]:
    """The column names of one version of a dataset."""
    known = versions(dataset_name)
    if schema_v not in known:
        raise SchemaError(f"SCHEMA_ERROR unknown schema version {schema_v!r} of {dataset_name}")
    return tuple(name for name, _ in known[schema_v])


def newest(dataset_name: str) -> str:
    return list(versions(dataset_name))[-1]


def newer(a: str, b: str, dataset_name: str) -> str:
    """The later of two registered versions of a dataset (`a` if either is unknown)."""
    order = list(versions(dataset_name)) if dataset_name in DATASETS else []
    if a not in order or b not in order:
        return a
    return a if order.index(a) >= order.index(b) else b


def header_version(key: str, names: tuple[str, ...], target: str, dataset_name: str) -> str:
    """The version a header is (its columns, in any order), if the target can read it."""
    shown = ",".join(names)
    order = list(versions(dataset_name))

    def cols(version: str) -> tuple[str, ...]:
        return columns(version, dataset_name)

    for version in order:
        if set(names) == set(cols(version)) and len(names) == len(cols(version)):
            if order.index(version) > order.index(target):
                added = [c for c in cols(version) if c not in cols(target)]
                raise SchemaError(
                    f"SCHEMA_ERROR {key}: the header has {', '.join(added)} (schema {version}),"
                    f" but {target} is configured: switch the dataset to {version} first"
                    " (docs/schema-evolution.md)"
                )
            return version
    readable = cols(target)
    problems = []
    missing = [c for c in cols(order[0]) if c not in names]
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
