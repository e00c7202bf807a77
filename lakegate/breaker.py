"""The circuit breaker (SPEC §5) as pure decisions on counts.

A failed row is identified by its source file and line: within the window it counts
once, however many runs read it (a rerun of the same input is never itself a reason
to halt), and a halted run's rows count too. Counting distinct rows across runs needs
their failed rows, which costs a read; the sum of the runs' counts is an upper bound
of it, so the distinct count is needed only when that sum is over the threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RecentRun:
    run_id: str
    ended_at: datetime
    error_type_distribution: Mapping[str, int]


def counted_runs(
    recent: Iterable[RecentRun], now: datetime, window: timedelta = timedelta(hours=1)
) -> list[RecentRun]:
    """The runs whose failed rows count with this run's: finished within `window`."""
    return [run for run in recent if now - window <= run.ended_at <= now]


def upper_bound(current: Mapping[str, int], runs: Iterable[RecentRun]) -> dict[str, int]:
    """Failed rows per error type, a row counted once per run that read it: never fewer
    than the distinct rows."""
    totals = dict(current)
    for run in runs:
        for error_type, rows in run.error_type_distribution.items():
            totals[error_type] = totals.get(error_type, 0) + rows
    return totals


def over_threshold(rows_by_type: Mapping[str, int], threshold: int) -> dict[str, int]:
    """The error types with more than `threshold` rows, with their counts. Empty: no trip."""
    return {t: n for t, n in sorted(rows_by_type.items()) if n > threshold}


def needs_distinct_count(current: Mapping[str, int], runs: list[RecentRun], threshold: int) -> bool:
    """Whether the distinct rows must be counted: only when other runs count too (one
    run's rows are distinct lines already) and the upper bound is over the threshold."""
    return bool(runs) and bool(over_threshold(upper_bound(current, runs), threshold))
