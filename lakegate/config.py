"""Per-dataset settings: currency allow-list and thresholds (SPEC §2, §5, §7), as the
registry (lakegate/datasets.json) gives them; a run may override some (dataset_config)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lakegate.datasets import DATASETS as REGISTRY
from lakegate.datasets import Dataset, dataset
from lakegate.errors import BadArgument
from lakegate.ids import validate_dataset, validate_schema_v


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    # The currency allow-list (CURRENCY_ERROR for a code not in it).
    currencies: tuple[str, ...] = ()
    # Circuit breaker: more than this many rows of one error type within the window halts.
    breaker_threshold: int = 100
    breaker_window_minutes: int = 60
    # Promotion gate: the highest quarantine rate a promotable run may have.
    max_quarantine_rate: float = 0.05
    # Duplicate detection and attempt carry-forward look this many months back
    # from the run's window into published silver and quarantine.
    lookback_months: int = 3
    schema_v: str = "v1"
    known_schema_versions: tuple[str, ...] = field(default=("v1", "v2"))
    # The bucket its runs, _LATEST.json and current/ live in: silver for ingested
    # datasets, gold for what the gold job derives from them.
    bucket: str = "silver"
    # Control totals written in _SUCCESS per partition: rows and the sum of the second
    # column for each value of the first (an approver compares them before and after).
    control_totals: tuple[str, str] = ("Currency", "TransactionAmount")
    # A month of a scheduled run's window is not reported missing during its first days.
    partition_grace_days: int = 3
    # The gold dataset built from this one: its runs report how far gold lags behind.
    gold_dataset: str | None = None

    def __post_init__(self) -> None:
        validate_dataset(self.name)
        validate_schema_v(self.schema_v)
        if self.schema_v not in self.known_schema_versions:
            raise BadArgument(
                f"schema {self.schema_v} is not one of {', '.join(self.known_schema_versions)}"
            )
        for code in self.currencies:
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise BadArgument(f"currency {code!r} in the allow-list is not three letters A-Z")
        if self.breaker_threshold < 0:
            raise BadArgument("breaker threshold must be 0 or more")
        if not 0 <= self.max_quarantine_rate <= 1:
            raise BadArgument("max quarantine rate must be between 0 and 1")
        if not 0 <= self.lookback_months <= 120:
            raise BadArgument("lookback months must be between 0 and 120")
        if not 0 <= self.partition_grace_days <= 28:
            raise BadArgument("partition grace days must be between 0 and 28")
        if self.gold_dataset is not None:
            validate_dataset(self.gold_dataset)
        if self.bucket not in ("silver", "gold"):
            raise BadArgument(f"dataset {self.name} must live in silver or gold, not {self.bucket}")


def _registered(entry: Dataset) -> DatasetConfig:
    return DatasetConfig(
        entry.name,
        schema_v=entry.schema_v,
        known_schema_versions=entry.schema_versions,
        bucket=entry.bucket,
        gold_dataset=entry.gold,
        **dict(entry.settings),
    )


# Every registered dataset's settings (lakegate/datasets.json).
DATASETS: dict[str, DatasetConfig] = {name: _registered(d) for name, d in REGISTRY.items()}
# The transactions allow-list (the demo's and the tests' data use it).
DEFAULT_CURRENCIES = DATASETS["transactions"].currencies
# What the gold job (glue_jobs/gold_job.py) builds from published transactions.
GOLD_DATASET = DATASETS["transactions"].gold_dataset or ""


def dataset_config(name: str, **overrides) -> DatasetConfig:
    """The registered settings of a dataset, overridden (BadArgument if not registered)."""
    base = DATASETS[dataset(name).name]
    given = {key: value for key, value in overrides.items() if value is not None}
    return replace(base, **given) if given else base
