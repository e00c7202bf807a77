"""The state machine definition: its placeholders and rendering (as Terraform does).

`state_machine/ingest.asl.json` is a template for Terraform's templatefile(): every
`${name}` is replaced by a value; `$$` (the Step Functions context object) is left as it
is. render() does the same here, so the tests execute exactly what Terraform deploys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "state_machine" / "ingest.asl.json"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(values: dict[str, object], template: str | None = None) -> str:
    """Fill every placeholder; KeyError names one that has no value."""
    text = TEMPLATE.read_text() if template is None else template
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for placeholders: {', '.join(sorted(missing))}")
    rendered = PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
    json.loads(rendered)  # the result must be JSON
    return rendered


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
