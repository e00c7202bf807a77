"""What is deployed where, recorded in the environment's artifacts bucket, and told.

    python tools/deploy_record.py staging  --env prod --code-version V --sha S \\
        --reason deploy --change-ticket CHG-1 --requested-by octo --approvals approvals.json
    python tools/deploy_record.py deployed --env prod ... [--notify]

`staging` writes `_STAGING.json` when a build is uploaded and its plan approved, before
apply; `deployed` writes `_DEPLOYED.json` once the smoke test passed (the bucket is
versioned: earlier deployments are its earlier versions). Each record names the build,
the commit, the time, the reason (deploy or rollback), the change ticket, who asked and
the environment reviewers who approved (GitHub's run approvals API, as the promote
workflow records them). With --notify and $SLACK_WEBHOOK_URL set, prod deployments and
rollbacks are posted to Slack (an incoming webhook; the URL comes from a secret).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lakegate import aws  # noqa: E402
from lakegate.errors import LakegateError  # noqa: E402
from promotion.approvals import from_github  # noqa: E402

STAGING, DEPLOYED = "_STAGING.json", "_DEPLOYED.json"
KEYS = {"staging": STAGING, "deployed": DEPLOYED}
SHA = re.compile(r"^[0-9a-f]{40}$")
CODE_VERSION = re.compile(r"^[0-9A-Za-z.+_-]{1,100}$")
NOTIFIED = ("prod",)
REASONS = ("deploy", "rollback", "auto-rollback")
VERBS = {
    "deploy": "deployed",
    "rollback": "rolled back to",
    "auto-rollback": "rolled back automatically (the smoke test failed) to",
}


@dataclass(frozen=True)
class DeploymentRecord:
    environment: str
    code_version: str
    commit: str
    at: str
    reason: str  # deploy | rollback | auto-rollback (the smoke test of a deploy failed)
    change_ticket: str
    requested_by: str
    approvers: tuple[str, ...]
    run_url: str

    def __post_init__(self) -> None:
        if self.environment not in ("dev", "sit", "prod"):
            raise LakegateError(f"environment {self.environment!r} is not dev, sit or prod")
        if not SHA.fullmatch(self.commit):
            raise LakegateError(f"commit {self.commit!r} is not a full sha")
        if not CODE_VERSION.fullmatch(self.code_version):
            raise LakegateError(f"code version {self.code_version!r} is not a build name")
        if self.reason not in REASONS:
            raise LakegateError(f"reason {self.reason!r} is not one of {', '.join(REASONS)}")

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> DeploymentRecord:
        fields = json.loads(data)
        return cls(**{**fields, "approvers": tuple(fields["approvers"])})

    def slack_message(self) -> dict:
        verb = VERBS[self.reason]
        approvers = ", ".join(self.approvers)
        text = (
            f"Lakegate {self.environment}: {self.code_version} ({self.commit[:12]}) {verb};"
            f" {self.change_ticket or 'no ticket'}, asked by {self.requested_by},"
            f" approved by {approvers}. {self.run_url}"
        )
        return {"text": text}


def write(s3, env: str, stage: str, record: DeploymentRecord) -> str:
    bucket = aws.bucket_names(env)["artifacts"]
    s3.put_object(Bucket=bucket, Key=KEYS[stage], Body=record.to_json())
    return f"s3://{bucket}/{KEYS[stage]}"


def read(s3, env: str, stage: str) -> DeploymentRecord:
    bucket = aws.bucket_names(env)["artifacts"]
    return DeploymentRecord.from_json(s3.get_object(Bucket=bucket, Key=KEYS[stage])["Body"].read())


def notify(webhook: str, message: dict, timeout: float = 10) -> None:
    if not webhook.startswith("https://") and not webhook.startswith("http://127.0.0.1"):
        raise LakegateError("SLACK_WEBHOOK_URL must be an https:// URL")
    request = urllib.request.Request(
        webhook,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status != 200:
            raise LakegateError(f"Slack answered {response.status}")


def main(argv: list[str] | None = None, s3=None, now: datetime | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(KEYS))
    parser.add_argument("--env", required=True, choices=("dev", "sit", "prod"))
    parser.add_argument("--code-version", required=True)
    parser.add_argument("--sha", required=True)
    parser.add_argument("--reason", required=True, choices=REASONS)
    parser.add_argument("--change-ticket", default="")
    parser.add_argument("--requested-by", required=True)
    parser.add_argument("--approvals", required=True, type=Path, help="GitHub's approvals JSON")
    parser.add_argument("--run-url", default="")
    parser.add_argument("--notify", action="store_true", help="post prod changes to Slack")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body = json.loads(args.approvals.read_text())
        approvals = from_github(body, args.env, args.requested_by)
        record = DeploymentRecord(
            environment=args.env,
            code_version=args.code_version,
            commit=args.sha,
            at=(now or datetime.now(UTC)).isoformat(),
            reason=args.reason,
            change_ticket=args.change_ticket,
            requested_by=args.requested_by,
            approvers=approvals.approvers,
            run_url=args.run_url,
        )
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        where = write(s3, args.env, args.stage, record)
        print(f"deploy record: {where}: {record.code_version} ({record.commit[:12]})")
        webhook = os.environ.get("SLACK_WEBHOOK_URL", "")
        if args.notify and args.env in NOTIFIED and args.stage == "deployed":
            if not webhook:
                print("deploy record: SLACK_WEBHOOK_URL is not set: no Slack notice")
            else:
                notify(webhook, record.slack_message())
                print("deploy record: posted to Slack")
    except (LakegateError, OSError, ValueError, BotoCoreError, ClientError) as error:
        print(f"deploy record: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
