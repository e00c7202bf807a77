"""The job as a process: killed before the end, and started through the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakegate import layout
from lakegate.ids import Month
from lakegate.storage import Lake
from lakegate_cli.sample import generate
from tests.cli import lakegate, lakegate_here
from tests.helpers import HEADER

pytestmark = pytest.mark.slow


# Ingest February and March of a generated lake (the lake folder is appended).
FEB_TO_MAR = ("--year", "2024", "--month", "2", "--to-year", "2024", "--to-month", "3")


def _wait_for(predicate, process, timeout=300.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("kill_when", ["bronze_read", "quarantine_written"])
def test_a_killed_job_leaves_no_success(spark, tmp_path: Path, kill_when: str):
    lake = Lake.local(tmp_path / "lake")
    generate(lake["bronze"], "transactions", [Month(2024, 2), Month(2024, 3)], rows_per_month=3000)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lakegate_cli.cli",
            "ingest",
            "--lake",
            str(tmp_path / "lake"),
            *FEB_TO_MAR,
            "--run-id",
            "killed",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    quarantine = tmp_path / "lake/quarantine/transactions/quarantine/run_id=killed"
    if kill_when == "bronze_read":
        # Spark has started its work once the job's JVM child exists; give it a moment.
        reached = _wait_for(
            lambda: (
                any(quarantine.parent.parent.glob("*"))
                or len(
                    subprocess.run(
                        ["pgrep", "-g", str(process.pid)], capture_output=True
                    ).stdout.split()
                )
                > 1
            ),
            process,
        )
        time.sleep(1.0)
    else:
        reached = _wait_for(lambda: any(quarantine.rglob("*.parquet")), process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert reached, "the job ended before the kill point"
    assert process.returncode == -signal.SIGKILL
    assert not lake["silver"].exists(layout.success_key("transactions", "v1", "killed"))

    # A rerun with a new run id produces the complete run.
    code, out = lakegate_here("ingest", "--lake", str(tmp_path / "lake"), *FEB_TO_MAR,
                              "--run-id", "rerun", "--json")  # fmt: skip
    assert code == 0, out[-2000:]
    assert lake["silver"].exists(layout.success_key("transactions", "v1", "rerun"))


def test_ingest_command_prints_the_summary_and_the_next_step(spark, tmp_path: Path, capsys):
    lake = Lake.local(tmp_path / "lake")
    expected = generate(lake["bronze"], "transactions", [Month(2024, 3)], rows_per_month=200)
    code, out = lakegate_here("ingest", "--lake", str(tmp_path / "lake"), "--year", "2024",
                              "--month", "03", "--run-id", "cli-run")  # fmt: skip
    assert code == 0, out[-2000:]
    assert f"{expected.input_rows:,} rows" in out
    assert "year=2024/month=03" in out
    assert "_SUCCESS: file://" in out
    assert "make promote RUN_ID=cli-run" in out
    assert "Traceback" not in capsys.readouterr().err
    # The command ran on the tests' session, whose settings it left as they were.
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2024", "--month", "13"], "month '13' is not valid"),
        (["--year", "24", "--month", "3"], "year '24' is not valid"),
        (["--month", "3"], "the following arguments are required: --year"),
        (["--year", "2024", "--month", "3", "--run-id", "../x"], "run_id '../x' is not valid"),
        (
            ["--year", "2024", "--month", "3", "--dataset", "Bad/Name"],
            "--dataset: invalid choice: 'Bad/Name' (choose from 'account_balances',",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(tmp_path: Path, args, message):
    result = lakegate("ingest", "--lake", str(tmp_path / "lake"), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_failed_run_gives_one_line_and_exit_1(tmp_path: Path):
    result = lakegate("ingest", "--lake", str(tmp_path / "lake"), "--year", "2024", "--month", "3")
    assert result.returncode == 1
    assert result.stderr.startswith("lakegate: no bronze files for transactions in 2024-03")
    assert len(result.stderr.strip().splitlines()) == 1


def test_wrong_java_gives_one_clear_line(tmp_path: Path):
    generate(Lake.local(tmp_path / "lake")["bronze"], "transactions", [Month(2024, 3)], 10)
    fake = tmp_path / "jdk25" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\necho 'openjdk version \"25.0.1\" 2025-10-21' >&2\n")
    (fake / "java").chmod(0o755)
    env = {
        **os.environ,
        "JAVA_HOME": str(tmp_path / "jdk25"),
        "LAKEGATE_JVM_DIRS": "",
        "PATH": str(fake),
    }
    result = lakegate(
        "ingest", "--lake", str(tmp_path / "lake"), "--year", "2024", "--month", "3", env=env
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lakegate: Java 17 is required by Spark 3.5 / Glue 5.1 (found Java 25 at"
        f" {tmp_path / 'jdk25'}): install a JDK 17 (e.g. apt-get install"
        " openjdk-17-jdk-headless) or set JAVA_HOME to one"
    ]


def test_breaker_across_processes_a_rerun_passes_a_burst_of_new_failures_halts(spark, tmp_path):
    """SPEC §5 across separate job processes, as scheduled reruns happen: the same 60
    failed lines read by a run here and by a rerun in its own process count 60 (not
    120); 50 new ones make 110 > 100, counted from both runs' records."""
    from glue_jobs.job import IngestRequest, run_ingest
    from lakegate.config import dataset_config
    from lakegate.errors import CircuitBreakerTripped
    from lakegate.ids import MonthWindow

    lake = Lake.local(tmp_path / "lake")
    folder = "transactions/year=2024/month=03/"
    good = "T0,C0,1.00,EUR,2024-03-01 10:00:00"
    bad = [f"X{i},C1,1.00,XYZ,2024-03-01 10:00:00" for i in range(60)]
    lake["bronze"].write_bytes(folder + "day.csv", "\n".join([HEADER, good, *bad, ""]).encode())
    march = MonthWindow(Month(2024, 3), Month(2024, 3))
    config = dataset_config("transactions")
    run_ingest(spark, lake, IngestRequest(config, march, "run1"))
    where = ("--lake", str(tmp_path / "lake"), "--year", "2024", "--month", "3")
    rerun = lakegate("ingest", *where, "--run-id", "rerun")
    assert rerun.returncode == 0, rerun.stderr
    more = [f"Y{i},C1,1.00,XYZ,2024-03-02 10:00:00" for i in range(50)]
    lake["bronze"].write_bytes(folder + "late.csv", "\n".join([HEADER, *more, ""]).encode())
    with pytest.raises(CircuitBreakerTripped, match=r"\(CURRENCY_ERROR 110\)"):
        run_ingest(spark, lake, IngestRequest(config, march, "burst"))
