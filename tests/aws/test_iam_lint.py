"""The IAM lint of make lint (tools/iam_lint.py): clean today, and not a no-op."""

from __future__ import annotations

import json

from tools import iam_lint


def test_every_policy_is_linted_and_every_finding_reviewed():
    docs = iam_lint.documents()
    assert {"job", "promoter", "operator", "state_machine", "deployer", "boundary"} <= set(docs)
    rows = iam_lint.findings(docs)
    assert iam_lint.check(rows, json.loads(iam_lint.ALLOW_LIST.read_text())) == []


def test_a_new_escalation_is_reported_and_a_stale_entry_too():
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Oops", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
        ],
    }
    rows = iam_lint.findings({"job": wide})
    problems = iam_lint.check(rows, [])
    assert any("job statement Oops" in p and "not reviewed" in p for p in problems)
    stale = [{"document": "job", "sid": "Gone", "issue": "RESOURCE_STAR", "reason": "was so"}]
    assert any("no longer occurs" in p for p in iam_lint.check([], stale))
    unexplained = [{**stale[0], "reason": " "}]
    assert any("has no reason" in p for p in iam_lint.check([], unexplained))
