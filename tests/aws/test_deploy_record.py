"""_STAGING.json / _DEPLOYED.json in the artifacts bucket (moto), and the Slack notice of
a prod deployment, posted to a local HTTP server standing in for the webhook."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from moto import mock_aws

from tools import deploy_record

SHA = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
AT = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
APPROVALS = [  # GitHub's run approvals API, as recorded for a prod deployment
    {
        "state": "approved",
        "user": {"login": "rev-one"},
        "environments": [{"name": "prod"}],
        "comment": "ok",
    },
    {"state": "approved", "user": {"login": "rev-two"}, "environments": [{"name": "prod"}]},
    {"state": "rejected", "user": {"login": "rev-three"}, "environments": [{"name": "prod"}]},
]


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        for env in ("dev", "prod"):
            client.create_bucket(
                Bucket=f"lakegate-{env}-artifacts",
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
        yield client


@pytest.fixture
def slack():
    """A local webhook: every POST body it received, parsed."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "content_type": self.headers["Content-Type"],
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/T/B/X", received
    server.shutdown()


def argv(stage: str, approvals, env: str = "prod", *extra: str) -> list[str]:
    return [stage, "--env", env, "--code-version", "0.1.0+g1a2b3c4", "--sha", SHA,
            "--reason", "deploy", "--change-ticket", "CHG-42", "--requested-by", "octo",
            "--approvals", str(approvals), "--run-url", "https://github.com/o/r/actions/runs/9",
            *extra]  # fmt: skip


def test_staging_then_deployed_records_name_build_commit_and_approvers(s3, tmp_path):
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps(APPROVALS))
    assert deploy_record.main(argv("staging", approvals), s3=s3, now=AT) == 0
    staged = deploy_record.read(s3, "prod", "staging")
    assert staged.approvers == ("rev-one", "rev-two") and staged.requested_by == "octo"
    with pytest.raises(s3.exceptions.NoSuchKey):  # nothing is deployed until the smoke test
        deploy_record.read(s3, "prod", "deployed")
    assert deploy_record.main(argv("deployed", approvals), s3=s3, now=AT) == 0
    deployed = deploy_record.read(s3, "prod", "deployed")
    assert deployed == staged
    assert deployed.commit == SHA and deployed.at == "2026-03-07T12:00:00+00:00"
    assert deployed.change_ticket == "CHG-42" and deployed.code_version == "0.1.0+g1a2b3c4"


def test_a_deployment_approved_only_by_its_requester_is_not_recorded(s3, tmp_path, capsys):
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps([{**APPROVALS[0], "user": {"login": "octo"}}]))
    assert deploy_record.main(argv("deployed", approvals), s3=s3, now=AT) == 1
    assert "requested and approved alone" in capsys.readouterr().err


def test_a_prod_deployment_is_posted_to_slack(s3, tmp_path, slack, monkeypatch):
    url, received = slack
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps(APPROVALS))
    assert deploy_record.main(argv("deployed", approvals, "prod", "--notify"), s3=s3) == 0
    (post,) = received
    assert post["content_type"] == "application/json"
    assert post["body"] == {
        "text": "Lakegate prod: 0.1.0+g1a2b3c4 (1a2b3c4d5e6f) deployed; CHG-42, asked by"
        " octo, approved by rev-one, rev-two. https://github.com/o/r/actions/runs/9"
    }
    rollback = argv("deployed", approvals, "prod", "--notify")
    rollback[rollback.index("deploy")] = "rollback"
    assert deploy_record.main(rollback, s3=s3) == 0
    assert "rolled back to" in received[1]["body"]["text"]
    rollback[rollback.index("rollback")] = "auto-rollback"
    assert deploy_record.main(rollback, s3=s3) == 0
    assert "rolled back automatically (the smoke test failed) to" in received[2]["body"]["text"]
    record = deploy_record.read(s3, "prod", "deployed")
    assert record.reason == "auto-rollback"


def test_only_prod_is_posted_and_only_to_an_https_webhook(s3, tmp_path, slack, monkeypatch):
    url, received = slack
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    approvals = tmp_path / "approvals.json"
    dev_approvals = [{**a, "environments": [{"name": "dev"}]} for a in APPROVALS]
    approvals.write_text(json.dumps(dev_approvals))
    assert deploy_record.main(argv("deployed", approvals, "dev", "--notify"), s3=s3) == 0
    assert received == []
    with pytest.raises(deploy_record.LakegateError, match="https"):
        deploy_record.notify("http://hooks.example.com/x", {"text": "t"})


def test_a_refused_write_is_one_line_not_a_traceback(s3, tmp_path, capsys):
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps(APPROVALS))
    s3.delete_bucket(Bucket="lakegate-prod-artifacts")
    assert deploy_record.main(argv("deployed", approvals), s3=s3, now=AT) == 1
    err = capsys.readouterr().err
    assert err.startswith("deploy record: ") and "NoSuchBucket" in err
    assert len(err.strip().splitlines()) == 1
