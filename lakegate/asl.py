"""The state machine definition: a template for Terraform's templatefile().

`state_machine/ingest.asl.json` is rendered here exactly as Terraform renders it
(lakegate.templating), so the tests execute what is deployed.
"""

from __future__ import annotations

from pathlib import Path

from lakegate import intrinsics
from lakegate.metrics import SUCCESS_FIELD_TYPES
from lakegate.templating import placeholders
from lakegate.templating import render as render_template

TEMPLATE = Path(__file__).resolve().parent.parent / "state_machine" / "ingest.asl.json"
__all__ = ["EXAMPLE_VALUES", "TEMPLATE", "placeholders", "render"]


def render(values: dict[str, object], template: str | None = None) -> str:
    """Fill every placeholder; KeyError names one that has no value."""
    return render_template(TEMPLATE.read_text() if template is None else template, values)


EXAMPLE_VALUES = {
    "dataset": "transactions",
    "environment": "dev",
    "glue_job_name": "lakegate-dev-ingest",
    "glue_retry_interval_seconds": 60,
    "success_retry_interval_seconds": 5,
    "max_quarantine_rate": 0.05,
    "schema_v": "v1",
    "silver_bucket": "lakegate-dev-silver",
    "reviewers_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-reviewers",
    "job_failure_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-data-platform-p1",
    "job_failure_owner": "Data Platform",
    "gate_failure_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-data-quality-p2",
    "gate_failure_owner": "Data Quality",
    "runbook_base_url": "https://github.com/lakegate/lakegate/blob/main/docs/runbooks",
}


# What each path the definition reads holds: the execution's identity, the run's
# parameters (Defaults merged with the execution input: strings), the run summary read
# from _SUCCESS, a caught error, and the S3 object body before it is parsed.
PATH_TYPES = {
    "$.run_id": "string",
    "$.execution_arn": "string",
    "$.run.*": "string",
    "$.defaults": "object",
    "$$.Execution.Input": "object",
    "$.Body": "string",
    "$.error.Error": "string",
    "$.error.Cause": "string",
    **{f"$.output.summary.{name}": kind for name, kind in SUCCESS_FIELD_TYPES.items()},
}


def intrinsic_problems(definition: str) -> list[str]:
    """Arguments of intrinsic functions that AWS would refuse (lakegate.intrinsics)."""
    import json

    return intrinsics.definition_problems(json.loads(definition), PATH_TYPES)


def main(argv: list[str] | None = None) -> int:
    """`python -m lakegate.asl --check`: render with example values and run statelint."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(render(EXAMPLE_VALUES))
    statelint = Path(sys.executable).parent / "statelint"
    result = subprocess.run([str(statelint), handle.name], check=False)
    Path(handle.name).unlink()
    if result.returncode == 0:
        print(f"statelint: {TEMPLATE.name} is valid ASL")
    found = intrinsic_problems(render(EXAMPLE_VALUES))
    for problem in found:
        print(f"intrinsic functions: {problem}")
    if not found:
        print(f"intrinsic functions: every argument in {TEMPLATE.name} has a type AWS accepts")
    return result.returncode or (1 if found else 0)


if __name__ == "__main__":
    raise SystemExit(main())
