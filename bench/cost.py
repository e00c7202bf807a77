"""What an ingestion run costs on AWS Glue, from the benchmark's measurements.

The model (docs/performance.md, "Cost on Glue"):

- A run's time is its fixed cost (the one-month backfill's job time in a cold JVM:
  compiling, planning and the duplicate checks, which more executors do not shorten)
  plus its per-row work (executor core-seconds per row, from the 10M-row run on a known
  number of cores) spread over the executor cores the run can use.
- The run can use at most one core per task of its validation stage: one task per
  month and per 128 MB of that month's bronze (glue_jobs.sparkio.read_bronze), and no
  more than the executors' cores (every worker but the driver).
- Glue bills a Spark job's workers per second for the run's duration, with a 1-minute
  minimum (Glue 2.0 and later), at DPUs per worker (G.1X = 1 DPU, 4 vCPUs, 16 GB;
  G.2X = 2 DPUs, 8 vCPUs, 32 GB). With auto scaling, Glue bills the workers the run
  used: here the driver and the executors its tasks keep busy.

Assumptions, stated where the figures are: a Glue vCPU does the work of one core of the
benchmark's machine, and Glue's own start (before Spark's) is not measured here.
`python -m bench.cost [bench.json]` prints the table for the benchmark's figures.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

MINIMUM_BILLED_S = 60  # Glue 2.0 and later: per second, 1-minute minimum
PRICE_PER_DPU_HOUR = 0.44  # USD, Glue Spark jobs (us-east-1 list price)
SPLIT_MB = 128  # spark.sql.files.maxPartitionBytes: a month's files per task


@dataclass(frozen=True)
class Worker:
    dpu: int
    vcpus: int
    memory_gb: int


WORKERS = {"G.1X": Worker(1, 4, 16), "G.2X": Worker(2, 8, 32)}


@dataclass(frozen=True)
class Sizing:
    name: str
    worker_type: str
    workers: int  # with auto_scaling, the most a run may use
    auto_scaling: bool = False

    @property
    def executor_cores(self) -> int:
        return (self.workers - 1) * WORKERS[self.worker_type].vcpus


def _month_backfill(report: dict) -> dict:
    """The one-month backfill with 24 months published (keys are ints in the harness,
    strings once read back from bench.json)."""
    backfills = report["scaling"]["backfill_by_history_months"]
    return backfills[24] if 24 in backfills else backfills["24"]


@dataclass(frozen=True)
class Measured:
    """What the model takes from the benchmark."""

    fixed_s: float  # a one-month run's job time, cold JVM
    core_us_per_row: float  # executor core time per row, past the fixed cost
    start_s: float  # Spark's start-up

    @classmethod
    def from_bench(cls, report: dict) -> Measured:
        largest = max(report["sizes"], key=lambda r: r["rows"])
        lakegate = largest["engines"]["lakegate"]
        cores = largest["lakegate_validation"]["cores"]
        fixed = _month_backfill(report)["job_s"]
        work = max(lakegate["job_s"] - fixed, 0.0) * cores
        return cls(
            fixed_s=fixed,
            core_us_per_row=work / largest["rows"] * 1e6,
            start_s=lakegate["spark_start_s"],
        )


@dataclass(frozen=True)
class Workload:
    name: str
    rows: int
    months: int
    bronze_mb: float

    @property
    def tasks(self) -> int:
        """Tasks of the validation stage: per month, one per 128 MB of its bronze."""
        return self.months * max(1, math.ceil(self.bronze_mb / self.months / SPLIT_MB))


def run_seconds(measured: Measured, workload: Workload, cores: int) -> float:
    return (
        measured.start_s
        + measured.fixed_s
        + measured.core_us_per_row * workload.rows / 1e6 / max(1, min(cores, workload.tasks))
    )


def billed_dpu_seconds(worker_type: str, workers: int, run_s: float) -> int:
    """Glue's bill for `workers` workers held for `run_s` seconds."""
    return WORKERS[worker_type].dpu * workers * max(MINIMUM_BILLED_S, math.ceil(run_s))


def estimate(measured: Measured, workload: Workload, sizing: Sizing) -> dict:
    worker = WORKERS[sizing.worker_type]
    cores = min(sizing.executor_cores, workload.tasks)
    workers = 1 + math.ceil(cores / worker.vcpus) if sizing.auto_scaling else sizing.workers
    run_s = run_seconds(measured, workload, cores)
    dpu_s = billed_dpu_seconds(sizing.worker_type, workers, run_s)
    return {
        "workload": workload.name,
        "sizing": sizing.name,
        "tasks": workload.tasks,
        "cores_used": cores,
        "workers_billed": workers,
        "run_s": round(run_s, 1),
        "dpu_s": dpu_s,
        "usd": round(dpu_s / 3600 * PRICE_PER_DPU_HOUR, 4),
    }


# The environments' sizings (infra/envs/*/main.tf) and the one prod had before.
SIZINGS = (
    Sizing("dev, sit: 2 G.1X", "G.1X", 2),
    Sizing("prod before: 10 G.2X", "G.2X", 10),
    Sizing("prod: up to 7 G.1X, auto scaling", "G.1X", 7, auto_scaling=True),
)


def workloads(report: dict) -> list[Workload]:
    """A one-month run, and the benchmark's 24-month sizes (and 50M rows when the
    report has no such size: the same bronze per row as its largest)."""
    largest = max(report["sizes"], key=lambda r: r["rows"])
    mb_per_row = largest["bronze_mb"] / largest["rows"]
    month = _month_backfill(report)["input_rows"]
    found = [Workload("one month", month, 1, month * mb_per_row)]
    sizes = {r["rows"]: r["bronze_mb"] for r in report["sizes"]}
    sizes.setdefault(50_000_000, 50_000_000 * mb_per_row)
    for rows, mb in sorted(sizes.items()):
        found.append(Workload(f"{round(rows / 1e6):g}M rows, 24 months", rows, 24, mb))
    return found


def model(report: dict) -> dict:
    measured = Measured.from_bench(report)
    return {
        "measured": measured.__dict__,
        "estimates": [estimate(measured, w, s) for w in workloads(report) for s in SIZINGS],
    }


def print_model(result: dict) -> None:
    m = result["measured"]
    print(
        f"Cost on Glue (model: fixed {m['fixed_s']:.1f} s + {m['core_us_per_row']:.1f} us of"
        f" core time per row over the cores used, start {m['start_s']:.1f} s;"
        f" ${PRICE_PER_DPU_HOUR}/DPU-hour, 1-minute minimum)"
    )
    print(
        f"{'workload':<24} {'sizing':<34} {'tasks':>5} {'cores':>5} {'workers':>7}"
        f" {'run s':>6} {'DPU-s':>6} {'USD':>7}"
    )
    for e in result["estimates"]:
        print(
            f"{e['workload']:<24} {e['sizing']:<34} {e['tasks']:>5} {e['cores_used']:>5}"
            f" {e['workers_billed']:>7} {e['run_s']:>6.1f} {e['dpu_s']:>6} {e['usd']:>7.4f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path, nargs="?", default=Path("bench/results/bench.json"))
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.report.read_text())
        result = model(report)
    except OSError as error:
        parser.exit(1, f"bench.cost: cannot read {args.report}: {error.strerror}\n")
    except (ValueError, KeyError) as error:
        parser.exit(
            1,
            f"bench.cost: {args.report} is not a make bench report with its scaling runs"
            f" (no {error}); run make bench without --no-scaling\n",
        )
    print_model(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
