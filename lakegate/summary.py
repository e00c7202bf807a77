"""The run summary (SPEC §6): the `_SUCCESS` document of a run, and its halt record.

Every part reads it: the promoter's gate and plan, the review, the run catalog, the
alarms' metrics, and the state machine (JSONPath into `$.summary`). The ingestion job
and the gold job build it as a RunSummary; `to_json` and `from_json` are its one codec.
`from_json` checks every field's JSON type and names the field and the document it
reads when one is missing or wrong, so a damaged `_SUCCESS` fails in one line instead
of deep in a comparison.

A RunSummary also reads as a mapping (`summary["quarantine_rate"]`): the document's JSON
shape is the contract (the ASL and the alarms read it so), and readers may use either.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from lakegate.errors import LakegateError
from lakegate.ids import RUN_TYPES
from lakegate.jsondoc import decode_object, encode, json_type


@dataclass(frozen=True, kw_only=True, eq=False)
class RunSummary(Mapping):
    """One run's summary, in the order `_SUCCESS` lists its fields. Equal to another
    summary, or to a decoded JSON object, with the same fields and values (Mapping's
    equality)."""

    run_id: str
    dataset: str
    schema_v: str
    run_type: str
    input_window: dict[str, Any]
    input_files: list[str]
    # Gold only: the data files of the published version it read, and that version.
    source_files: list[str] | None = None
    source: dict[str, Any] | None = None
    code_version: str
    started_at: str
    ended_at: str
    duration_seconds: float
    input_rows: int
    valid_rows_count: int
    quarantined_rows_count: int
    condemned_rows_count: int
    quarantine_rate: float
    validation_failure_rate: float
    error_type_distribution: dict[str, int]
    critical_errors: dict[str, int]
    duplicate_detection_rate: float
    auto_condemnation_rate: float
    avg_attempt_count: float
    valid_rows_by_partition: dict[str, int] | None = None
    retried_from: dict[str, dict[str, int]] = field(default_factory=dict)
    circuit_breaker_triggers: int
    rows_per_second: float
    missing_partitions: int | None
    publication: dict[str, Any]
    accounts_by_partition: dict[str, int] | None = None
    partitions: list[dict[str, Any]]
    # Left out by runs from before control totals.
    control_totals: dict[str, str] | None = None
    execution_arn: str | None
    quarantine_location: str | None = None
    condemned_location: str | None = None
    thresholds: dict[str, Any] | None = None
    # A halted run's record (_HALTED.json) only: which error types tripped the breaker.
    halted: dict[str, Any] | None = None

    # the document ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON object: every field, but an optional one (OPTIONAL) only when set."""
        body = asdict(self)
        return {k: v for k, v in body.items() if not (k in OPTIONAL and v is None)}

    def to_json(self) -> bytes:
        return encode(self.to_dict())

    @classmethod
    def from_dict(cls, body: Mapping[str, Any], where: str = "run summary") -> RunSummary:
        if not isinstance(body, Mapping):
            raise LakegateError(f"{where}: not a JSON object")
        unknown = sorted(set(body) - set(FIELD_TYPES))
        if unknown:
            raise LakegateError(f"{where}: unknown field {', '.join(unknown)}")
        for name, kind in FIELD_TYPES.items():
            if name not in body:
                if name in REQUIRED:
                    raise LakegateError(f"{where}: field {name} is missing")
                continue
            if json_type(body[name]) not in kind.split("|"):
                raise LakegateError(
                    f"{where}: field {name} is {json_type(body[name])}, expected {kind}"
                )
        if body["run_type"] not in RUN_TYPES:
            raise LakegateError(
                f"{where}: field run_type is {body['run_type']!r}, expected one of"
                f" {', '.join(RUN_TYPES)}"
            )
        return cls(**dict(body))

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "run summary") -> RunSummary:
        return cls.from_dict(decode_object(data, where), where)

    def but(self, **changes: Any) -> RunSummary:
        """A copy with some fields changed (the summary is immutable)."""
        return replace(self, **changes)

    # read as a mapping -------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key not in FIELD_TYPES or (key in OPTIONAL and getattr(self, key) is None):
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return (k for k in FIELD_TYPES if not (k in OPTIONAL and getattr(self, k) is None))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def no_failed_rows() -> dict[str, Any]:
    """The row metrics of a run in which no row failed (the gold job's): every failure
    count, rate and distribution zero or empty."""
    return {
        "quarantined_rows_count": 0,
        "condemned_rows_count": 0,
        "quarantine_rate": 0.0,
        "validation_failure_rate": 0.0,
        "error_type_distribution": {},
        "critical_errors": {},
        "duplicate_detection_rate": 0.0,
        "auto_condemnation_rate": 0.0,
        "avg_attempt_count": 0.0,
    }


def _json_kind(hint: Any) -> str:
    """The JSON type(s) of a field's annotation, e.g. `int | None` -> "number|null"."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return "|".join(_json_kind(part) for part in typing.get_args(hint))
    origin = typing.get_origin(hint) or hint
    kinds = {str: "string", int: "number", float: "number", bool: "boolean"}
    kinds |= {dict: "object", list: "array", type(None): "null"}
    return kinds[origin]


_HINTS = typing.get_type_hints(RunSummary)
# Every field with its JSON type(s), in the document's order.
FIELD_TYPES: dict[str, str] = {f.name: _json_kind(_HINTS[f.name]) for f in fields(RunSummary)}
# Written only when set (None is left out): what one kind of run has and another has not.
OPTIONAL = frozenset(
    f.name for f in fields(RunSummary) if f.default is None and "null" in FIELD_TYPES[f.name]
)
# A document without one of these is refused (retried_from, added later, defaults to {}).
REQUIRED = frozenset(
    f.name for f in fields(RunSummary) if f.default is MISSING and f.default_factory is MISSING
)
# What every run's _SUCCESS has: what the state machine and the alarms may read.
SUCCESS_FIELD_TYPES: dict[str, str] = {
    name: kind for name, kind in FIELD_TYPES.items() if name not in OPTIONAL
}
SUCCESS_FIELDS = tuple(SUCCESS_FIELD_TYPES)
