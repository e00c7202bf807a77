"""The circuit breaker (SPEC §5) as a pure decision on counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RecentRun:
    run_id: str
    ended_at: datetime
    error_type_distribution: Mapping[str, int]


def tripped_error_types(
    current: Mapping[str, int],
    recent: Iterable[RecentRun],
    now: datetime,
    threshold: int,
    window: timedelta = timedelta(hours=1),
) -> dict[str, int]:
    """Error types with more than `threshold` failed rows in this run plus the runs that
    finished within `window` before `now`, with their totals. Empty: no trip."""
    totals = dict(current)
    for run in recent:
        if now - window <= run.ended_at <= now:
            for error_type, rows in run.error_type_distribution.items():
                totals[error_type] = totals.get(error_type, 0) + rows
    return {t: n for t, n in sorted(totals.items()) if n > threshold}
