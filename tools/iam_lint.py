"""IAM lint (make lint): parliament over every policy document Terraform deploys.

Each document is rendered as Terraform renders it (the JSON templates with the values
the modules pass, the HCL policy documents as the provider renders them; see
rehearsal.roles), then each statement is analysed alone so that a finding names its
statement. A finding passes only if `infra/iam-lint-allow.json` lists it, by document,
statement Sid and issue, with the reason it was reviewed and accepted; an entry that no
longer matches a finding fails too, so the list cannot go stale.

    python tools/iam_lint.py            # exit 1 on any new or stale entry
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lakegate.templating import render  # noqa: E402
from rehearsal.roles import (  # noqa: E402
    INFRA,
    TEMPLATES,
    Place,
    deployer_policy,
    planner_policy,
    policy_values,
    role_policy,
)

ALLOW_LIST = ROOT / "infra" / "iam-lint-allow.json"
PERSONAS = ("platform", "analyst", "compliance", "data_quality", "domain")


def documents(place: Place | None = None) -> dict[str, dict]:
    """Every identity policy and the boundary, rendered for one environment."""
    place = place or Place()
    topics = [place.topic_arn("alerts")]
    found = {role: role_policy(role, place, topics) for role in TEMPLATES}
    values = {**policy_values(place, topics)["iam"], "domain": "payments"}
    for persona in PERSONAS:
        template = INFRA / "iam" / "policies" / f"{persona}.json.tftpl"
        found[persona] = json.loads(render(template.read_text(), values))
    found["deployer"] = deployer_policy(place)
    found["planner"] = planner_policy(place)
    found["boundary"] = json.loads((INFRA / "github_oidc/policies/boundary.json").read_text())
    return found


def findings(docs: dict[str, dict]) -> list[dict[str, str]]:
    """One row per (document, statement, issue), with the actions it concerns."""
    from parliament import analyze_policy_string

    rows = []
    for name, document in docs.items():
        for index, statement in enumerate(document["Statement"]):
            sid = statement.get("Sid") or f"#{index}"
            alone = {"Version": "2012-10-17", "Statement": [statement]}
            policy = analyze_policy_string(json.dumps(alone), include_community_auditors=True)
            for finding in policy.findings:
                rows.append(
                    {
                        "document": name,
                        "sid": sid,
                        "issue": finding.issue,
                        "detail": json.dumps(finding.detail, default=str)[:200],
                    }
                )
    return rows


def check(rows: list[dict[str, str]], allowed: list[dict[str, str]]) -> list[str]:
    """The lines to print for new findings and stale allow-list entries."""
    key = lambda r: (r["document"], r["sid"], r["issue"])  # noqa: E731
    accepted = {key(entry) for entry in allowed}
    problems = [
        f"iam-lint: {r['document']} statement {r['sid']}: {r['issue']} {r['detail']}"
        f" (not reviewed in {ALLOW_LIST.relative_to(ROOT)})"
        for r in rows
        if key(r) not in accepted
    ]
    found = {key(r) for r in rows}
    problems += [
        f"iam-lint: {ALLOW_LIST.relative_to(ROOT)} accepts {'/'.join(k)}, which no longer"
        " occurs: remove the entry"
        for k in sorted(accepted - found)
    ]
    for entry in allowed:
        if not entry.get("reason", "").strip():
            problems.append(f"iam-lint: {'/'.join(key(entry))} has no reason")
    return problems


def main() -> int:
    docs = documents()
    rows = findings(docs)
    problems = check(rows, json.loads(ALLOW_LIST.read_text()))
    for line in problems:
        print(line)
    statements = sum(len(d["Statement"]) for d in docs.values())
    print(
        f"iam-lint: {len(docs)} documents, {statements} statements, {len(rows)} findings"
        f" reviewed, {len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
