"""The promotion gate (SPEC §7): plain checks on a run's summary, each with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from lakegate.config import DatasetConfig


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateResult:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks]}


def evaluate(
    run_id: str,
    summary: Mapping | None,
    config: DatasetConfig,
    *,
    rejected: bool = False,
    already_published: bool = False,
) -> GateResult:
    """Every check, in a fixed order. The thresholds are the promoter's dataset settings,
    never the ones a run recorded for itself."""
    if summary is None:
        return GateResult(
            (
                Check(
                    "success",
                    False,
                    f"run {run_id} has no _SUCCESS: it failed, halted or is still running",
                ),
            )
        )
    rate, limit = summary["quarantine_rate"], config.max_quarantine_rate
    critical = summary.get("critical_errors") or {}
    trips = summary.get("circuit_breaker_triggers", 0)
    checks = [
        Check("success", True, "_SUCCESS present"),
        Check(
            "schema_v",
            summary["schema_v"] in config.known_schema_versions,
            f"schema {summary['schema_v']} (known: {', '.join(config.known_schema_versions)})",
        ),
        Check(
            "quarantine_rate",
            rate <= limit,
            f"quarantine rate {rate * 100:.2f}% {'<=' if rate <= limit else '>'} limit"
            f" {limit * 100:.2f}%",
        ),
        Check(
            "critical_errors",
            not critical,
            "no critical errors"
            if not critical
            else "critical errors: " + ", ".join(f"{t} {n}" for t, n in critical.items()),
        ),
        Check(
            "circuit_breaker",
            trips == 0,
            "circuit breaker not triggered"
            if trips == 0
            else f"circuit breaker triggered {trips}x",
        ),
        Check(
            "not_rejected",
            not rejected,
            "not rejected" if not rejected else f"run {run_id} was rejected (see lakegate audit)",
        ),
        Check(
            "not_published",
            not already_published,
            "not yet published" if not already_published else f"run {run_id} is already published",
        ),
    ]
    return GateResult(tuple(checks))
