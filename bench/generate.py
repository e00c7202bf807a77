"""Seeded bronze inputs for the benchmark: N rows over 24 months, ~2% invalid.

Reuses the project's generator (lakegate_cli.sample.generate) month by month, each month
with its own seed derived from the run's seed, so months can be written in parallel and
the same (rows, seed) always gives byte-identical files. The injected bad rows are
spread over every error class (lakegate_cli.sample.Injection), scaled to ~2% of the rows.

The lake is cached under bench/data/<rows>-<seed>/ with an `expected.json` holding what
the generator put in (rows per outcome and per error class), so a rerun of the
benchmark reuses the files.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path

from lakegate import layout
from lakegate.bronze import INPUT_COLUMNS
from lakegate.ids import Month
from lakegate.storage import LocalStorage
from lakegate_cli.sample import Expected, Injection, generate

DATASET = "transactions"
FIRST_MONTH = Month(2023, 1)
MONTHS = 24
# Published before the window: the month the duplicate checks run against.
HISTORY_MONTH = FIRST_MONTH.plus(-1)
INVALID_SHARE = 0.02
CUSTOMERS = 50_000


def window(months: int = MONTHS) -> list[Month]:
    return [FIRST_MONTH.plus(i) for i in range(months)]


def injection_for(rows_per_month: int) -> Injection:
    """The same count of every kind, together ~INVALID_SHARE of the month's rows."""
    kinds = len(fields(Injection))
    each = max(1, round(rows_per_month * INVALID_SHARE / kinds))
    return Injection(**{f.name: each for f in fields(Injection)})


def _month(args: tuple[str, int, int, int]) -> dict:
    root, index, rows_per_month, seed = args
    month = FIRST_MONTH.plus(index)  # index -1: the history month
    expected = generate(
        LocalStorage(Path(root)),
        DATASET,
        [month],
        rows_per_month,
        seed=seed * 1000 + index,
        injection=injection_for(rows_per_month),
        customers=CUSTOMERS,
    )
    return _to_dict(expected)


def _to_dict(expected: Expected) -> dict:
    return {
        "input_rows": expected.input_rows,
        "valid": expected.valid,
        "quarantined": expected.quarantined,
        "condemned": expected.condemned,
        "valid_by_partition": dict(expected.valid_by_partition),
        "by_error_type": dict(expected.by_error_type),
        "files": expected.files,
    }


def _merge(parts: list[dict]) -> dict:
    total: dict = {"valid_by_partition": {}, "by_error_type": Counter(), "files": []}
    for key in ("input_rows", "valid", "quarantined", "condemned"):
        total[key] = sum(p[key] for p in parts)
    for p in parts:
        total["valid_by_partition"].update(p["valid_by_partition"])
        total["by_error_type"].update(p["by_error_type"])
        total["files"] += p["files"]
    total["by_error_type"] = dict(sorted(total["by_error_type"].items()))
    return total


def _republished(root: Path, count: int, seed: int) -> dict:
    """A late file in the window's first month re-sending `count` TransactionIDs of the
    history month with other content: BUSINESS_DUPLICATE against published silver."""
    rng = random.Random(seed)
    tag = f"{HISTORY_MONTH.year:04d}{HISTORY_MONTH.month:02d}"
    lines = [",".join(INPUT_COLUMNS)]
    for i in range(count):
        day, second = 1 + i % 28, rng.randrange(86_400)
        amount = f"{rng.randrange(1, 99_999)}.{i % 100:02d}"
        lines.append(
            f"TX{tag}{i:08d},C{rng.randrange(CUSTOMERS):05d},{amount},"
            f"EUR,{FIRST_MONTH.year:04d}-{FIRST_MONTH.month:02d}-{day:02d}"
            f"T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
        )
    key = f"{layout.bronze_month_prefix(DATASET, FIRST_MONTH)}part-900.csv"
    LocalStorage(root).write_bytes(key, ("\n".join(lines) + "\n").encode())
    return {
        "input_rows": count,
        "valid": 0,
        "quarantined": count,
        "condemned": 0,
        "valid_by_partition": {},
        "by_error_type": {"BUSINESS_DUPLICATE": count},
        "files": [key],
    }


def bronze_lake(data_root: Path, rows: int, seed: int = 7, workers: int = 2) -> tuple[Path, dict]:
    """The bronze folder for `rows` rows over the 24-month window (generated once, then
    reused), plus the history month before it, and the window's expected outcome.
    Returns (bronze root, expected); expected["history"] is the history month's."""
    root = data_root / f"{rows}-{seed}"
    done = root / "expected.json"
    if done.exists():
        return root / "bronze", json.loads(done.read_text())
    bronze = root / "bronze"
    bronze.mkdir(parents=True, exist_ok=True)
    # The injected rows come on top of the generated ones: together about `rows`.
    rows_per_month = round(rows / MONTHS / (1 + INVALID_SHARE))
    jobs = [(str(bronze), i, rows_per_month, seed) for i in range(-1, MONTHS)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        history, *window_months = pool.map(_month, jobs)
    late = _republished(bronze, injection_for(rows_per_month).malformed, seed)
    expected = _merge([*window_months, late])
    expected["history"] = history
    expected["rows_per_month"] = rows_per_month
    expected["seed"] = seed
    done.write_text(json.dumps(expected, indent=2) + "\n")
    return bronze, expected
