"""Lakegate's ingestion job end to end on a local lake, timed: one benchmark engine.

Runs exactly what `lakegate ingest` runs (prepare, then glue_jobs.job.run_ingest on a
local Spark session built by glue_jobs.session) and prints one JSON line: Spark's
start-up and the job's time measured apart, what the JVM spent compiling during the
job (JIT and Spark's code generation), the run's counts, and the files written.
With --promote the run is promoted afterwards (the benchmark builds published history
this way); with --event-log Spark writes its event log there, and the result adds the run's
Spark jobs and stages and its phases (bench.eventlog); with
--again N the same job runs N more times in the same JVM (warm).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import time
from pathlib import Path

from bench import eventlog, output_files
from bench.measure import stat_fields
from lakegate import layout
from lakegate.config import dataset_config
from lakegate.ids import Month, MonthWindow
from lakegate.storage import Lake

DATASET = "transactions"


def compiler_cpu_seconds(pid: int) -> float:
    """CPU time of the JIT compiler threads of the JVM `pid` so far (Linux /proc, as
    bench.measure)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            if (task / "comm").read_text().startswith(("C1 Compiler", "C2 Compiler")):
                fields = stat_fields(task / "stat")
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def compile_seconds(spark) -> dict:
    """What the JVM has spent compiling so far. jit_s: HotSpot's compile time summed
    over its compiler threads (CompilationMXBean); jit_cpu_s: those threads' CPU time;
    codegen_s and codegen_classes: Spark's code generation (Janino, one compile per
    generated class). Part of a run's fixed cost: it does not grow with the rows."""
    jvm = spark.sparkContext._jvm
    jit = jvm.java.lang.management.ManagementFactory.getCompilationMXBean()
    codegen = jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    snapshot, count = codegen.getSnapshot(), codegen.getCount()
    values = list(snapshot.getValues())
    # The histogram keeps every sample up to 1028 of them; past that, an estimate.
    total_ms = sum(values) if len(values) == count else snapshot.getMean() * count
    return {
        "jit_s": jit.getTotalCompilationTime() / 1000,
        "jit_cpu_s": compiler_cpu_seconds(jvm.java.lang.ProcessHandle.current().pid()),
        "codegen_s": total_ms / 1000,
        "codegen_classes": count,
    }


def master_cores(master: str) -> int:
    """The task slots of a local master: local[N] or local-cluster[workers,cores,MB]."""
    found = re.fullmatch(r"local(?:-cluster)?\[(\d+)(?:,(\d+),\d+)?\]", master)
    if not found:
        raise ValueError(f"not a local master with a core count: {master}")
    return int(found[1]) * int(found[2] or 1)


def _rounded(compiled: dict) -> dict:
    return {k: v if k == "codegen_classes" else round(v, 2) for k, v in compiled.items()}


def _timed_ingest(spark, lake: Lake, request, files) -> tuple[dict, float, dict]:
    """run_ingest, with its wall time and what the JVM compiled meanwhile."""
    from glue_jobs.job import run_ingest

    before = compile_seconds(spark)
    started = time.perf_counter()
    summary = run_ingest(spark, lake, request, files=files)
    seconds = time.perf_counter() - started
    return summary, seconds, {k: v - before[k] for k, v in compile_seconds(spark).items()}


def run(
    lake_root: Path,
    window: MonthWindow,
    run_id: str,
    run_type: str,
    event_log: Path | None = None,
    promote: bool = False,
    jfr: Path | None = None,
    conf: dict[str, str] | None = None,
    again: int = 0,
) -> dict:
    from glue_jobs.job import IngestRequest, prepare
    from glue_jobs.session import LOCAL_CONF, local_session
    from lakegate_cli.javacheck import ensure_java17

    lake = Lake.local(lake_root)
    # The benchmark's inputs carry ~2% bad rows: far above the production breaker.
    config = dataset_config(DATASET, breaker_threshold=10**9)
    request = IngestRequest(config=config, window=window, run_id=run_id, run_type=run_type)
    files = prepare(lake, request)
    ensure_java17()
    started = time.perf_counter()
    extra = eventlog.spark_conf(event_log)
    if jfr is not None:
        # Java Flight Recorder samples the JVM's stacks: where the executor's CPU goes.
        options = LOCAL_CONF["spark.driver.extraJavaOptions"]
        extra["spark.driver.extraJavaOptions"] = (
            f"{options} -XX:StartFlightRecording=filename={jfr},settings=profile"
        )
    spark = local_session("lakegate-bench", **{**extra, **(conf or {})})
    spark.range(1).count()  # the JVM, the session and the first job's set-up
    spark_start = time.perf_counter() - started
    job_started_ms = int(time.time() * 1000)
    summary, job, compiled = _timed_ingest(spark, lake, request, files)
    # The same job again in this JVM (new run ids; each finds its predecessors' failures
    # as earlier attempts): what the run costs once the JVM has compiled its code.
    warm = []
    for n in range(2, again + 2):
        repeat = dataclasses.replace(request, run_id=f"{run_id}-{n}")
        _, seconds, compiled_again = _timed_ingest(spark, lake, repeat, prepare(lake, repeat))
        warm.append({"job_s": round(seconds, 2), **_rounded(compiled_again)})
    app_id = spark.sparkContext.applicationId
    cores = master_cores(spark.sparkContext.master)
    spark.stop()
    promote_s = None
    if promote:
        from promotion.publisher import Promoter

        started = time.perf_counter()
        Promoter(lake, config, lambda: "bench").promote(run_id, "bench", "benchmark history")
        promote_s = time.perf_counter() - started
    silver = lake_root / "silver" / layout.run_prefix(DATASET, config.schema_v, run_id)
    spark_work = {}
    if event_log is not None:
        log = event_log / app_id
        # The run's own jobs: the start-up job before it is left out.
        spark_work = {"spark": eventlog.counts(log, job_started_ms), "phases": eventlog.phases(log)}
    return {
        "engine": "lakegate",
        "spark_start_s": round(spark_start, 2),
        "cores": cores,
        "job_s": round(job, 2),
        "promote_s": None if promote_s is None else round(promote_s, 3),
        **_rounded(compiled),
        "again_in_same_jvm": warm,
        "input_rows": summary["input_rows"],
        "valid": summary["valid_rows_count"],
        "quarantined": summary["quarantined_rows_count"],
        "condemned": summary["condemned_rows_count"],
        "by_error_type": summary["error_type_distribution"],
        "silver": output_files(silver),
        "event_log": str(event_log / app_id) if event_log is not None else None,
        **spark_work,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--first", required=True, help="first month, YYYY-MM")
    parser.add_argument("--last", required=True, help="last month, YYYY-MM")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--run-type", default="scheduled")
    parser.add_argument("--event-log", type=Path)
    parser.add_argument("--promote", action="store_true")
    parser.add_argument("--jfr", type=Path, help="record a Java Flight Recorder profile here")
    parser.add_argument(
        "--conf", action="append", default=[], help="a Spark setting to try, key=value"
    )
    parser.add_argument(
        "--again", type=int, default=0, help="run the same job this many more times, same JVM"
    )
    args = parser.parse_args(argv)
    window = MonthWindow(Month.parse(*args.first.split("-")), Month.parse(*args.last.split("-")))
    result = run(
        args.lake,
        window,
        args.run_id,
        args.run_type,
        args.event_log,
        args.promote,
        args.jfr,
        dict(c.split("=", 1) for c in args.conf),
        args.again,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
