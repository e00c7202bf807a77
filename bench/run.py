"""The benchmark: `make bench` (python -m bench.run).

For each size (default 1M and 10M rows over 24 months, ~2% invalid), on the same
generated bronze files, in one invocation:

1. Set-up (not timed): Lakegate ingests and promotes the history month before the
   window, so every engine checks duplicates against the same published silver.
2. The comparison, each engine in its own process, measured from outside (wall time,
   peak RSS of the process tree, output files): Lakegate's ingestion job end to end
   (local Spark), DuckDB SQL (the floor) and pandas + pyarrow (the naive reference).
   Their valid, quarantined and condemned counts must be equal, and equal to what the
   generator injected; the harness stops with an error if not. Then what the floor's
   time is made of (bench.duckdb_parts), beside a DuckDB job that does less.
3. Scaling, for the largest size: promotion of the 24-month run (vs the smaller size's),
   a one-month backfill against the 24-month run, and a one-month backfill with 1, 6
   and 24 months of published history (duplicate detection); the last one again in a
   new JVM and then twice more in it, to show what of its time is a cold JVM compiling.

Prints a table and writes bench/results/bench.json. Spark's start-up is measured apart
from the job (the ratio uses the job time; both are shown), and so is what Lakegate's
JVM spent compiling during the job (HotSpot's JIT and Spark's code generation), the
part of a run's fixed cost that does not show in Spark's event log.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import cost, generate, measure
from bench.eventlog import cores_busy
from lakegate import pointer
from lakegate.ids import MonthWindow
from lakegate.storage import Lake

PY = sys.executable
VALIDATION = "lakegate: read and validate bronze"
RUN_ID = "20260101T000000Z_BENCH"
MIN_ROWS = 100_000


class Mismatch(Exception):
    pass


def _lake(work: Path, name: str, bronze: Path) -> Path:
    root = work / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "bronze").symlink_to(bronze.resolve())
    return root


def lakegate(lake: Path, window: MonthWindow, run_id: str, **options) -> measure.Measured:
    command = [
        PY, "-m", "bench.lakegate_run", "--lake", str(lake),
        "--first", window.first.label, "--last", window.last.label, "--run-id", run_id,
    ]  # fmt: skip
    for flag, value in options.items():
        if value is True:
            command.append(f"--{flag.replace('_', '-')}")
        elif value:
            command += [f"--{flag.replace('_', '-')}", str(value)]
    return measure.run(command)


def reference(engine: str, work: Path, files: list[Path], published: list[Path]):
    """One reference engine in its own process (the Spark one with its event log)."""
    out = work / engine
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (work / "files.txt").write_text("\n".join(str(f) for f in files) + "\n")
    (work / "published.txt").write_text("\n".join(str(f) for f in published) + "\n")
    return measure.run(
        [
            PY,
            "-m",
            "bench.reference",
            engine,
            "--files",
            str(work / "files.txt"),
            "--published",
            str(work / "published.txt"),
            "--out",
            str(out / "out"),
            *(["--event-log", str(work / "events-spark")] if engine == "spark" else []),
        ]
    )


def published_paths(lake_root: Path) -> list[Path]:
    lake = Lake.local(lake_root)
    latest = pointer.read_latest(lake["silver"], generate.DATASET)
    return [lake_root / "silver" / k for k in pointer.published_files(lake["silver"], latest)]


# Engines with no published history: a row re-sending a published TransactionID with
# other content is valid to them.
WITHOUT_HISTORY = {"spark"}


def without_history(expected: dict) -> dict:
    """What an engine that does not read published silver must count: the generator's
    outcome with the business duplicates against published silver (bench.generate's
    late file, the only rows of that class) counted as valid."""
    by_error = dict(expected["by_error_type"])
    republished = by_error.pop("BUSINESS_DUPLICATE", 0)
    return {
        **expected,
        "valid": expected["valid"] + republished,
        "quarantined": expected["quarantined"] - republished,
        "by_error_type": by_error,
    }


def check_counts(results: dict[str, dict], expected: dict) -> None:
    """Every engine's valid, quarantined and condemned counts, and its rows per error
    class, equal the generator's (for an engine without history, without_history's)."""
    for engine, result in results.items():
        owed = without_history(expected) if engine in WITHOUT_HISTORY else expected
        want = {k: owed[k] for k in ("input_rows", "valid", "quarantined", "condemned")}
        got = {k: result[k] for k in want}
        if got != want:
            raise Mismatch(f"{engine} counted {got}, the generator injected {want}")
        if result["by_error_type"] != owed["by_error_type"]:
            raise Mismatch(
                f"{engine} error classes {result['by_error_type']} differ from the"
                f" generator's {owed['by_error_type']}"
            )


def dedupe_seconds(run_phases: dict[str, dict]) -> float:
    """Wall time of the run's duplicate checks (the phase the job names), from the
    phases bench.lakegate_run read from its event log."""
    return run_phases.get("lakegate: duplicate checks and earlier failures", {}).get("wall_s", 0.0)


REFERENCES = ("spark", "duckdb", "pandas")


def compare(rows: int, data: Path, work: Path, references: tuple[str, ...] = REFERENCES) -> dict:
    bronze, expected = generate.bronze_lake(data, rows)
    work = work / str(rows)
    window = MonthWindow(generate.FIRST_MONTH, generate.FIRST_MONTH.plus(generate.MONTHS - 1))
    history = MonthWindow(generate.HISTORY_MONTH, generate.HISTORY_MONTH)
    lake = _lake(work, "lake", bronze)
    print(f"[{rows:,} rows] set-up: history month ingested and promoted", flush=True)
    lakegate(lake, history, "20251201T000000Z_HISTORY", promote=True)
    published = published_paths(lake)
    files = sorted(
        p for p in bronze.rglob("*.csv") if generate.HISTORY_MONTH.partition not in str(p)
    )
    runs = {}
    print(f"[{rows:,} rows] lakegate", flush=True)
    runs["lakegate"] = lakegate(lake, window, RUN_ID, event_log=work / "events")
    for engine in references:
        print(f"[{rows:,} rows] {engine}", flush=True)
        runs[engine] = reference(engine, work, files, published)
    results = {engine: m.result for engine, m in runs.items()}
    check_counts(results, expected)
    parts = None
    if "duckdb" in references:
        print(f"[{rows:,} rows] what the DuckDB floor's time is made of", flush=True)
        parts = measure.run(
            [
                PY,
                "-m",
                "bench.duckdb_parts",
                "--work",
                str(work),
                "--out",
                str(work / "duckdb-parts"),
            ]
        ).result
    table = {}
    for engine, m in runs.items():
        r = m.result
        job = r["job_s"]
        table[engine] = {
            "wall_s": m.wall_s,
            "job_s": job,
            "spark_start_s": r.get("spark_start_s"),
            "jit_s": r.get("jit_s"),
            "jit_cpu_s": r.get("jit_cpu_s"),
            "codegen_s": r.get("codegen_s"),
            "spark_jobs_and_stages": r.get("spark"),
            "rows_per_s": round(r["input_rows"] / job),
            "peak_rss_mb": m.peak_rss_mb,
            "peak_anon_mb": m.peak_anon_mb,
            "silver_files": r["silver"]["files"],
            "silver_partitions": r["silver"]["partitions"],
            "max_files_per_partition": r["silver"]["max_files_per_partition"],
            "max_file_mb": r["silver"]["max_file_mb"],
            "valid": r["valid"],
            "quarantined": r["quarantined"],
            "condemned": r["condemned"],
        }
    lg = table["lakegate"]["job_s"]
    lakegate_run = runs["lakegate"].result
    validation = lakegate_run["phases"].get(
        VALIDATION,
        {
            "wall_s": 0,
            "run_s": 0,
            "tasks": 0,
            "max_task_input_mb": 0,
            "first_stage_max_task_input_mb": 0,
        },
    )
    return {
        "rows": expected["input_rows"],
        "bronze_mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "engines": table,
        "ratios": {f"lakegate_to_{e}": round(lg / table[e]["job_s"], 2) for e in references},
        "duckdb_parts": parts,
        "lakegate_spark": lakegate_run["spark"],
        "lakegate_validation": {
            **validation,
            "cores": lakegate_run["cores"],
            "cores_busy": cores_busy(validation),
        },
        "event_log": lakegate_run["event_log"],
        "lake": str(lake),
        "bronze": str(bronze),
    }


def scaling(result: dict, work: Path) -> dict:
    """Lakes with 1, 6 and 24 months published (each by a run over those months,
    promoted), then a one-month backfill on each: its job time against the 24-month
    run's, and what its duplicate checks cost as history grows. The published partitions
    a backfill reads are those of its look-back (3 months) it does not replace."""
    bronze = Path(result["bronze"])
    first = generate.FIRST_MONTH
    plans = {1: (first, first.plus(1)), 6: (first.plus(5), first.plus(5))}
    plans[24] = (first.plus(23), first.plus(23))
    backfills, promotions, lakes = {}, {}, {}
    for months, (last_published, month) in sorted(plans.items()):
        root = lakes[months] = _lake(work / str(result["rows"]), f"history-{months}", bronze)
        print(f"[{result['rows']:,} rows] {months} month(s) published, then backfill {month.label}")
        history = lakegate(
            root, MonthWindow(first, last_published), "20251231T000000Z_HISTORY", promote=True
        )
        promotions[months] = {
            "rows": history.result["input_rows"],
            "promote_s": history.result["promote_s"],
        }
        m = lakegate(
            root, MonthWindow(month, month), f"20260102T0000{months:02d}Z_BACKFILL",
            run_type="backfill", event_log=root / "events",
        )  # fmt: skip
        backfills[months] = {
            "month": month.label,
            "job_s": m.result["job_s"],
            "spark_start_s": m.result["spark_start_s"],
            "dedupe_s": dedupe_seconds(m.result["phases"]),
            "spark": m.result["spark"],
            "jit_s": m.result["jit_s"],
            "jit_cpu_s": m.result["jit_cpu_s"],
            "codegen_s": m.result["codegen_s"],
            "published_partitions_read": len(
                [
                    p
                    for p in (month.plus(-3), month.plus(-2), month.plus(-1))
                    if first <= p <= last_published
                ]
            ),
            "input_rows": m.result["input_rows"],
        }
    # The backfill with 24 months published again, then twice more in the same JVM (no
    # event log, which would mix the runs' phases): what of its time is a cold JVM
    # compiling.
    month = plans[24][1]
    again = lakegate(
        lakes[24], MonthWindow(month, month), "20260103T000024Z_BACKFILL",
        run_type="backfill", again=2,
    )  # fmt: skip
    backfills[24]["again_cold_then_warm"] = [
        {k: again.result[k] for k in ("job_s", "jit_cpu_s", "codegen_s")},
        *again.result["again_in_same_jvm"],
    ]
    full = result["engines"]["lakegate"]["job_s"]
    return {
        "backfill_by_history_months": backfills,
        "promotion_by_history_months": promotions,
        "one_month_to_24_month_job": round(backfills[24]["job_s"] / full, 3),
    }


def promotion_cost() -> dict:
    from bench import promotion

    results = [promotion.measure(2 * 2**20, 5, 2), promotion.measure(20 * 2**20, 5, 2)]
    return {
        "results": results,
        "ratio_10x_to_1x": round(results[1]["median_seconds"] / results[0]["median_seconds"], 2),
    }


def machine() -> dict:
    cpus = len(__import__("os").sched_getaffinity(0))
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpus": cpus, "memory_gib": round(int(mem) / 2**20, 1), "cpu": model,
            "python": platform.python_version(), "when": datetime.now(UTC).isoformat()}  # fmt: skip


def print_table(results: list[dict]) -> None:
    head = (
        f"{'rows':>11} {'engine':<9} {'wall s':>7} {'job s':>7} {'start s':>7} {'rows/s':>10}"
        f" {'peak RSS MB':>11} {'anon MB':>7} {'files':>5} {'max MB':>6} {'valid':>10}"
        f" {'quarant.':>8} {'cond.':>6}"
    )
    print(head)
    for r in results:
        for engine, t in r["engines"].items():
            start = "" if t["spark_start_s"] is None else f"{t['spark_start_s']:.1f}"
            print(
                f"{r['rows']:>11,} {engine:<9} {t['wall_s']:>7.1f} {t['job_s']:>7.1f} {start:>7}"
                f" {t['rows_per_s']:>10,} {t['peak_rss_mb']:>11,.0f} {t['peak_anon_mb']:>7,.0f}"
                f" {t['silver_files']:>5}"
                f" {t['max_file_mb']:>6.1f} {t['valid']:>10,} {t['quarantined']:>8,}"
                f" {t['condemned']:>6,}"
            )
        lg = r["engines"]["lakegate"]
        print(
            f"{'':>11} During Lakegate's job its JIT compiler threads used"
            f" {lg['jit_cpu_s']:.1f} s of CPU, and Spark's code generation took"
            f" {lg['codegen_s']:.1f} s"
        )
        names = {"spark": "plain Spark", "duckdb": "DuckDB", "pandas": "pandas"}
        ratios = ", ".join(
            f"/ {names[k.removeprefix('lakegate_to_')]} {v:.2f}x" for k, v in r["ratios"].items()
        )
        if ratios:
            print(
                f"{'':>11} Lakegate job {ratios}; counts as owed by every engine"
                " (plain Spark has no history: the re-sent published ids are valid to it)"
            )
        else:
            print(f"{'':>11} Lakegate counted what the generator injected")
        v, work = r["lakegate_validation"], r["lakegate_spark"]
        print(
            f"{'':>11} Lakegate: {work['jobs']} Spark jobs, {work['stages']} stages run"
            f" ({work['stages_skipped']} skipped); validation {v['wall_s']:.1f} s in"
            f" {v['tasks']} tasks kept {v['cores_busy']:.2f} of {v['cores']} cores busy,"
            f" its largest task read {v['first_stage_max_task_input_mb']:.0f} MB of bronze"
        )
        plain = r["engines"].get("spark", {}).get("spark_jobs_and_stages")
        if plain:
            print(
                f"{'':>11} Plain Spark: {plain['jobs']} Spark jobs, {plain['stages']} stages run"
                f" ({plain['stages_skipped']} skipped)"
            )
        parts = r["duckdb_parts"]
        if parts is None:
            continue
        print(
            f"{'':>11} DuckDB: numbered lines {parts['numbered_lines']['s']:.1f} s,"
            f" with SHA-256 {parts['numbered_lines_sha256']['s']:.1f} s, the floor's"
            f" classification {parts['floor_classification']['s']:.1f} s; a shortcut job"
            f" (CSV reader, no line numbers or hashes) {parts['shortcut_job']['s']:.1f} s,"
            f" reading {parts['shortcut_job']['input_rows']:,} of the {r['rows']:,} rows"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--data", type=Path, default=Path("bench/data"))
    parser.add_argument("--work", type=Path, default=Path("bench/data/work"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/bench.json"))
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument(
        "--engines",
        nargs="*",
        choices=REFERENCES,
        default=list(REFERENCES),
        help="the engines beside Lakegate (none for the 50M run: pandas would need ~95 GB)",
    )
    args = parser.parse_args(argv)
    if min(args.rows) < MIN_ROWS:
        parser.error(
            f"--rows must be at least {MIN_ROWS:,}: below that the injected bad rows are"
            " more than the promotion gate lets the history month publish"
        )
    args.data, args.work = args.data.resolve(), args.work.resolve()
    results = []
    try:
        for rows in args.rows:
            results.append(compare(rows, args.data, args.work, tuple(args.engines)))
    except (Mismatch, RuntimeError) as error:
        # One clear verdict (the failing engine's last lines are part of the message).
        print(f"bench: {error}", file=sys.stderr)
        return 1
    report = {"machine": machine(), "sizes": results}
    if len(results) > 1:
        report["per_row_us"] = {
            str(r["rows"]): round(r["engines"]["lakegate"]["job_s"] / r["rows"] * 1e6, 2)
            for r in results
        }
    if not args.no_scaling:
        report["scaling"] = scaling(results[-1], args.work)
    print()
    print_table(results)
    if "per_row_us" in report:
        print(f"Lakegate job time per row (us): {report['per_row_us']}")
    if "scaling" in report:
        s = report["scaling"]
        for months, b in s["backfill_by_history_months"].items():
            print(
                f"Backfill {b['month']} with {months:>2} month(s) published:"
                f" job {b['job_s']:.1f} s,"
                f" duplicate checks {b['dedupe_s']:.2f} s,"
                f" {b['spark']['jobs']} Spark jobs, {b['spark']['stages']} stages,"
                f" JIT compiler threads {b['jit_cpu_s']:.1f} s CPU,"
                f" code generation {b['codegen_s']:.1f} s"
            )
        runs = s["backfill_by_history_months"][24]["again_cold_then_warm"]
        print(
            "The same backfill in a new JVM, then twice more in it: job "
            + ", ".join(f"{w['job_s']:.1f} s (JIT {w['jit_cpu_s']:.1f} s CPU)" for w in runs)
        )
        print(f"One-month backfill / 24-month run (job time): {s['one_month_to_24_month_job']:.3f}")
        for months, p in s["promotion_by_history_months"].items():
            print(
                f"Promotion of a {months:>2}-month run ({p['rows']:,} rows): {p['promote_s']:.3f} s"
            )
    if "scaling" in report:
        report["cost"] = cost.model(report)
        cost.print_model(report["cost"])
    report["promotion_10x"] = promotion_cost()
    print(
        "Promotion, same partitions with 10x the bytes (bench.promotion): "
        f"{report['promotion_10x']['ratio_10x_to_1x']:.2f}x the time"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
