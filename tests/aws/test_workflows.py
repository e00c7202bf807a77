"""The GitHub Actions workflows: offline linters, and the security properties the
deployment relies on (no stored AWS keys, OIDC only where a role is assumed, prod
applied only from main in the prod environment, every action pinned)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lakegate import aws

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


def jobs(path: Path) -> dict[str, dict]:
    return load(path)["jobs"]


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def assumes_role(job: dict) -> bool:
    return any(str(s.get("uses", "")).startswith(CONFIGURE_AWS) for s in steps(job))


def called_workflow_assumes_role(job: dict) -> bool:
    uses = job.get("uses", "")
    if not uses.startswith("./.github/workflows/"):
        return False
    return any(assumes_role(j) for j in jobs(ROOT / uses[2:]).values())


def test_the_workflows_of_the_issue_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "deploy.yml", "rollback.yml", "promote.yml", "backfill.yml"} <= names


def _run(*command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)


def test_every_workflow_matches_the_github_workflow_schema():
    result = _run(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *map(str, WORKFLOWS),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_with_shellcheck_passes():
    assert _run(str(BIN / "shellcheck"), "--version").returncode == 0
    result = _run(str(BIN / "actionlint"), *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_an_unquoted_variable(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: b\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo $HOME\n"
    )
    result = _run(str(BIN / "actionlint"), str(broken))
    assert result.returncode == 1 and "SC2086" in result.stdout


def test_zizmor_has_no_medium_or_high_finding():
    result = _run(str(BIN / "zizmor"), "--offline", "--min-severity", "medium", ".github/workflows")
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_catches_template_injection(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: b\non:\n  issues:\n    types: [opened]\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
    )
    result = _run(str(BIN / "zizmor"), "--offline", "--min-severity", "medium", str(bad))
    assert result.returncode != 0 and "template-injection" in result.stdout


def test_no_long_lived_aws_keys_anywhere():
    tracked = _run("git", "ls-files").stdout.split()
    key_id = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".whl", ".png", ".parquet", ".gz"} or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        assert not key_id.search(text), f"{name} holds something like an AWS access key id"
    for workflow in WORKFLOWS:
        text = workflow.read_text()
        assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
        assert not re.search(r"secrets\.[A-Z_]*AWS", text), workflow.name
        for job in jobs(workflow).values():
            for step in steps(job):
                if str(step.get("uses", "")).startswith(CONFIGURE_AWS):
                    assert set(step["with"]) == {
                        "role-to-assume",
                        "aws-region",
                        "role-session-name",
                    }


def test_id_token_write_only_in_jobs_that_assume_a_role():
    for workflow in WORKFLOWS:
        top = load(workflow).get("permissions")
        assert top == {}, f"{workflow.name}: permissions are granted per job only"
        for name, job in jobs(workflow).items():
            grants = (job.get("permissions") or {}).get("id-token") == "write"
            uses_oidc = assumes_role(job) or called_workflow_assumes_role(job)
            assert grants == uses_oidc, f"{workflow.name}:{name}"


def test_every_third_party_action_is_pinned_to_a_commit():
    for workflow in WORKFLOWS:
        for line in workflow.read_text().splitlines():
            match = re.match(r"\s*(?:-\s*)?uses:\s*(\S+)(.*)", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert PINNED.match(match.group(1)), f"{workflow.name}: {line.strip()}"
            assert re.search(r"#\s*v\d", match.group(2)), f"{workflow.name}: name the version"


def test_checkouts_do_not_keep_credentials_and_runs_take_inputs_from_env():
    for workflow in WORKFLOWS:
        for name, job in jobs(workflow).items():
            for step in steps(job):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{workflow.name}:{name}"
                script = step.get("run", "")
                assert "${{" not in script, f"{workflow.name}:{name}: expression in a script"


def test_prod_is_applied_only_from_main_in_the_prod_environment():
    reusable = jobs(ROOT / ".github/workflows/deploy-environment.yml")
    applies = re.compile(r"terraform\b.*\bapply -input")
    appliers = {
        name: job
        for name, job in reusable.items()
        if any(applies.search(s.get("run", "")) for s in steps(job))
    }
    assert list(appliers) == ["apply"]
    apply = appliers["apply"]
    assert apply["environment"]["name"] == "${{ inputs.environment }}"
    assert apply["if"] == "inputs.environment != 'prod' || github.ref == 'refs/heads/main'"
    (configure,) = [s for s in steps(apply) if str(s.get("uses", "")).startswith(CONFIGURE_AWS)]
    assert configure["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    # The deployer role trusts only jobs in the GitHub environment of its own name.
    oidc = (ROOT / "infra/modules/github_oidc/main.tf").read_text()
    assert 'deploy_subject = "repo:${var.github_repository}:environment:${var.environment}"' in oidc
    for caller in ("deploy.yml", "rollback.yml"):
        guard = jobs(ROOT / ".github/workflows" / caller)["guard"]
        script = " ".join(s.get("run", "") for s in steps(guard))
        assert "tools/deploy_guard.py" in script and '--ref "$GITHUB_REF"' in script
        call = jobs(ROOT / ".github/workflows" / caller)["deploy"]
        assert call["uses"] == "./.github/workflows/deploy-environment.yml"
        assert call["needs"] in ("guard", ["guard", "restore-state"])


def test_promote_and_backfill_run_in_protected_environments_recording_the_approvers():
    promote = jobs(ROOT / ".github/workflows/promote.yml")["promote"]
    assert promote["environment"]["name"] == "promote-${{ inputs.environment }}"
    (run,) = [s for s in steps(promote) if "lakegate promote" in s.get("run", "")]
    # The reviewers who approved are recorded, the actor only as the requester.
    assert "--approver" not in run["run"]
    assert '--approvals "$RUNNER_TEMP/approvals.json" --requested-by "$ACTOR"' in run["run"]
    assert run["env"]["ACTOR"] == "${{ github.actor }}"
    (fetch,) = [s for s in steps(promote) if s.get("run", "").startswith("gh api")]
    assert 'gh api "repos/$REPOSITORY/actions/runs/$WORKFLOW_RUN/approvals"' in fetch["run"]
    assert promote["permissions"]["actions"] == "read"
    backfill = jobs(ROOT / ".github/workflows/backfill.yml")["backfill"]
    assert backfill["environment"]["name"] == "operate-${{ inputs.environment }}"
    assert any("lakegate backfill" in s.get("run", "") for s in steps(backfill))
    iam = (ROOT / "infra/modules/iam/main.tf").read_text()
    assert ':environment:promote-${var.environment}"' in iam
    assert ':environment:operate-${var.environment}"' in iam


def test_ci_runs_lint_tests_terraform_validate_and_builds_the_artifact():
    ci = load(ROOT / ".github/workflows/ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["concurrency"]["group"]
    scripts = "\n".join(s.get("run", "") for j in ci["jobs"].values() for s in steps(j))
    for command in (
        "make lint",
        "make test",
        "terraform fmt -check",
        "init -backend=false",
        "validate",
        "tools/build_artifact.py",
    ):
        assert command in scripts, command
    roots = ci["jobs"]["terraform"]["strategy"]["matrix"]["root"]
    assert sorted(roots) == ["bootstrap", "envs/dev", "envs/prod", "envs/sit"]
    versions = {
        s["with"].get("python-version") or s["with"].get("java-version")
        for j in ci["jobs"].values()
        for s in steps(j)
        if str(s.get("uses", "")).startswith(("actions/setup-python@", "actions/setup-java@"))
    }
    assert versions == {"3.11", "17"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_manual_workflows_confirm_or_protect(workflow):
    data = load(workflow)
    dispatch = (data["on"] or {}).get("workflow_dispatch") if isinstance(data["on"], dict) else None
    if not dispatch:
        return
    inputs = dispatch["inputs"]
    assert inputs["environment"]["options"] == ["dev", "sit", "prod"]
    protected = all(
        "environment" in job or "uses" in job or name == "guard"
        for name, job in data["jobs"].items()
    )
    assert "confirm" in inputs or protected, workflow.name


def test_apply_uses_the_provider_lock_the_plan_was_made_with():
    """upload-artifact v4.4+ leaves hidden files out unless told: the plan's
    .terraform.lock.hcl would be lost and apply would resolve the providers again."""
    reusable = jobs(ROOT / ".github/workflows/deploy-environment.yml")
    (upload,) = [
        s
        for s in steps(reusable["plan"])
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert ".terraform.lock.hcl" in upload["with"]["path"]
    assert upload["with"]["include-hidden-files"] is True
    script = " ".join(s.get("run", "") for s in steps(reusable["apply"]))
    assert "init -input=false -lockfile=readonly" in script
    assert 'test -f "infra/envs/$ENVIRONMENT/.terraform.lock.hcl"' in script


def test_apply_refuses_a_plan_made_from_another_commit():
    reusable = jobs(ROOT / ".github/workflows/deploy-environment.yml")
    plan_script = " ".join(s.get("run", "") for s in steps(reusable["plan"]))
    assert """printf '%s\\n' "$SHA" > plan.sha""" in plan_script
    (upload,) = [s for s in steps(reusable["plan"])
                 if str(s.get("uses", "")).startswith("actions/upload-artifact@")]  # fmt: skip
    assert "plan.sha" in upload["with"]["path"]
    (apply_step,) = [s for s in steps(reusable["apply"]) if "apply -input=false plan.tfplan"
                     in s.get("run", "")]  # fmt: skip
    script = apply_step["run"]
    check = '[ "$planned" = "$SHA" ] || {'
    assert check in script and script.index(check) < script.index("apply -input=false")
    assert apply_step["env"]["SHA"] == "${{ inputs.sha }}"


def test_every_terraform_init_and_plan_uses_the_one_name_prefix():
    """The state bucket and every resource name come from tools/name_prefix.sh (the
    repository variable LAKEGATE_NAME_PREFIX, or lakegate-<account id>)."""
    command = re.compile(r"^\s*terraform (?:-chdir=\S+ )?(init|plan)\b")
    found = {"init": 0, "plan": 0}
    for workflow in WORKFLOWS:
        if "configure-aws-credentials" in workflow.read_text():
            variable = load(workflow)["env"]["LAKEGATE_NAME_PREFIX"]
            assert variable == "${{ vars.LAKEGATE_NAME_PREFIX }}", workflow.name
        for job in jobs(workflow).values():
            for step in steps(job):
                script = step.get("run", "")
                assert "lakegate-$ENVIRONMENT" not in script, workflow.name
                for line in script.replace("\\\n", " ").splitlines():
                    match = command.match(line)
                    if not match or "-backend=false" in line:
                        continue
                    found[match[1]] += 1
                    assert 'prefix="$(tools/name_prefix.sh)"' in script, line
                    if match[1] == "init":
                        assert '-backend-config="bucket=$prefix-$ENVIRONMENT-tfstate"' in line
                    else:
                        assert '-var "name_prefix=$prefix"' in line, line
    assert found == {"init": 4, "plan": 2}  # the fourth: the automatic rollback


def test_the_name_prefix_script_defaults_to_the_account(tmp_path):
    fake_aws = tmp_path / "aws"
    fake_aws.write_text("#!/bin/sh\necho 123456789012\n")
    fake_aws.chmod(0o755)
    script = str(ROOT / "tools/name_prefix.sh")
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    default = subprocess.run([script], env=env, capture_output=True, text=True, check=True)
    assert default.stdout.strip() == aws.default_name_prefix("123456789012")
    chosen = {**env, "LAKEGATE_NAME_PREFIX": "acme-lake"}
    assert subprocess.run([script], env=chosen, capture_output=True, text=True).stdout == (
        "acme-lake\n"
    )
    bad = subprocess.run(
        [script], env={**env, "LAKEGATE_NAME_PREFIX": "Acme"}, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "name prefix 'Acme' must be 2-21" in bad.stderr


def test_a_failed_smoke_test_redeploys_the_previous_deployment():
    """In the approved apply job, after the smoke test of a deploy fails: the newest
    earlier deployment tag at another commit is built, applied, smoke-tested and
    recorded as an auto-rollback (Slack for prod), and the run still fails."""
    apply = jobs(ROOT / ".github/workflows/deploy-environment.yml")["apply"]
    named = {s.get("id"): s for s in steps(apply) if s.get("id")}
    smoke = named["smoke"]["run"]
    # Every dataset the environment deploys, from the lakegate module's outputs.
    assert "output -json lakegate" in smoke and ".glue_job_names" in smoke
    assert 'python tools/smoke_test.py --env "$ENVIRONMENT"' in smoke and '"${args[@]}"' in smoke
    previous = named["previous"]
    assert previous["if"] == (
        "failure() && steps.smoke.outcome == 'failure' && inputs.reason == 'deploy'"
    )
    assert "tools/deploy_guard.py previous" in previous["run"]
    after = steps(apply)[steps(apply).index(previous) + 1 :]
    checkout, redeploy = after
    assert checkout["with"]["ref"] == "${{ steps.previous.outputs.sha }}"
    assert redeploy["if"] == checkout["if"] == "failure() && steps.previous.outcome == 'success'"
    script = redeploy["run"]
    order = [
        "tools/build_artifact.py",
        "aws s3 cp",
        "apply -input=false -auto-approve",
        "tools/smoke_test.py",
        "--reason auto-rollback",
        "exit 1",
    ]
    assert [script.index(part) for part in order] == sorted(script.index(p) for p in order)
    assert redeploy["working-directory"] == "previous"


def test_a_rollback_may_restore_a_state_version_first():
    rollback = load(ROOT / ".github/workflows/rollback.yml")
    assert "state_version" in rollback["on"]["workflow_dispatch"]["inputs"]
    restore = rollback["jobs"]["restore-state"]
    assert restore["if"] == "inputs.state_version != ''"
    assert restore["environment"]["name"] == "${{ inputs.environment }}"
    script = " ".join(s.get("run", "") for s in steps(restore))
    assert 'tools/state_restore.py --env "$ENVIRONMENT" --version-id "$STATE_VERSION"' in script
    deploy = rollback["jobs"]["deploy"]
    assert deploy["needs"] == ["guard", "restore-state"]
    assert "needs.restore-state.result != 'failure'" in deploy["if"]
