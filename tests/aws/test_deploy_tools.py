"""The tools the deploy workflows run: the request guard, the versioned build and the
post-deploy smoke test (against moto)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tools import build_artifact, deploy_guard, smoke_test
from tools.deploy_guard import Refused

SHA = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
TUESDAY_NOON = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 12:00 in London (GMT)
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
TUESDAY_EVENING = datetime(2026, 7, 7, 16, 30, tzinfo=UTC)  # 17:30 in London (BST)


# --- guard -----------------------------------------------------------------------------
def test_a_good_dev_request_passes():
    deploy_guard.check_request("deploy", "dev", "deploy dev", "refs/heads/feature", "")


@pytest.mark.parametrize(
    ("action", "env", "confirm", "ref", "ticket", "message"),
    [
        ("deploy", "dev", "deploy sit", "refs/heads/main", "", 'exactly "deploy dev"'),
        ("deploy", "qa", "deploy qa", "refs/heads/main", "", "not one of"),
        ("deploy", "prod", "deploy prod", "refs/heads/main", "", "change ticket"),
        ("deploy", "prod", "deploy prod", "refs/heads/main", "see slack", "change ticket"),
        ("deploy", "prod", "deploy prod", "refs/heads/hotfix", "CHG-1", "only from main"),
        ("rollback", "prod", "deploy prod", "refs/heads/main", "CHG-1", '"rollback prod"'),
    ],
)
def test_bad_requests_are_refused_naming_the_rule(action, env, confirm, ref, ticket, message):
    with pytest.raises(Refused, match=message):
        deploy_guard.check_request(action, env, confirm, ref, ticket)


def test_commits_go_dev_then_sit_then_prod():
    deployed = {("abc", "dev")}

    def tags_at(sha, env):
        return ["deploy-x"] if (sha, env) in deployed else []

    deploy_guard.check_order("dev", "abc", tags_at)
    deploy_guard.check_order("sit", "abc", tags_at)
    with pytest.raises(Refused, match="never deployed to sit"):
        deploy_guard.check_order("prod", "abc", tags_at)
    with pytest.raises(Refused, match="never deployed to dev"):
        deploy_guard.check_order("sit", "def", tags_at)


def test_sit_changes_only_in_london_business_hours():
    deploy_guard.check_hours("sit", TUESDAY_NOON)
    for moment in (SATURDAY, TUESDAY_EVENING):
        with pytest.raises(Refused, match="Monday-Friday 09:00-17:00"):
            deploy_guard.check_hours("sit", moment)
    deploy_guard.check_hours("prod", SATURDAY)  # prod has its change window instead


def test_prod_changes_only_inside_the_window_its_ticket_approved():
    window = "2026-03-07T11:00Z/2026-03-07T13:00Z"
    deploy_guard.check_window("prod", window, SATURDAY)
    with pytest.raises(Refused, match=r"only inside the change window .* it is 2026-03-03T12:00Z"):
        deploy_guard.check_window("prod", window, TUESDAY_NOON)
    with pytest.raises(Refused, match="only inside"):  # the end is excluded
        deploy_guard.check_window("prod", window, datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    for bad, message in (
        ("", "needs its change window"),
        ("tonight", "needs its change window"),
        ("2026-03-07T11:00/2026-03-07T13:00", "needs its change window"),  # no zone
        ("2026-03-07T13:00Z/2026-03-07T11:00Z", "end after it starts"),
        ("2026-03-07T11:00Z/2026-03-07T19:01Z", "within 8 hours"),
    ):
        with pytest.raises(Refused, match=message):
            deploy_guard.check_window("prod", bad, SATURDAY)
    deploy_guard.check_window("sit", "", SATURDAY)  # sit has its business hours


def test_the_window_is_checked_again_before_apply(capsys):
    argv = ["hours", "--environment", "prod", "--change-window"]
    assert deploy_guard.main([*argv, "2026-03-07T11:00Z/2026-03-07T13:00Z"], now=SATURDAY) == 0
    assert deploy_guard.main([*argv, "2026-03-07T11:00Z/2026-03-07T12:00Z"], now=SATURDAY) == 1
    assert "refused: prod changes only inside the change window" in capsys.readouterr().err


def test_prod_runs_only_commits_on_main():
    deploy_guard.check_on_main(SHA, is_ancestor=lambda sha: True)
    with pytest.raises(Refused, match="not on main"):
        deploy_guard.check_on_main(SHA, is_ancestor=lambda sha: False)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with a dev deployment tag on its only commit."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
        "--allow-empty", "-m", "one")  # fmt: skip
    git("tag", "deploy-dev-20260301T101500Z")
    monkeypatch.chdir(tmp_path)
    return git("rev-parse", "HEAD")


def test_the_automatic_rollback_returns_to_the_newest_deployment_at_another_commit(tmp_path):
    failed, good, older = "a" * 40, "b" * 40, "c" * 40
    refs = [  # GitHub's matching-refs answer for tags/deploy-prod-
        {"ref": "refs/tags/deploy-prod-20260301T101500Z", "object": {"sha": older}},
        {"ref": "refs/tags/deploy-prod-20260305T090000Z", "object": {"sha": good}},
        {"ref": "refs/tags/deploy-prod-20260307T120000Z", "object": {"sha": failed}},
        {"ref": "refs/tags/deploy-prod-latest", "object": {"sha": "d" * 40}},
        {"ref": "refs/tags/deploy-sit-20260308T090000Z", "object": {"sha": "e" * 40}},
    ]
    assert deploy_guard.previous_deployment(refs, "prod", failed) == (
        "deploy-prod-20260305T090000Z",
        good,
    )
    with pytest.raises(Refused, match="no earlier deployment of dev"):
        deploy_guard.previous_deployment(refs, "dev", failed)
    tags, output = tmp_path / "refs.json", tmp_path / "out"
    tags.write_text(json.dumps(refs))
    argv = ["previous", "--environment", "prod", "--sha", failed, "--tags", str(tags)]
    # No hours or window rule: a Saturday outside any window still rolls back.
    assert deploy_guard.main([*argv, "--github-output", str(output)], now=SATURDAY) == 0
    assert output.read_text() == f"tag=deploy-prod-20260305T090000Z\nsha={good}\n"
    only_failed = [r for r in refs if r["object"]["sha"] == failed]
    tags.write_text(json.dumps(only_failed))
    assert deploy_guard.main(argv, now=SATURDAY) == 1


def test_rollback_resolves_a_deployment_tag_of_the_same_environment(repo):
    assert deploy_guard.resolve_rollback_tag("deploy-dev-20260301T101500Z", "dev") == repo
    with pytest.raises(Refused, match="a deployment of dev, not of sit"):
        deploy_guard.resolve_rollback_tag("deploy-dev-20260301T101500Z", "sit")
    with pytest.raises(Refused, match="not a deployment tag"):
        deploy_guard.resolve_rollback_tag("v1.2.0", "dev")
    with pytest.raises(Refused, match="failed"):
        deploy_guard.resolve_rollback_tag("deploy-dev-20990101T000000Z", "dev")


def test_the_guard_command_line_writes_the_commit_for_the_next_job(repo, tmp_path, capsys):
    output = tmp_path / "github_output"
    argv = ["deploy", "--environment", "sit", "--confirm", "deploy sit", "--sha", repo,
            "--ref", "refs/heads/main", "--github-output", str(output)]  # fmt: skip
    assert deploy_guard.main(argv, now=TUESDAY_NOON) == 0
    assert output.read_text() == f"sha={repo}\n"
    argv[argv.index("sit", 2)] = "prod"  # sit was never deployed, and no ticket
    argv[argv.index("deploy sit")] = "deploy prod"
    assert deploy_guard.main(argv, now=TUESDAY_NOON) == 1
    assert "refused: prod needs its change window" in capsys.readouterr().err
    argv += ["--change-window", "2026-03-03T11:00Z/2026-03-03T13:00Z"]
    assert deploy_guard.main(argv, now=TUESDAY_NOON) == 1
    assert "refused: prod needs a change ticket" in capsys.readouterr().err


# --- build -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_artifact.build(SHA, tmp_path_factory.mktemp("dist"))


def test_the_build_is_named_with_version_and_commit(built):
    version = f"{build_artifact.base_version()}+g{SHA[:12]}"
    assert built.name == f"lakegate-{version}"
    names = sorted(p.name for p in built.iterdir())
    assert names == [
        "gold_balances.py",
        "ingest_transactions.py",
        f"lakegate-{version}-py3-none-any.whl",
        "manifest.json",
    ]
    with zipfile.ZipFile(built / names[2]) as wheel:
        members = wheel.namelist()
        metadata = wheel.read(f"lakegate-{version}.dist-info/METADATA").decode()
    assert f"Version: {version}" in metadata
    assert {"lakegate_cli/cli.py", "glue_jobs/job.py", "promotion/publisher.py"} <= set(members)
    # The data files the job and the promoter read at import (the dataset registry, the
    # alarm definitions, the job's logging).
    assert {"lakegate/datasets.json", "lakegate/alerts.json"} <= set(members)
    assert "glue_jobs/log4j2.properties" in members
    assert not any(m.startswith(("tests/", "tools/", "bench/")) for m in members)


def test_the_build_carries_the_entry_script_and_checksums(built):
    for script in build_artifact.ENTRY_SCRIPTS:
        assert (built / script.name).read_bytes() == script.read_bytes()
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["git_sha"] == SHA
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == digest


def test_the_code_version_matches_what_the_glue_module_accepts(built):
    import re

    variables = (build_artifact.ROOT / "infra/modules/glue/variables.tf").read_text()
    pattern = re.search(r'regex\("(.+?)", var\.code_version\)', variables).group(1)
    assert re.fullmatch(pattern.replace("\\\\", "\\"), built.name.removeprefix("lakegate-"))
    with pytest.raises(SystemExit, match="full 40-hex commit"):
        build_artifact.code_version("abc123")


# --- smoke test ------------------------------------------------------------------------
def _deploy(version: str) -> boto3.session.Session:
    session = boto3.session.Session(region_name="eu-west-1")
    s3, glue = session.client("s3"), session.client("glue")
    for bucket in ("bronze", "silver", "gold", "quarantine", "artifacts"):
        name = f"lakegate-dev-{bucket}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={k: True for k in smoke_test.PUBLIC_ACCESS_SETTINGS},
        )
    code = f"s3://lakegate-dev-artifacts/glue/{version}"
    for name in ("ingest_transactions.py", f"lakegate-{version}-py3-none-any.whl"):
        s3.put_object(Bucket="lakegate-dev-artifacts", Key=f"glue/{version}/{name}", Body=b"x")
    glue.create_job(
        Name="lakegate-dev-transactions-ingest",
        Role="arn:aws:iam::123456789012:role/lakegate-dev-glue-job",
        Command={"Name": "glueetl", "ScriptLocation": f"{code}/ingest_transactions.py"},
        DefaultArguments={
            "--additional-python-modules": f"{code}/lakegate-{version}-py3-none-any.whl"
        },
    )
    session.client("stepfunctions").create_state_machine(
        name="lakegate-dev-transactions-ingest",
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/lakegate-dev-transactions-states",
    )
    return session


def test_smoke_test_passes_on_a_deployed_environment():
    with mock_aws():
        session = _deploy("0.1.0+g1a2b3c4d5e6f")
        results = smoke_test.run(session, "dev", "0.1.0+g1a2b3c4d5e6f")
    assert all(ok for ok, _ in results), [line for ok, line in results if not ok]
    assert len(results) == 5 + 4 + 1


def test_smoke_test_names_what_is_wrong():
    with mock_aws():
        session = _deploy("0.1.0+g1a2b3c4d5e6f")
        session.client("s3").delete_public_access_block(Bucket="lakegate-dev-gold")
        results = smoke_test.run(session, "dev", "0.2.0+g1a2b3c4d5e6f")  # not the deployed code
    failures = [line for ok, line in results if not ok]
    assert any(line.startswith("bucket lakegate-dev-gold") for line in failures)
    assert any("runs s3://lakegate-dev-artifacts/glue/0.1.0" in line for line in failures)
    assert any("glue/0.2.0+g1a2b3c4d5e6f/ingest_transactions.py: 404" in line for line in failures)
