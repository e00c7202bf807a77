"""Promotion cost against data volume: promoting a run with 10x more data must take
about the same time, because promotion writes pointers and manifests, never data.

Runs 24 monthly partitions per run with real data files of two sizes on the local
store, promotes several runs of each size, and reports the median time.
`make bench-promotion` runs it; results go to bench/results/promotion.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lakegate import layout
from lakegate.config import dataset_config
from lakegate.ids import Month
from lakegate.storage import Lake
from lakegate.summary import RunSummary, no_failed_rows
from promotion.publisher import Promoter

PARTITIONS = [Month(2022, 1).plus(i) for i in range(24)]


def make_run(lake: Lake, run_id: str, file_bytes: int, files_per_partition: int) -> None:
    """A completed run: real data files of `file_bytes` each, and its _SUCCESS."""
    payload = b"\0" * file_bytes
    partitions = []
    for month in PARTITIONS:
        prefix = layout.run_partition_prefix("transactions", "v1", run_id, month)
        keys = [f"{prefix}part-{i:05d}.parquet" for i in range(files_per_partition)]
        for key in keys:
            lake["silver"].write_bytes(key, payload)
        partitions.append({"partition": month.partition, "rows": 1000, "files": keys})
    summary = RunSummary(
        run_id=run_id,
        dataset="transactions",
        schema_v="v1",
        run_type="scheduled",
        input_window={"from": PARTITIONS[0].label, "to": PARTITIONS[-1].label},
        input_files=[f"transactions/{m.partition}/a.csv" for m in PARTITIONS],
        code_version="bench",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:01:00Z",
        duration_seconds=60.0,
        input_rows=24000,
        valid_rows_count=24000,
        **no_failed_rows(),
        circuit_breaker_triggers=0,
        rows_per_second=400.0,
        missing_partitions=0,
        publication={},
        partitions=partitions,
        execution_arn=None,
    )
    lake["silver"].write_bytes(layout.success_key("transactions", "v1", run_id), summary.to_json())


def measure(file_bytes: int, runs: int, files_per_partition: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="lakegate-bench-") as root:
        lake = Lake.local(Path(root))
        for i in range(runs):
            make_run(lake, f"run-{i}", file_bytes, files_per_partition)
        promoter = Promoter(
            lake, dataset_config("transactions"), lambda: "bench", now=lambda: datetime.now(UTC)
        )
        times = []
        for i in range(runs):
            started = time.perf_counter()
            promoter.promote(f"run-{i}", "bench", "promotion cost")
            times.append(time.perf_counter() - started)
    data_bytes = file_bytes * files_per_partition * len(PARTITIONS)
    return {
        "data_bytes_per_run": data_bytes,
        "promotions": runs,
        "median_seconds": statistics.median(times),
        "max_seconds": max(times),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file-mb", type=float, default=2.0, help="data file size of the 1x runs")
    parser.add_argument("--runs", type=int, default=7, help="promotions per size")
    parser.add_argument("--out", default="bench/results/promotion.json")
    args = parser.parse_args(argv)
    small = int(args.file_mb * 1024 * 1024)
    results = [measure(small, args.runs, 2), measure(small * 10, args.runs, 2)]
    ratio = results[1]["median_seconds"] / results[0]["median_seconds"]
    print(f"{'data per run':>14} {'promotions':>11} {'median s':>9} {'max s':>7}")
    for r in results:
        print(
            f"{r['data_bytes_per_run'] / 1024**2:>11.0f} MB {r['promotions']:>11}"
            f" {r['median_seconds']:>9.4f} {r['max_seconds']:>7.4f}"
        )
    print(f"10x data / 1x data promotion time: {ratio:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "ratio_10x_to_1x": ratio}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
