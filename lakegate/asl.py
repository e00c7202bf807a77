"""The state machine definition: a template for Terraform's templatefile().

`state_machine/ingest.asl.json` is rendered here exactly as Terraform renders it
(lakegate.templating), so the tests execute what is deployed.
"""

from __future__ import annotations

from pathlib import Path

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
    "p1_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-p1",
    "p2_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-p2",
}


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
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
