"""The benchmark's parts that decide its verdicts: the reference engines count what
the generator injected, and the harness refuses engines that disagree. (Speed is
measured by `make bench`, never here.)"""

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench import cost, duckdb_ref, generate, pandas_ref, plain_spark
from bench.eventlog import cores_busy, counts, phases, spark_conf
from bench.lakegate_run import master_cores
from bench.run import Mismatch, check_counts, without_history


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    bronze, expected = generate.bronze_lake(root / "data", rows=24_000)
    files = sorted(
        p for p in bronze.rglob("*.csv") if generate.HISTORY_MONTH.partition not in str(p)
    )
    # Published history: the ids the late file re-sends, with other content.
    tag = f"{generate.HISTORY_MONTH.year:04d}{generate.HISTORY_MONTH.month:02d}"
    count = expected["by_error_type"]["BUSINESS_DUPLICATE"]
    published = root / "silver/transactions/schema_v=v1/run_id=r/year=2022/month=12/p.parquet"
    published.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "TransactionID": [f"TX{tag}{i:08d}" for i in range(count)],
                "row_hash": ["0" * 64] * count,
                "run_id": ["r"] * count,
            }
        ),
        published,
    )
    return root, files, published, expected


def test_generator_spreads_about_two_percent_over_every_class(small):
    _, files, _, expected = small
    assert len(files) == 2 * generate.MONTHS + 1  # two per month and the late file
    failed = expected["quarantined"] + expected["condemned"]
    assert 0.015 < failed / expected["input_rows"] < 0.03
    assert set(expected["by_error_type"]) == {
        "MALFORMED_ROW", "NULL_VALUE_ERROR", "TYPE_ERROR", "CURRENCY_ERROR",
        "PARTITION_MISMATCH", "EXACT_DUPLICATE", "DUPLICATE_IN_BATCH", "BUSINESS_DUPLICATE",
    }  # fmt: skip


def test_same_seed_same_files(small, tmp_path):
    root, files, _, _ = small
    again, _ = generate.bronze_lake(tmp_path, rows=24_000)
    first = files[0].relative_to(root / "data" / "24000-7" / "bronze")
    assert (again / first).read_bytes() == files[0].read_bytes()


@pytest.mark.parametrize("engine", [duckdb_ref, pandas_ref], ids=["duckdb", "pandas"])
def test_reference_engines_count_what_was_injected(small, tmp_path, engine):
    _, files, published, expected = small
    result = engine.run(files, [published], tmp_path / "out")
    check_counts({result["engine"]: result}, expected)
    silver = list((tmp_path / "out" / "silver").rglob("*.parquet"))
    assert {p.parent.name for p in silver} == {f"month={m:02d}" for m in range(1, 13)}
    assert sum(pq.read_metadata(p).num_rows for p in silver) == expected["valid"]


def test_plain_spark_job_counts_what_it_owes_without_history(spark, small, tmp_path):
    _, files, _, expected = small
    result = plain_spark.job(spark, files, tmp_path / "out")
    check_counts({"spark": result}, expected)
    owed = without_history(expected)
    assert "BUSINESS_DUPLICATE" not in owed["by_error_type"]
    republished = expected["by_error_type"]["BUSINESS_DUPLICATE"]
    assert owed["valid"] == expected["valid"] + republished > expected["valid"]
    silver = spark.read.parquet(str(tmp_path / "out" / "silver"))
    assert silver.count() == owed["valid"]
    assert dict(silver.dtypes)["TransactionAmount"] == "decimal(18,2)"
    # The same result held to the contract's counts is refused: it has no history.
    with pytest.raises(Mismatch, match="spark-with-history counted"):
        check_counts({"spark-with-history": result}, expected)


def test_harness_refuses_engines_that_disagree(small):
    *_, expected = small
    agreeing = {k: expected[k] for k in ("input_rows", "valid", "quarantined", "condemned")}
    result = {**agreeing, "by_error_type": dict(expected["by_error_type"])}
    check_counts({"a": result}, expected)
    with pytest.raises(Mismatch, match="b counted"):
        check_counts({"a": result, "b": {**result, "valid": result["valid"] - 1}}, expected)
    classes = dict(expected["by_error_type"], TYPE_ERROR=0)
    with pytest.raises(Mismatch, match="error classes"):
        check_counts({"c": {**result, "by_error_type": classes}}, expected)


def test_event_log_phases_are_wall_time_per_job_description(tmp_path):
    def job(job_id, name, start, end, stage):
        return [
            {
                "Event": "SparkListenerJobStart", "Job ID": job_id, "Submission Time": start,
                "Stage IDs": [stage], "Properties": {"spark.job.description": name},
            },
            {"Event": "SparkListenerTaskEnd", "Stage ID": stage, "Stage Attempt ID": 0,
             "Task Metrics": {"Executor CPU Time": 2_000_000_000,
                              "Executor Run Time": 2500,
                              "Input Metrics": {"Bytes Read": (end - start) * 1000}}},
            {"Event": "SparkListenerJobEnd", "Job ID": job_id, "Completion Time": end},
        ]  # fmt: skip

    events = job(0, "validate", 0, 4000, 0) + job(1, "validate", 3000, 5000, 1)
    events += job(2, "write", 6000, 7500, 2)
    log = tmp_path / "app"
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert phases(log) == {
        # overlapping jobs count once
        "validate": {
            "wall_s": 5.0,
            "cpu_s": 4.0,
            "run_s": 5.0,
            "tasks": 2,
            "max_task_input_mb": 4.0,
            "first_stage_max_task_input_mb": 4.0,
        },
        "write": {
            "wall_s": 1.5,
            "cpu_s": 2.0,
            "run_s": 2.5,
            "tasks": 1,
            "max_task_input_mb": 1.5,
            "first_stage_max_task_input_mb": 1.5,
        },
    }
    assert cores_busy(phases(log)["validate"]) == 1.0
    assert counts(log) == {"jobs": 3, "stages": 0, "stages_skipped": 3}
    assert counts(log, since_ms=3000) == {"jobs": 2, "stages": 0, "stages_skipped": 2}
    done = {"Event": "SparkListenerStageCompleted", "Stage Info": {"Stage ID": 2}}
    log.write_text(log.read_text() + json.dumps(done) + "\n")
    assert counts(log, since_ms=3000) == {"jobs": 2, "stages": 1, "stages_skipped": 1}


def test_event_log_settings_name_a_created_folder_by_its_absolute_uri(tmp_path, monkeypatch):
    assert spark_conf(None) == {}
    monkeypatch.chdir(tmp_path)
    conf = spark_conf(Path("logs/here"))
    assert (tmp_path / "logs/here").is_dir()
    assert conf == {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": (tmp_path / "logs/here").as_uri(),
    }


def test_master_cores_are_the_task_slots_of_a_local_master():
    assert master_cores("local[2]") == 2
    assert master_cores("local-cluster[2,1,2048]") == 2
    assert master_cores("local-cluster[3,2,1024]") == 6
    with pytest.raises(ValueError, match="yarn"):
        master_cores("yarn")


def test_compile_time_is_read_from_the_jvm_and_grows_with_new_code(spark):
    from bench.lakegate_run import compile_seconds

    before = compile_seconds(spark)
    # A query shape this session has not compiled yet: a new generated class.
    spark.range(10).selectExpr("id * 7919 + 104729 AS bench_probe").collect()
    after = compile_seconds(spark)
    assert after["codegen_classes"] > before["codegen_classes"]
    # Spark's histogram keeps every sample up to 1028; past that compile_seconds estimates
    # (mean x count over a random reservoir), and an estimate may come out lower.
    if after["codegen_classes"] <= 1028:
        assert after["codegen_s"] >= before["codegen_s"] >= 0  # Spark rounds to whole ms
    else:
        assert after["codegen_s"] > 0
    assert after["jit_s"] >= before["jit_s"] > 0
    assert after["jit_cpu_s"] >= before["jit_cpu_s"] > 0


def test_memory_sampling_survives_a_process_that_exits_while_it_is_read(monkeypatch):
    from bench import measure

    # The sampler reads a process's status, then lists its threads for their children:
    # the process may exit in between, and its /proc folder goes with it.
    listdir, scandir = os.listdir, os.scandir

    def gone(real):
        def call(path="."):
            if str(path).endswith("/task"):
                raise FileNotFoundError(2, "No such file or directory", str(path))
            return real(path)

        return call

    monkeypatch.setattr(os, "listdir", gone(listdir))
    monkeypatch.setattr(os, "scandir", gone(scandir))
    assert measure._children(os.getpid()) == []
    total, anonymous = measure.tree_rss(os.getpid())
    assert total >= anonymous > 0  # this process itself is still counted


def _own_rss() -> int:
    status = Path(f"/proc/{os.getpid()}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def test_a_child_not_yet_started_is_not_counted_as_a_copy_of_its_parent():
    import time

    from bench import measure

    before, _ = measure.tree_rss(os.getpid())
    # Between fork and exec a child shares this process's memory, as the JVM's children
    # do while it starts a `chmod`: a forked child that has not exec'd stays so.
    child = os.fork()
    if child == 0:
        time.sleep(5)
        os._exit(0)
    try:
        assert measure._not_yet_started(child)
        during, _ = measure.tree_rss(os.getpid())
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
    assert during - before < _own_rss() * 1024 / 2


def test_duckdb_parts_number_every_line_and_the_shortcut_job_loses_malformed_rows(small, tmp_path):
    from bench import duckdb_parts

    _, files, published, expected = small
    parts = duckdb_parts.run(files, [published], tmp_path / "parts")
    # string_split gives one line per newline plus the text after the last one.
    assert parts["numbered_lines"]["lines"] == sum(f.read_bytes().count(b"\n") + 1 for f in files)
    assert parts["floor_classification"]["input_rows"] == expected["input_rows"]
    # The shortcut's CSV reader skips what it cannot parse (an unclosed quote takes the
    # next lines with it): rows are lost, so it is not the same work.
    assert parts["shortcut_job"]["input_rows"] < expected["input_rows"]
    assert list((tmp_path / "parts" / "silver").rglob("*.parquet"))


def test_validate_parts_count_every_line_in_every_mode(spark, small):
    from bench.validate_parts import measure

    _, files, _, expected = small
    uris = [str(f) for f in files]
    lines = measure(spark, uris, "lines")["rows"]
    assert lines == sum(f.read_bytes().count(b"\n") + 1 for f in files)
    for mode in ("fields", "validated", "persisted", "checkpointed"):
        assert measure(spark, uris, mode)["rows"] == expected["input_rows"], mode
    with pytest.raises(ValueError, match="not one of"):
        measure(spark, uris, "sampled")


def test_validate_parts_repeat_a_mode_in_the_same_jvm(spark, small):
    from bench.validate_parts import repeated

    _, files, _, expected = small
    result = repeated(spark, [str(f) for f in files], "persisted", 3)
    assert result["rows"] == expected["input_rows"]
    assert len(result["again_s"]) == 2
    with pytest.raises(ValueError, match="at least once"):
        repeated(spark, [str(f) for f in files], "persisted", 0)


def test_glue_bills_dpus_per_second_with_a_one_minute_minimum():
    assert cost.billed_dpu_seconds("G.1X", 2, 10.0) == 120  # the minimum
    assert cost.billed_dpu_seconds("G.2X", 10, 90.2) == 2 * 10 * 91
    assert cost.billed_dpu_seconds("G.1X", 7, 61.0) == 7 * 61


def test_a_run_uses_one_core_per_validation_task_at_most():
    small = cost.Workload("w", 10_000_000, 24, 1000.0)  # 42 MB a month: one task each
    large = cost.Workload("w", 50_000_000, 24, 3500.0)  # 146 MB a month: two each
    assert (small.tasks, large.tasks) == (24, 48)
    measured = cost.Measured(fixed_s=10.0, core_us_per_row=6.0, start_s=4.0)
    month = cost.Workload("one month", 400_000, 1, 20.0)
    scaling = cost.Sizing("s", "G.1X", 7, auto_scaling=True)
    fixed = cost.Sizing("f", "G.1X", 7)
    one = cost.estimate(measured, month, scaling)
    assert (one["cores_used"], one["workers_billed"]) == (1, 2)  # the driver and one
    assert one["run_s"] == 4.0 + 10.0 + 2.4
    assert cost.estimate(measured, month, fixed)["workers_billed"] == 7
    wide = cost.estimate(measured, small, scaling)
    assert (wide["cores_used"], wide["workers_billed"]) == (24, 7)
    assert wide["run_s"] == round(4.0 + 10.0 + 60.0 / 24, 1)


def test_the_cost_model_reads_its_figures_from_the_benchmark_report():
    def size(rows, mb, job_s, start_s):
        lakegate = {"job_s": job_s, "spark_start_s": start_s}
        return {"rows": rows, "bronze_mb": mb, "engines": {"lakegate": lakegate},
                "lakegate_validation": {"cores": 2}}  # fmt: skip

    report = {
        "sizes": [size(1_000_000, 50.0, 25.0, 4.0), size(10_000_000, 500.0, 70.0, 3.0)],
        "scaling": {"backfill_by_history_months": {"24": {"job_s": 17.0, "input_rows": 400_000}}},
    }
    measured = cost.Measured.from_bench(report)
    assert measured == cost.Measured(fixed_s=17.0, core_us_per_row=10.6, start_s=3.0)
    names = [w.name for w in cost.workloads(report)]
    assert names == [
        "one month",
        "1M rows, 24 months",
        "10M rows, 24 months",
        "50M rows, 24 months",
    ]
    estimates = cost.model(report)["estimates"]
    assert len(estimates) == len(names) * len(cost.SIZINGS)
    # In the harness, before bench.json is written, the months are ints.
    scaling = report["scaling"]["backfill_by_history_months"]
    scaling[24] = scaling.pop("24")
    assert cost.model(report)["estimates"] == estimates


def test_the_cost_model_refuses_a_report_without_scaling_in_one_line(tmp_path, capsys):
    report = tmp_path / "bench.json"
    report.write_text('{"sizes": []}')
    for path in (report, tmp_path / "missing.json"):
        with pytest.raises(SystemExit) as ended:
            cost.main([str(path)])
        assert ended.value.code == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith("bench.cost: ") and str(path) in line
