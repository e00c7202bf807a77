"""Terraform templatefile() rendering for the JSON documents Terraform deploys.

The state machine definition and the IAM policy documents are JSON templates: every
`${name}` is replaced by a value; `$$` (the Step Functions context object) is left as it
is. render() does what Terraform does for these files, so the tests evaluate exactly
what is deployed.
"""

from __future__ import annotations

import json
import re

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: dict[str, object]) -> str:
    """Fill every placeholder; KeyError names those that have no value. The result must
    be JSON."""
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for placeholders: {', '.join(sorted(missing))}")
    rendered = PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
    json.loads(rendered)
    return rendered
