"""checkov over infra/ (installed by `make test` / `make checkov` in .venv-checkov):
no failed check, and every skip justified inline."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.terraform import INFRA, ROOT

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def scan(folder: Path) -> dict:
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make checkov` (it makes .venv-checkov)")
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(folder),
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    return {
        "failed": [c for r in reports for c in r.get("results", {}).get("failed_checks", [])],
        "skipped": [c for r in reports for c in r.get("results", {}).get("skipped_checks", [])],
        "passed": sum(r.get("summary", {}).get("passed", 0) for r in reports),
    }


def test_checkov_finds_no_failed_check_in_infra():
    report = scan(INFRA)
    failed = [f"{c['check_id']} {c['resource']} {c['file_path']}" for c in report["failed"]]
    assert failed == []
    assert report["passed"] > 200


def test_every_checkov_skip_is_justified_inline():
    skips = []
    for file in INFRA.rglob("*.tf"):
        skips += re.findall(r"#checkov:skip=([A-Z0-9_]+)(:?)(.*)", file.read_text())
    assert skips
    for check, colon, reason in skips:
        assert colon and len(reason.strip()) > 20, f"{check} is skipped without a reason"


def test_checkov_would_catch_an_open_bucket(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "open" {\n  bucket = "lakegate-dev-open"\n}\n'
        'resource "aws_s3_bucket_public_access_block" "open" {\n'
        "  bucket              = aws_s3_bucket.open.id\n"
        "  block_public_acls   = false\n  block_public_policy = false\n}\n"
    )
    failed = {c["check_id"] for c in scan(tmp_path)["failed"]}
    assert {"CKV_AWS_53", "CKV_AWS_54"} <= failed  # public ACLs and policies not blocked
