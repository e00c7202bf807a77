"""IAM policy evaluation for the statements moto does not judge: conditions.

moto's IAM engine evaluates Action and Resource but treats a condition it does not
know as met, and it never evaluates bucket policies. The tests judge those documents
here, with AWS's rules for the operators Lakegate's policies use: an explicit Deny
wins, then an Allow, else the request is implicitly denied; a condition key missing
from the request fails a positive operator, satisfies a negated one (`...Not...`), and
satisfies any operator ending in `IfExists`. An operator this module does not know
fails the test rather than being skipped.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

ALLOW, DENY, IMPLICIT = "allow", "deny", "implicit deny"


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _matches(patterns, value: str, *, case: bool = True) -> bool:
    for pattern in _as_list(patterns):
        if case and fnmatch.fnmatchcase(value, pattern):
            return True
        if not case and fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            return True
    return False


def _operator_holds(operator: str, expected: Sequence[str], value: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return value in expected
    if operator in ("StringLike", "ArnLike"):
        return _matches(expected, value)
    if operator == "Bool":
        return value.lower() in [e.lower() for e in expected]
    if operator == "NumericLessThan":
        return any(float(value) < float(e) for e in expected)
    if operator == "NumericGreaterThanEquals":
        return any(float(value) >= float(e) for e in expected)
    raise AssertionError(f"policy_eval does not evaluate the condition operator {operator}")


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(condition: Mapping, context: Mapping[str, str | None]) -> bool:
    """Every operator of a Condition block holds for the request's context keys."""
    for raw_operator, tests in condition.items():
        if_exists = raw_operator.endswith("IfExists")
        operator = raw_operator.removesuffix("IfExists")
        for key, expected in tests.items():
            expected = [str(e) for e in _as_list(expected)]
            value = context.get(key)
            if operator == "Null":
                holds = (value is None) == (expected[0] == "true")
            elif value is None:
                holds = if_exists or operator in NEGATED
            elif operator in NEGATED:
                holds = not _operator_holds(NEGATED[operator], expected, value)
            else:
                holds = _operator_holds(operator, expected, value)
            if not holds:
                return False
    return True


def statement_applies(statement: Mapping, action: str, resource: str, context) -> bool:
    if "Action" in statement:
        if not _matches(statement["Action"], action, case=False):
            return False
    elif _matches(statement["NotAction"], action, case=False):
        return False
    if "Resource" in statement:
        if not _matches(statement["Resource"], resource):
            return False
    elif "NotResource" in statement and _matches(statement["NotResource"], resource):
        return False
    return condition_holds(statement.get("Condition", {}), context)


def decide(
    document: Mapping, action: str, resource: str, context: Mapping[str, str | None] = {}
) -> str:
    """allow, deny (an explicit Deny matched) or implicit deny, for one request."""
    matching = [s for s in document["Statement"] if statement_applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in matching):
        return DENY
    return ALLOW if matching else IMPLICIT
