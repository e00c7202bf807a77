"""Scale-out (issue 23): the job's output does not depend on where its tasks run.

Glue runs tasks in executor JVMs apart from the driver. `local-cluster[2,1,2048]`
starts two executor processes of one core each beside the driver, as Glue's workers
are; the tests' session is `local[2]`, tasks in the driver's JVM. The same bronze
files, run id and clock must give the same silver, quarantine and condemned rows and
the same run summary (apart from times and locations) under both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs.job import run_ingest
from lakegate.storage import Lake
from lakegate_cli.sample import generate
from tests.spark.test_job import FEB, MAR, VARYING, Clock, request, table

RUN_ID = "scale"
# Run in a process of its own: one SparkContext per process, and this one's master is
# a local cluster of separate executor JVMs.
CLUSTER_RUN = """
import json, sys
from glue_jobs.job import run_ingest
from glue_jobs.session import local_session
from lakegate.storage import Lake
from tests.spark.test_job import FEB, MAR, Clock, request

spark = local_session(
    "lakegate-scale-out",
    master="local-cluster[2,1,2048]",
    **{"spark.executor.memory": "2g", "spark.driver.memory": "1g"},
)
summary = run_ingest(spark, Lake.local(sys.argv[1]), request("scale", FEB, MAR), now=Clock())
# The block managers that served the run, the driver's own excluded.
used = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
print(json.dumps({"executors": used, "summary": json.loads(summary.to_json())}))
"""


def _outputs(root: Path, summary: dict) -> tuple[dict, list]:
    kept = {k: v for k, v in summary.items() if k not in VARYING}
    tables = [
        table(root, p)
        .sort_by([("source_file", "ascending"), ("source_line", "ascending")])
        .to_pylist()
        for p in (
            f"silver/transactions/schema_v=v1/run_id={RUN_ID}",
            f"quarantine/transactions/quarantine/run_id={RUN_ID}",
            f"quarantine/transactions/condemned/run_id={RUN_ID}",
        )
    ]
    return kept, tables


@pytest.mark.slow
def test_the_output_is_the_same_with_executors_in_their_own_jvms(spark, tmp_path):
    import json

    roots = {name: tmp_path / name for name in ("local", "cluster")}
    for root in roots.values():
        generate(Lake.local(root)["bronze"], "transactions", [FEB, MAR], 600, seed=23)

    local = run_ingest(spark, Lake.local(roots["local"]), request(RUN_ID, FEB, MAR), now=Clock())

    root_dir = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root_dir)}
    done = subprocess.run(
        [sys.executable, "-c", CLUSTER_RUN, str(roots["cluster"])],
        capture_output=True,
        text=True,
        cwd=root_dir,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cluster = json.loads(done.stdout.strip().splitlines()[-1])
    assert cluster["executors"] == 2  # two executor JVMs besides the driver

    expected = _outputs(roots["local"], json.loads(local.to_json()))
    got = _outputs(roots["cluster"], cluster["summary"])
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert expected[1][0] and expected[1][1]  # rows in silver and in quarantine
