"""What the job's first phase, "read and validate bronze", is made of:
`python -m bench.validate_parts MODE --files bench/data/work/10000000/files.txt`, one
mode per process (a cold JVM, as a job run has). Prints one JSON line. Spark's
start-up (the session and a first job) is timed apart, as bench.lakegate_run does;
with --repeat N the mode runs N times in the same JVM: the later runs are what the
phase costs once the JVM has compiled its code.

Modes, each on the same bronze files:
- lines: read and split into lines, every line hashed;
- fields: glue_jobs.parsing.bronze_lines (lines, fields, malformed), every column hashed;
- validated: glue_jobs.transforms.validate as well, every column hashed, nothing kept;
- persisted: validated and persisted as the job does (the in-memory columnar frame);
- checkpointed: validated and kept as rows instead (a local checkpoint);
- off_heap: validated and persisted off the JVM heap.
The difference between "validated" and the last three is what keeping the validated
rows costs; the job keeps them because every output reads them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs import parsing, session, sparkio, transforms
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import dataset_config

MODES = ("lines", "fields", "validated", "persisted", "checkpointed", "off_heap")


def _hashed(df: DataFrame) -> int:
    """Rows of `df`, with every column computed (a hash of all of them summed)."""
    row = df.select(F.sum(F.xxhash64(*df.columns)), F.count(F.lit(1)).alias("n")).collect()[0]
    return row.n


def measure(spark: SparkSession, uris: list[str], mode: str) -> dict:
    """Seconds and rows of one mode (see the module's text)."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    raw = sparkio.read_bronze(spark, uris)
    lines = parsing.bronze_lines(raw, INPUT_COLUMNS)
    validated = lines.transform(transforms.validate(dataset_config("transactions")))
    started = time.perf_counter()
    if mode == "lines":
        rows = _hashed(raw.select(F.explode(F.split("value", "\n", -1)).alias("line")))
    elif mode == "fields":
        rows = _hashed(lines)
    elif mode == "validated":
        rows = _hashed(validated)
    elif mode == "checkpointed":
        rows = validated.localCheckpoint(eager=True).count()
    else:
        level = StorageLevel.OFF_HEAP if mode == "off_heap" else StorageLevel.MEMORY_AND_DISK
        kept = validated.persist(level)
        rows = kept.count()
        kept.unpersist()
    return {"mode": mode, "s": round(time.perf_counter() - started, 2), "rows": rows}


def repeated(spark: SparkSession, uris: list[str], mode: str, times: int) -> dict:
    """measure() `times` times in this JVM: the first run's seconds and rows, and the
    seconds of the runs after it (again_s)."""
    if times < 1:
        raise ValueError(f"--repeat {times}: a mode runs at least once")
    first = measure(spark, uris, mode)
    again = [measure(spark, uris, mode) for _ in range(times - 1)]
    if any(run["rows"] != first["rows"] for run in again):
        raise RuntimeError(f"mode {mode}: the runs counted different rows")
    return {**first, "again_s": [run["s"] for run in again]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--files", type=Path, required=True, help="bronze paths, one a line")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the mode in one JVM")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat {args.repeat}: a mode runs at least once")
    extra = (
        {"spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "4g"}
        if args.mode == "off_heap"
        else {}
    )
    started = time.perf_counter()
    spark = session.local_session("lakegate-validate-parts", **extra)
    spark.range(1).count()  # the JVM, the session and the first job's set-up
    spark_start = round(time.perf_counter() - started, 2)
    result = repeated(spark, args.files.read_text().split(), args.mode, args.repeat)
    print(json.dumps({**result, "spark_start_s": spark_start}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
