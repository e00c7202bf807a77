"""What Terraform deploys, read from its own HCL: the Glue jobs as infra/modules/glue
defines them (script, DefaultArguments and concurrency, interpolated with the values the
environment passes), so the rehearsal starts the jobs Terraform deploys; and the
write-once buckets with the audit retention each environment asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import hcl2

from lakegate import aws, datasets
from lakegate.storage import RETENTION_DAYS_TAG, RETENTION_MODE_TAG, Retention
from rehearsal.roles import INFRA, Place, interpolate, unquote

# The iam module output each job's role_arn names -> the role in rehearsal.roles.
JOB_ROLES = {"var.job_role_arn": "job", "var.gold_job_role_arn": "gold_job"}
MERGED = re.compile(r'"(--[^"]+)"\s*=\s*("(?:\$\{[^}]*\}|[^"])*"|[A-Za-z_][A-Za-z0-9_.]*)')


@dataclass(frozen=True)
class GlueJob:
    name: str
    script: str  # the file in glue_jobs/ the job's ScriptLocation names
    default_arguments: dict[str, str]
    max_concurrent_runs: int
    role: str  # the rehearsal role it runs as (rehearsal.roles.TEMPLATES)


WRITE_ONCE = re.compile(r"write_once\s*=\s*toset\(\[([^\]]*)\]\)")


def write_once_buckets() -> list[str]:
    """The lake roles created with Object Lock (infra/modules/storage: local.write_once)."""
    (roles,) = WRITE_ONCE.findall((INFRA / "storage" / "main.tf").read_text())
    return [unquote(role.strip()) for role in roles.split(",")]


def audit_retention(env: str) -> Retention:
    """The audit retention infra/envs/<env> passes to the lakegate module."""
    root = INFRA.parent / "envs" / env / "main.tf"
    modules = {unquote(k): v for b in hcl2.loads(root.read_text())["module"] for k, v in b.items()}
    value = modules["lakegate"]["audit_retention"]
    return Retention(unquote(value["mode"]), int(value["days"]))


def retention_tags(retention: Retention) -> list[dict[str, str]]:
    """The tags infra/modules/storage puts on each write-once bucket."""
    return [
        {"Key": RETENTION_MODE_TAG, "Value": retention.mode},
        {"Key": RETENTION_DAYS_TAG, "Value": str(retention.days)},
    ]


@cache
def _module() -> dict:
    return hcl2.loads((INFRA / "glue" / "main.tf").read_text())


def _references(place: Place, code_version: str, schema_v: str) -> dict[str, str]:
    locals_ = {k: v for block in _module()["locals"] for k, v in block.items()}
    refs = {
        "var.name_prefix": place.name_prefix,
        "var.environment": place.env,
        # The rehearsal deploys one dataset: each job's for_each key is it.
        "each.key": place.dataset,
        "each.value": datasets.dataset(place.dataset).gold or "",
        "each.value.schema_v": schema_v,
        "var.code_version": code_version,
        **{f'var.bucket_names["{role}"]': bucket for role, bucket in place.buckets.items()},
    }
    variables = {
        k: v
        for block in hcl2.loads((INFRA / "glue" / "variables.tf").read_text())["variable"]
        for k, v in block.items()
    }
    variables = {k.strip(chr(34)): v for k, v in variables.items()}
    refs["var.max_concurrent_runs"] = str(variables["max_concurrent_runs"]["default"])
    # The rehearsal is dev, which keeps the module's default: no auto scaling.
    refs["var.auto_scaling"] = str(variables["auto_scaling"]["default"]).lower()
    for name in ("name", "code", "log_group_prefix"):
        refs[f"local.{name}"] = unquote(locals_[name])
    return refs


def glue_jobs(place: Place, code_version: str, schema_v: str = "v1") -> dict[str, GlueJob]:
    """Both jobs of the dataset by name (<prefix>-<env>-<dataset>-ingest and -gold)."""
    refs = _references(place, code_version, schema_v)
    locals_ = {k: v for block in _module()["locals"] for k, v in block.items()}
    common = {unquote(k): interpolate(v, refs) for k, v in locals_["common_arguments"].items()}
    jobs = {}
    for block in _module()["resource"]:
        for body in block.get('"aws_glue_job"', {}).values():
            name = interpolate(body["name"], refs)
            merged = body["default_arguments"]
            own = {key: interpolate(value, refs) for key, value in MERGED.findall(merged)}
            (command,) = body["command"]
            location = interpolate(command["script_location"], refs)
            (execution,) = body["execution_property"]
            runs = interpolate(str(execution["max_concurrent_runs"]), refs)
            jobs[name] = GlueJob(
                name=name,
                script=location.rsplit("/", 1)[-1],
                default_arguments={**common, **own},
                max_concurrent_runs=int(runs) if runs.isdigit() else 1,
                role=JOB_ROLES[unquote(body["role_arn"]).strip("${}")],
            )
    expected = {
        aws.glue_job_name(place.env, place.dataset, place.name_prefix),
        aws.gold_job_name(place.env, place.dataset, place.name_prefix),
    }
    if set(jobs) != expected:
        raise ValueError(f"infra/modules/glue defines jobs {sorted(jobs)}, not {sorted(expected)}")
    return jobs
