"""Structural checks of infra/: what `terraform validate` would catch without a provider,
plus the contracts between the Terraform and the code (names, metrics, arguments)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from glue_jobs.ingest_transactions import OPTIONAL, REQUIRED
from glue_jobs.schemas import PARTITION_FIELDS, SILVER_SCHEMAS, silver_schemas
from lakegate import aws, datasets, layout
from lakegate.errors import BadArgument
from lakegate.templating import placeholders
from tests.terraform import (
    CONFIGS,
    ENVS,
    INFRA,
    MODULE_META,
    MODULES,
    ROOT,
    ROOTS,
    declared_locals,
    labelled,
    parsed,
    references,
    resources,
    text,
    unquote,
)

MODULE_NAMES = {
    "bucket",
    "storage",
    "iam",
    "glue",
    "orchestration",
    "monitoring",
    "github_oidc",
    "github_trust",
    "lakegate",
}
ENVIRONMENT_MODULES = {"storage", "iam", "glue", "orchestration", "monitoring"}


def test_every_module_of_the_issue_exists_with_its_files():
    assert {m.name for m in MODULES} == MODULE_NAMES
    for module in MODULES:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (module / name).is_file(), f"{module.name}/{name} is missing"


def test_every_tf_file_parses():
    files = sorted(INFRA.rglob("*.tf"))
    assert len(files) >= 30
    for file in files:
        hcl2.loads(file.read_text())


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_terraform_fmt_is_clean():
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(INFRA)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(INFRA)))
def test_pins_the_provider_and_terraform(config):
    (terraform,) = parsed(config)["terraform"]
    assert unquote(terraform["required_version"]) == ">= 1.10"
    (providers,) = terraform["required_providers"]
    assert unquote(providers["aws"]["source"]) == "hashicorp/aws"
    assert unquote(providers["aws"]["version"]) == "~> 6.0"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(INFRA)))
def test_variables_are_typed_described_declared_and_used(config):
    declared = labelled(config, "variable")
    for name, body in declared.items():
        assert "type" in body, f"{name} has no type"
        assert unquote(body.get("description", "")), f"{name} has no description"
    used = references(config, "var")
    assert used - set(declared) == set(), "used but not declared"
    assert set(declared) - used == set(), "declared but not used"
    assert references(config, "local") <= declared_locals(config), "undeclared locals"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(INFRA)))
def test_closed_sets_are_validated(config):
    declared = labelled(config, "variable")
    for name in ("environment", "environments", "worker_type", "subscriptions", "bucket_arns"):
        if name in declared:
            assert declared[name].get("validation"), f"{name} is a closed set without validation"


@pytest.mark.parametrize("config", ROOTS + MODULES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_module_input_exists_and_required_inputs_are_given(config):
    for name, call in labelled(config, "module").items():
        target = (config / unquote(call["source"])).resolve()
        inputs = {k for k in call if not k.startswith("__")} - MODULE_META
        variables = labelled(target, "variable")
        assert inputs - set(variables) == set(), f"module {name}: unknown inputs"
        required = {v for v, body in variables.items() if "default" not in body}
        assert required - inputs == set(), f"module {name}: required inputs not given"
        outputs = set(labelled(target, "output"))
        used = set(re.findall(rf"module\.{name}(?:\[[^\]]+\])?\.(\w+)", text(config)))
        assert used <= outputs, f"module {name}: no such outputs {used - outputs}"


def test_a_misspelt_module_input_is_noticed(tmp_path):
    stack = tmp_path / "stack"
    stack.mkdir()
    source = (
        (INFRA / "modules/lakegate/main.tf").read_text().replace("kms_key_arn ", "kms_key_ar ", 1)
    )
    (stack / "main.tf").write_text(source.replace('"../', f'"{INFRA}/modules/'))
    call = labelled(stack, "module")["iam"]
    variables = labelled(INFRA / "modules/iam", "variable")
    assert "kms_key_ar" in set(call) - set(variables)


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_each_environment_has_its_own_locked_state_and_the_whole_stack(env):
    (terraform,) = parsed(env)["terraform"]
    backends = {unquote(k): v for k, v in terraform["backend"][0].items() if k[:2] != "__"}
    backend = backends["s3"]
    assert backend["use_lockfile"] is True and backend["encrypt"] is True
    assert "bucket" not in backend  # <prefix>-<env>-tfstate, given by -backend-config
    assert unquote(backend["key"]) == f"lakegate/{env.name}/terraform.tfstate"
    (call,) = labelled(env, "module").values()
    assert unquote(call["source"]) == "../../modules/lakegate"
    assert unquote(call["environment"]) == env.name
    (provider,) = parsed(env)["provider"]
    tags = provider['"aws"']["default_tags"][0]["tags"]
    assert unquote(tags['"lakegate:environment"']) == env.name  # the deployer's KMS scope
    stack = labelled(INFRA / "modules/lakegate", "module")
    assert set(stack) == ENVIRONMENT_MODULES
    assert all(unquote(c["source"]) == f"../{name}" for name, c in stack.items())


def test_environments_set_the_same_settings_with_their_own_values():
    calls = {env.name: labelled(env, "module")["lakegate"] for env in ENVS}
    assert {env.name for env in ENVS} == {"dev", "sit", "prod"}
    settings = {frozenset(k for k in call if not k.startswith("__")) for call in calls.values()}
    assert len(settings) == 1  # comments in a call are not settings
    assert calls["prod"]["force_destroy"] is False
    assert calls["prod"]["schedule_enabled"] is True


def test_iam_policy_templates_get_every_placeholder():
    iam = INFRA / "modules/iam"
    (values,) = [b["policy_values"] for b in parsed(iam)["locals"] if "policy_values" in b]
    given = set(values) - {"__is_block__"}
    for template in sorted((iam / "policies").glob("*.json.tftpl")):
        extra = {"domain"} if template.name == "domain.json.tftpl" else set()
        missing = placeholders(template.read_text()) - given - extra
        assert missing == set(), f"{template.name}: no value for {missing}"
        assert template.name in text(iam), f"{template.name} is not used"


def test_buckets_are_the_lake_roles_named_as_the_code_names_them():
    storage = INFRA / "modules/storage"
    (local_values,) = [b for b in parsed(storage)["locals"] if "roles" in b]
    assert set(re.findall(r'"(\w+)"', local_values["roles"])) == set(layout.BUCKETS)
    assert '"${local.name}-${role}"' in text(storage)
    assert 'name = "${var.name_prefix}-${var.environment}"' in text(storage)
    names = aws.bucket_names("dev", "acme-lake")
    assert names == {role: f"acme-lake-dev-{role}" for role in layout.BUCKETS}


def test_every_bucket_is_versioned_encrypted_private_and_tls_only():
    bucket = INFRA / "modules/bucket"
    found = resources(bucket)
    for kind in (
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    ):
        assert unquote(found[(kind, "this")]["bucket"]) == "${aws_s3_bucket.this.id}", kind
        assert "count" not in found[(kind, "this")], f"{kind} is never optional"
    block = found[("aws_s3_bucket_public_access_block", "this")]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy"))
    assert all(block[k] is True for k in ("ignore_public_acls", "restrict_public_buckets"))
    status = found[("aws_s3_bucket_versioning", "this")]["versioning_configuration"][0]["status"]
    assert unquote(status) == "Enabled"
    assert '"aws:SecureTransport"' in text(bucket)


def test_lake_and_state_buckets_use_the_customer_key_and_lake_buckets_log():
    storage = INFRA / "modules/storage"
    assert resources(storage)[("aws_kms_key", "lake")]["enable_key_rotation"] is True
    lake = labelled(storage, "module")["lake"]
    assert unquote(lake["for_each"]) == "${local.buckets}"
    assert unquote(lake["kms_key_arn"]) == "${aws_kms_key.lake.arn}"
    assert unquote(lake["access_log_bucket"]) == "${module.access_logs.name}"
    assert lake["eventbridge"] is True
    assert "kms_key_arn" not in labelled(storage, "module")["access_logs"]  # SSE-S3 for logs
    state = labelled(INFRA / "bootstrap", "module")["state_bucket"]
    assert unquote(state["kms_key_arn"]) == "${aws_kms_key.state.arn}"


def test_glue_names_match_what_the_cli_looks_up():
    glue = text(INFRA / "modules/glue")
    assert 'database = replace(local.name, "-", "_")' in glue
    assert aws.glue_database("dev", "acme-lake") == "acme_lake_dev"
    assert "name          = each.key" in glue
    assert 'name     = "${local.name}-${each.key}-ingest"' in text(INFRA / "modules/orchestration")
    assert 'name                   = "${local.name}-${each.key}-ingest"' in glue
    assert 'name                   = "${local.name}-${each.key}-gold"' in glue
    assert aws.state_machine_name("dev", "fx_rates", "acme-lake") == "acme-lake-dev-fx_rates-ingest"
    assert aws.glue_job_name("dev", "fx_rates", "acme-lake") == "acme-lake-dev-fx_rates-ingest"
    assert aws.gold_job_name("dev", "transactions", "acme") == "acme-dev-transactions-gold"


def _rendered_tables(pipelines: str) -> dict:
    """infra/modules/glue/tables.tf evaluated by terraform itself (no provider needed),
    in a scratch copy laid out as the repository is, for `var.pipelines` = pipelines
    (an HCL map, as the lakegate module passes it)."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        module = Path(scratch, "infra/modules/glue")
        module.mkdir(parents=True)
        shutil.copy(INFRA / "modules/glue/tables.tf", module)
        (module / "variables.tf").write_text(
            'variable "pipelines" {\n'
            "  type = map(object({ schema_v = string, gold = optional(string) }))\n}\n"
        )
        Path(scratch, "lakegate").symlink_to(ROOT / "lakegate")
        run = {"cwd": module, "capture_output": True, "text": True, "check": True}
        subprocess.run(["terraform", "init", "-backend=false", "-input=false"], **run)
        shown = subprocess.run(
            ["terraform", "console", "-var", f"pipelines={pipelines}"],
            input="jsonencode(local.tables)\n",
            **run,
        ).stdout
    return json.loads(json.loads(shown))


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_the_catalog_tables_have_the_columns_the_jobs_write():
    from glue_jobs.schemas import BALANCES_SCHEMA

    partition_names = {f.name for f in PARTITION_FIELDS}

    def stored(schema):
        return [
            {"name": f.name, "type": f.dataType.simpleString()}
            for f in schema.fields
            if f.name not in partition_names
        ]

    tables = _rendered_tables(
        '{ transactions = { schema_v = "v1", gold = "account_balances" },'
        ' fx_rates = { schema_v = "v1" } }'
    )
    assert set(tables) == {"transactions", "account_balances", "fx_rates"}
    assert tables["transactions"]["bucket"] == "silver"
    assert tables["transactions"]["columns"] == stored(list(SILVER_SCHEMAS.values())[-1])
    assert tables["account_balances"]["bucket"] == "gold"
    assert tables["account_balances"]["columns"] == stored(BALANCES_SCHEMA)
    fx = datasets.dataset("fx_rates")
    assert tables["fx_rates"]["columns"] == stored(silver_schemas(fx)[fx.schema_v])


def test_the_catalog_tables_are_those_of_the_registry():
    table = resources(INFRA / "modules/glue")[("aws_glue_catalog_table", "published")]
    assert unquote(table["for_each"]) == "${local.tables}"
    assert 'jsondecode(file("${path.module}/../../../lakegate/datasets.json"))' in text(
        INFRA / "modules/glue"
    )
    keys = [unquote(k["name"]) for k in table["partition_keys"]]
    assert keys == [f.name for f in PARTITION_FIELDS]
    descriptor = table["storage_descriptor"][0]
    location = unquote(descriptor["location"])
    assert location == "s3://${var.bucket_names[each.value.bucket]}/${each.key}/current/"


def _job_arguments(job: dict, common: dict) -> set[str]:
    """Argument names a Glue job gets: the shared map plus its own (merge(...))."""
    own = set(re.findall(r'"--([\w-]+)"\s*=', job["default_arguments"]))
    return {unquote(k)[2:] for k in common} | own


@pytest.mark.parametrize(
    ("job_name", "script"),
    [("ingest", "ingest_transactions"), ("gold", "gold_balances")],
)
def test_each_job_gets_every_argument_its_entry_script_requires(job_name, script):
    import importlib

    entry = importlib.import_module(f"glue_jobs.{script}")
    glue = INFRA / "modules/glue"
    job = resources(glue)[("aws_glue_job", job_name)]
    (common,) = [b["common_arguments"] for b in parsed(glue)["locals"] if "common_arguments" in b]
    given = _job_arguments(job, common)
    if job_name == "ingest":
        asl = (ROOT / "state_machine/ingest.asl.json").read_text()
        given |= set(re.findall(r'"--(\w+)(?:\.\$)?"', asl))
    assert set(entry.REQUIRED) - {"JOB_NAME"} <= given, set(entry.REQUIRED) - given
    glue_own = re.compile(r"(enable|job|custom|spark|Temp|add)")
    ours = {k for k in given if not glue_own.match(k)}
    unknown = ours - set(entry.REQUIRED) - set(entry.OPTIONAL)
    if job_name == "gold":  # the shared map also serves the ingestion job
        unknown -= set(REQUIRED) | set(OPTIONAL)
    assert unknown == set()
    assert unquote(job["command"][0]["script_location"]).endswith(f"/{script}.py")
    assert unquote(common['"--job-bookmark-option"']) == "job-bookmark-disable"
    assert unquote(common['"--enable-metrics"']) == "true"
    # Glue 5.x: the log groups come from --custom-logGroup-prefix; the Glue 4 arguments
    # for continuous logging are gone, and Terraform makes the two groups it writes.
    assert '"--enable-continuous-cloudwatch-log"' not in common
    assert '"--continuous-log-logGroup"' not in common
    assert unquote(common['"--custom-logGroup-prefix"']) == "${local.log_group_prefix}"
    groups = resources(glue)[("aws_cloudwatch_log_group", "job")]
    assert unquote(groups["name"]) == "${local.log_group_prefix}/${each.key}"
    assert "error" in groups["for_each"] and "output" in groups["for_each"]


def test_oidc_roles_trust_only_this_repository_and_audience():
    trust = INFRA / "modules/github_trust"
    (statement,) = resources(trust, "data")[("aws_iam_policy_document", "this")]["statement"]
    assert [unquote(a) for a in statement["actions"]] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {unquote(c["variable"]): c for c in statement["condition"]}
    aud = conditions["token.actions.githubusercontent.com:aud"]
    assert unquote(aud["test"]) == "StringEquals"
    assert [unquote(v) for v in aud["values"]] == ["sts.amazonaws.com"]
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert unquote(sub["test"]) == "StringEquals", "no wildcards in the subject"
    assert sub["values"] == "${var.subjects}"
    assert "[^*?]+$" in text(trust), "the subjects' validation refuses wildcards"

    oidc = labelled(INFRA / "modules/github_oidc", "module")
    assert oidc["trust_deployer"]["subjects"] == ["${local.deploy_subject}"]
    assert oidc["trust_planner"]["subjects"] == "${local.plan_subjects}"
    source = text(INFRA / "modules/github_oidc")
    assert (
        'deploy_subject = "repo:${var.github_repository}:environment:${var.environment}"' in source
    )
    (local_values,) = parsed(INFRA / "modules/github_oidc")["locals"]
    plan_subjects = re.sub(r"\s+", " ", str(local_values["plan_subjects"]))
    assert 'var.environment == "prod" ? [] : ["repo:${var.github_repository}:pull_request"]' in (
        plan_subjects
    ), "a pull request never assumes prod's planner"
    assert "repo:${var.github_repository}:ref:refs/heads/main" in plan_subjects
    iam = labelled(INFRA / "modules/iam", "module")
    assert [unquote(s) for s in iam["promoter_trust"]["subjects"]] == [
        "${local.github_sub}:environment:promote-${var.environment}"
    ]
    assert [unquote(s) for s in iam["operator_trust"]["subjects"]] == [
        "${local.github_sub}:environment:operate-${var.environment}"
    ]


def _policy_statements(folder: Path, name: str) -> list[dict]:
    """The statements of one aws_iam_policy_document data source of a module."""
    found = []
    for block in parsed(folder).get("data", []):
        for kind, documents in block.items():
            if unquote(kind) != "aws_iam_policy_document":
                continue
            for label, body in documents.items():
                if unquote(label) == name:
                    found += [
                        {
                            "actions": [unquote(a) for a in st.get("actions", [])],
                            "resources": [unquote(r) for r in st.get("resources", [])],
                            "condition": st.get("condition"),
                            "effect": unquote(st.get("effect", '"Allow"')),
                        }
                        for st in body.get("statement", [])
                    ]
    return found


# The IAM service prefix of each kind of resource the environments deploy.
SERVICE_OF = {
    "aws_s3": "s3",
    "aws_kms": "kms",
    "aws_iam": "iam",
    "aws_glue": "glue",
    "aws_sfn": "states",
    "aws_cloudwatch_event": "events",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_log": "logs",
    "aws_sns": "sns",
    "aws_athena": "athena",
    "aws_chatbot": "chatbot",
}


def test_the_deployer_may_manage_every_kind_of_resource_an_environment_has():
    deployed = {
        tf_type
        for module in MODULES
        if module.name not in ("github_oidc", "github_trust")  # bootstrap applies those
        for (tf_type, _) in resources(module)
    }
    granted = {
        action.split(":")[0]
        for s in _policy_statements(INFRA / "modules/github_oidc", "deployer")
        if s["effect"] == "Allow"
        for action in s["actions"]
    }
    for tf_type in sorted(deployed):
        prefix = max((p for p in SERVICE_OF if tf_type.startswith(p)), key=len, default=None)
        assert prefix, f"{tf_type}: add its IAM service to SERVICE_OF"
        assert SERVICE_OF[prefix] in granted, f"the deployer cannot manage {tf_type}"


def test_the_deployer_cannot_attach_any_managed_policy_or_change_its_own_role():
    statements = _policy_statements(INFRA / "modules/github_oidc", "deployer")
    attaching = [
        s for s in statements if s["effect"] == "Allow" and "iam:AttachRolePolicy" in s["actions"]
    ]
    assert len(attaching) == 1 and attaching[0]["condition"], "AttachRolePolicy is conditioned"
    (condition,) = attaching[0]["condition"]
    assert unquote(condition["variable"]) == "iam:PolicyARN"
    allowed = [unquote(v) for v in condition["values"]]
    assert not any("AdministratorAccess" in v or v.endswith(":policy/*") for v in allowed)
    source = text(INFRA / "modules/github_oidc")
    assert 'sid       = "NeverTheDeployRoles"' in source
    assert "role/${local.name}-deployer" in source and "role/${local.name}-planner" in source


def test_the_planner_reads_configuration_not_the_account():
    """ReadOnlyAccess would let any same-repository pull request read every table, log
    and parameter of the account; the planner gets the reads a plan makes, scoped."""
    oidc = INFRA / "modules/github_oidc"
    assert not [k for k in resources(oidc) if k[0] == "aws_iam_role_policy_attachment"]
    assert ":policy/ReadOnlyAccess" not in text(oidc)
    statements = _policy_statements(oidc, "planner")
    allowed = [s for s in statements if s["effect"] == "Allow"]
    object_reads = [r for s in allowed if "s3:GetObject" in s["actions"] for r in s["resources"]]
    assert object_reads == ["${var.state_bucket_arn}", "${var.state_bucket_arn}/*"]
    for s in allowed:
        for action in s["actions"]:
            verb = action.split(":")[1]
            assert verb.startswith(("Get", "List", "Describe")), action
            assert action not in ("logs:GetLogEvents", "states:DescribeExecution"), action
    plan = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["environment"] == ["dev", "sit"]


def test_no_lifecycle_rule_expires_condemned_rows():
    """SPEC §4: condemned data is deleted only by a command that records an approval."""
    storage = text(INFRA / "modules/storage")
    retention = re.search(r"retention = (.*?)\n  \]", storage, re.S).group(1)
    assert "quarantine/" in retention and "condemned" not in retention
    for config in CONFIGS:
        assert "condemned_retention" not in text(config), config


def test_every_service_trust_is_limited_to_this_account():
    """A service principal (Glue, Step Functions, EventBridge) may assume a Lakegate role
    only on behalf of this account: aws:SourceAccount (confused deputy). Chatbot's trust
    is left as AWS documents it for its channel roles, with no source condition."""
    checked = 0
    for module in MODULES:
        for block in parsed(module).get("data", []):
            for label, body in block.get('"aws_iam_policy_document"', {}).items():
                for statement in body.get("statement", []):
                    kinds = [unquote(p["type"]) for p in statement.get("principals", [])]
                    services = [unquote(i) for p in statement.get("principals", [])
                                for i in p["identifiers"]]  # fmt: skip
                    actions = statement.get("actions", [])
                    assumes = "sts:AssumeRole" in [unquote(a) for a in actions]
                    if (
                        not assumes
                        or "Service" not in kinds
                        or services == ["chatbot.amazonaws.com"]
                    ):
                        continue
                    checked += 1
                    variables = [unquote(c["variable"]) for c in statement.get("condition", [])]
                    assert "aws:SourceAccount" in variables, (module.name, label)
    assert checked >= 3


# --- one name prefix (issue 21) ------------------------------------------------------
ACCOUNT_ID = "${data.aws_caller_identity.current.account_id}"
ACCOUNT_DEFAULT = f'coalesce(var.name_prefix, "lakegate-{ACCOUNT_ID}")'


def test_one_name_prefix_is_threaded_through_every_module():
    """Every module takes the prefix from modules/lakegate (no default of its own to
    fall back on), whose default is the command line's: lakegate-<account id>."""
    assert f'"{aws.default_name_prefix(ACCOUNT_ID)}"' in ACCOUNT_DEFAULT
    for module in ("github_oidc", "glue", "iam", "monitoring", "orchestration", "storage"):
        variables = {
            unquote(k): v
            for b in parsed(INFRA / "modules" / module)["variable"]
            for k, v in b.items()
        }
        assert "default" not in variables["name_prefix"], module
    wiring = text(INFRA / "modules/lakegate")
    assert f"name_prefix = {ACCOUNT_DEFAULT}" in wiring
    calls = labelled(INFRA / "modules/lakegate", "module")
    assert {m: unquote(c["name_prefix"]) for m, c in calls.items()} == {
        m: "${local.name_prefix}" for m in calls
    }
    assert "policy/${local.name_prefix}-${var.environment}-boundary" in wiring
    bootstrap = text(INFRA / "bootstrap")
    assert f"name_prefix = {ACCOUNT_DEFAULT}" in bootstrap
    assert '"${local.name_prefix}-${each.key}-tfstate"' in bootstrap
    assert "var.name_prefix}" not in bootstrap.replace(ACCOUNT_DEFAULT, "")
    for env in ENVS:
        assert unquote(labelled(env, "module")["lakegate"]["name_prefix"]) == "${var.name_prefix}"


def test_the_command_line_defaults_to_the_account_prefix(monkeypatch):
    from moto import mock_aws

    monkeypatch.delenv(aws.PREFIX_VARIABLE, raising=False)
    aws._account_id.cache_clear()
    try:
        with mock_aws():
            assert aws.bucket_names("dev")["silver"] == "lakegate-123456789012-dev-silver"
    finally:
        aws._account_id.cache_clear()
    monkeypatch.setenv(aws.PREFIX_VARIABLE, "acme")
    assert aws.state_machine_name("prod", "transactions") == "acme-prod-transactions-ingest"
    monkeypatch.setenv(aws.PREFIX_VARIABLE, "Acme_Lake")
    with pytest.raises(BadArgument, match="name prefix 'Acme_Lake' must be 2-21 lower-case"):
        aws.environment_name("dev")
