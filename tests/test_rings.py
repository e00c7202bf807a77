"""The rings hold (docs/architecture.md): the import contracts of pyproject.toml, checked
with import-linter as make lint checks them, and shown to catch what they forbid,
including an import placed inside a function."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lakegate", "glue_jobs", "promotion", "lakegate_cli")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "named"),
    [
        # The core reaching up into the publish side, from inside a function.
        ("lakegate/ids.py", "from promotion import gate", "lakegate.ids -> promotion.gate"),
        # The publish side starting Spark.
        ("promotion/gate.py", "import pyspark.sql", "promotion.gate -> pyspark"),
        # The Spark side driving the command line.
        ("glue_jobs/job.py", "from lakegate_cli import cli", "glue_jobs.job -> lakegate_cli.cli"),
        # A Spark part importing the job above it.
        ("glue_jobs/rules.py", "from glue_jobs import job", "glue_jobs.rules -> glue_jobs.job"),
    ],
)
def test_a_hidden_upward_import_breaks_a_contract(tmp_path, module, statement, named):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / module).open("a") as source:
        source.write(f"\n\ndef _reaches_up():\n    {statement}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 broken" not in result.stdout
    assert named in result.stdout
