"""Run identity and validation of every identifier that becomes part of a path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from lakegate.errors import BadArgument


class RunType(StrEnum):
    """What started a run (SPEC §6), and what that implies. A value is its string, as
    `_SUCCESS`, the state machine and the command line write it."""

    SCHEDULED = "scheduled"  # EventBridge: the months of its window
    BACKFILL = "backfill"  # a person: one month again
    RETRY = "retry"  # corrections: chosen files of quarantined rows

    @property
    def reads_a_window(self) -> bool:
        """Reads every bronze file of its months; a retry reads only the files it names."""
        return self is not RunType.RETRY

    @property
    def replaces_partitions(self) -> bool:
        """Promoting it replaces the months it read, and its duplicate checks leave those
        months' published rows out; a retry's rows are added to what is published."""
        return self is not RunType.RETRY

    @property
    def resubmits(self) -> bool:
        """Its rows are re-submissions whose earlier runs it reports (retried_from)."""
        return self is RunType.RETRY

    @property
    def run_id_suffix(self) -> str:
        return {"scheduled": "", "backfill": "_BACKFILL", "retry": "_RETRY"}[self.value]


RUN_TYPES = tuple(kind.value for kind in RunType)

# The Step Functions execution-name alphabet, ASCII only, at most 80 characters.
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,80}", re.ASCII)
_DATASET = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)
_SCHEMA_V = re.compile(r"v[1-9][0-9]{0,2}", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_MONTH = re.compile(r"[0-9]{1,2}", re.ASCII)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def validate_run_id(value: str) -> str:
    if not isinstance(value, str) or not _RUN_ID.fullmatch(value):
        raise BadArgument(f"run_id {_shown(value)} is not valid: use 1-80 of A-Z a-z 0-9 - _")
    return value


def validate_dataset(value: str) -> str:
    if not isinstance(value, str) or not _DATASET.fullmatch(value):
        raise BadArgument(
            f"dataset {_shown(value)} is not valid: use a lower-case letter, then up to 62 of"
            " a-z 0-9 _"
        )
    return value


def validate_schema_v(value: str) -> str:
    if not isinstance(value, str) or not _SCHEMA_V.fullmatch(value):
        raise BadArgument(f"schema_v {_shown(value)} is not valid: expected v1, v2, ...")
    return value


def validate_run_type(value: str) -> RunType:
    if value not in RUN_TYPES:
        raise BadArgument(f"run_type {_shown(value)} is not one of {', '.join(RUN_TYPES)}")
    return RunType(value)


def new_run_id(now: datetime, run_type: str) -> str:
    """A generated run id: the UTC start time, with _BACKFILL or _RETRY for those runs."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return stamp + validate_run_type(run_type).run_id_suffix


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month: the unit of bronze folders and of silver partitions."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12) or not (1000 <= self.year <= 9999):
            raise BadArgument(f"month {self.year}-{self.month} is not a valid year and month")

    @classmethod
    def parse(cls, year: str | int, month: str | int) -> Month:
        y, m = str(year).strip(), str(month).strip()
        if not _YEAR.fullmatch(y):
            raise BadArgument(f"year {_shown(y)} is not valid: expected four digits, e.g. 2024")
        if not _MONTH.fullmatch(m) or not 1 <= int(m) <= 12:
            raise BadArgument(f"month {_shown(m)} is not valid: expected 1-12, e.g. 03")
        return cls(int(y), int(m))

    @classmethod
    def from_partition(cls, partition: str) -> Month:
        match = re.fullmatch(r"year=([0-9]{4})/month=([0-9]{2})", partition, re.ASCII)
        if not match:
            raise BadArgument(f"partition {_shown(partition)} is not year=YYYY/month=MM")
        return cls.parse(match.group(1), match.group(2))

    @property
    def partition(self) -> str:
        return f"year={self.year:04d}/month={self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)


@dataclass(frozen=True)
class MonthWindow:
    """An inclusive range of months a run reads."""

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadArgument(
                f"window end {self.last.label} is before its start {self.first.label}"
            )
        span = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        if span > 120:
            raise BadArgument("window is longer than 120 months")

    def months(self) -> list[Month]:
        out, current = [], self.first
        while current <= self.last:
            out.append(current)
            current = current.plus(1)
        return out

    def to_dict(self) -> dict[str, str]:
        return {"from": self.first.label, "to": self.last.label}


def scheduled_window(today: datetime, grace_days: int = 3) -> MonthWindow:
    """The months a scheduled run reads: the current UTC month, and during its first
    `grace_days` days also the previous month, so late files still land in a run."""
    current = Month(today.astimezone(UTC).year, today.astimezone(UTC).month)
    first = current.plus(-1) if today.astimezone(UTC).day <= grace_days else current
    return MonthWindow(first, current)
