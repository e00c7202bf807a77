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
