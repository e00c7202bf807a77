"""Access: every identifier a user gives that could become a path is refused when it
could escape its place; on AWS the approver's identity comes from STS, not from a flag
alone; and no credential ends up in logs, _SUCCESS, manifests or audit records."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

from lakegate import layout
from lakegate.storage import Lake
from lakegate_cli.cli import main
from tests.cli import lakegate
from tests.fake_runs import make_run

REASON = ("--approver", "Ana", "--reason", "access test")
MONTH = ("--year", "2024", "--month", "3")
HOSTILE_IDS = ["../x", "a/b", "..", "x\ty", "/etc", "r" * 81, "a b", "%2e%2e"]


def injections() -> list[tuple[str, list[str]]]:
    cases = []
    for bad in HOSTILE_IDS:
        cases += [
            (f"run_id {bad!r} (ingest)", ["ingest", *MONTH, "--run-id", bad]),
            (f"run_id {bad!r} (promote)", ["promote", bad, *REASON]),
            (f"run_id {bad!r} (review)", ["review", bad]),
            (f"run_id {bad!r} (export)", ["quarantine", "export", bad]),
            (f"dataset {bad!r}", ["runs", "--dataset", bad]),
        ]
    for year, month in [("2024/..", "3"), ("2024", "../3"), ("2024", "13"), ("-1", "3"),
                        ("20245", "3"), ("2024", "3/x")]:  # fmt: skip
        cases.append(
            (f"year {year!r} month {month!r}", ["ingest", "--year", year, "--month", month])
        )
    for bad in ["Transactions", "trans-actions", "../silver", "fx_quotes"]:
        cases.append((f"dataset {bad!r} (ingest)", ["ingest", *MONTH, "--dataset", bad]))
    # A gold dataset is built by `lakegate gold`, never ingested from bronze.
    for command in (["ingest", *MONTH], ["backfill", *MONTH], ["gold"]):
        cases.append(
            (f"dataset of gold ({command[0]})", [*command, "--dataset", "account_balances"])
        )
    for key in ["../../etc/passwd", "/etc/passwd", "transactions/year=2024/month=03/../../x.csv"]:
        cases.append(
            (f"input file {key!r}", ["ingest", *MONTH, "--run-type", "retry", "--input-file", key])
        )
    for approver in ["", "a\nb", "\x1b[31mred"]:
        cases.append(
            (f"approver {approver!r}", ["promote", "a", "--approver", approver, "--reason", "r"])
        )
    return cases


CASES = injections()


@pytest.mark.parametrize(("what", "args"), CASES, ids=[c[0] for c in CASES])
def test_hostile_identifiers_are_refused_with_one_line(tmp_path, what, args):
    lake = tmp_path / "lake"
    make_run(Lake.local(lake), "a", {"year=2024/month=03": 1})
    before = sorted(p for p in tmp_path.rglob("*"))
    result = lakegate(*args, "--lake", str(lake), cwd=tmp_path)
    assert result.returncode == 2, (what, result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("lakegate: ")
    assert sorted(p for p in tmp_path.rglob("*")) == before, "something was written"


def test_an_approver_is_text_never_a_path(tmp_path):
    lake_root = tmp_path / "lake"
    lake = Lake.local(lake_root)
    make_run(lake, "a", {"year=2024/month=03": 1})
    result = lakegate("promote", "a", "--lake", str(lake_root), "--approver", "../../../evil",
                      "--reason", "../../x")  # fmt: skip
    assert result.returncode == 0, result.stderr
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(lake_root)]
    assert outside == []
    keys = [o.key for o in lake["silver"].list("transactions/_audit/")]
    assert keys and all(".." not in k and "evil" not in k for k in keys)
    event = json.loads(lake["silver"].read_bytes(keys[-1]))
    assert event["approver"] == "../../../evil"


def test_a_correction_file_name_cannot_leave_its_bronze_month(tmp_path):
    from datetime import UTC, datetime

    from lakegate.corrections import file_corrections
    from tests.helpers import csv_file

    lake = Lake.local(tmp_path / "lake")
    odd = tmp_path / "..%2F..%2Fsilver a;b-2024-03.csv"
    odd.write_text(csv_file("T1,C1,1.00,EUR,2024-03-01T00:00:00Z"))
    (key,) = file_corrections(lake, "transactions", [odd], datetime(2026, 1, 1, tzinfo=UTC)).keys
    assert key.startswith("transactions/year=2024/month=03/retry-") and key.count("/") == 3


def test_on_aws_the_caller_recorded_is_the_sts_identity(monkeypatch, capsys):
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        for role in ("bronze", "silver", "gold", "quarantine", "artifacts"):
            s3.create_bucket(
                Bucket=f"lakegate-dev-{role}",
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
        glue = boto3.client("glue", region_name="eu-west-1")
        glue.create_database(DatabaseInput={"Name": "lakegate_dev"})
        glue.create_table(
            DatabaseName="lakegate_dev",
            TableInput={
                "Name": "transactions",
                "StorageDescriptor": {"Columns": [], "Location": "s3://lakegate-dev-silver/x/"},
                "PartitionKeys": [
                    {"Name": "year", "Type": "string"},
                    {"Name": "month", "Type": "string"},
                ],
            },
        )
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        lake = Lake.s3(
            s3,
            {
                r: f"lakegate-dev-{r}"
                for r in ("bronze", "silver", "gold", "quarantine", "artifacts")
            },
        )
        make_run(lake, "a", {"year=2024/month=03": 1})
        identity = boto3.client("sts", region_name="eu-west-1").get_caller_identity()["Arn"]
        assert main(["promote", "a", "--env", "dev", "--approver", "Ana", "--reason", "sts"]) == 0
        latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
        manifest = json.loads(lake["silver"].read_bytes(latest["manifest"]))
        event = json.loads(lake["silver"].read_bytes(latest["audit_event"]))
    assert manifest["caller"] == identity == event["caller"]
    assert manifest["approved_by"] == "Ana" != identity


@pytest.mark.slow
def test_no_credential_reaches_logs_success_manifests_or_audit(tmp_path):
    from lakegate.ids import Month
    from lakegate_cli.sample import generate

    secret, token = "SECRETVALUE0123456789", "SESSIONTOKEN9876543210"
    key_id = "AKIA" + "EXAMPLEKEY000000"  # split, so the repository holds no key-like string
    env = {**os.environ, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
           "AWS_ACCESS_KEY_ID": key_id, "LAKEGATE_DEBUG": "1"}  # fmt: skip
    root = tmp_path / "lake"
    generate(Lake.local(root)["bronze"], "transactions", [Month(2024, 3)], 300)
    outputs = []
    for args in (
        ["ingest", *MONTH, "--run-id", "r1", "--lake", str(root)],
        ["promote", "r1", *REASON, "--lake", str(root)],
        ["ingest", "--year", "2024", "--month", "13", "--lake", str(root)],  # an error path
        ["audit", "--lake", str(root)],
    ):
        result = lakegate(*args, env=env)
        outputs += [result.stdout, result.stderr]
    texts = outputs + [p.read_text(errors="ignore") for p in root.rglob("*") if p.is_file()
                       and p.suffix in {".json", ".txt", ""}]  # fmt: skip
    for text in texts:
        for marker in (secret, token, key_id):
            assert marker not in text


def test_hostile_cases_cover_every_identifier():
    kinds = {what.split(" ")[0] for what, _ in CASES}
    assert kinds == {"run_id", "dataset", "year", "input", "approver"}
    assert len(CASES) >= 50
