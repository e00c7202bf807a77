"""The state machine definition: a template for Terraform's templatefile().

`state_machine/ingest.asl.json` is rendered here exactly as Terraform renders it
(lakegate.templating), so the tests execute what is deployed.
"""

from __future__ import annotations

from pathlib import Path

from lakegate import intrinsics
from lakegate.summary import SUCCESS_FIELD_TYPES
from lakegate.templating import placeholders
from lakegate.templating import render as render_template

TEMPLATE = Path(__file__).resolve().parent.parent / "state_machine" / "ingest.asl.json"
__all__ = ["EXAMPLE_VALUES", "TEMPLATE", "placeholders", "render"]


def render(values: dict[str, object], template: str | None = None) -> str:
    """Fill every placeholder; KeyError names one that has no value."""
    return render_template(TEMPLATE.read_text() if template is None else template, values)


EXAMPLE_VALUES = {
    "dataset": "transactions",
    "environment": "dev",
    "glue_job_name": "lakegate-dev-transactions-ingest",
    "glue_retry_interval_seconds": 60,
    "success_retry_interval_seconds": 5,
    "max_quarantine_rate": 0.05,
    "schema_v": "v1",
    "silver_bucket": "lakegate-dev-silver",
    "reviewers_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-reviewers",
    "job_failure_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-data-platform-p1",
    "job_failure_owner": "Data Platform",
    "gate_failure_topic_arn": "arn:aws:sns:eu-west-1:123456789012:lakegate-dev-data-quality-p2",
    "gate_failure_owner": "Data Quality",
    "runbook_base_url": "https://github.com/lakegate/lakegate/blob/main/docs/runbooks",
}


# What each path the definition reads holds: the execution's identity, the run's
# parameters (Defaults merged with the execution input: strings), the run summary read
# from _SUCCESS, a caught error, and the S3 object body before it is parsed.
PATH_TYPES = {
    "$.run_id": "string",
    "$.execution_arn": "string",
    "$.run.*": "string",
    "$.defaults": "object",
    "$$.Execution.Input": "object",
    "$.Body": "string",
    "$.error.Error": "string",
    "$.error.Cause": "string",
    **{f"$.output.summary.{name}": kind for name, kind in SUCCESS_FIELD_TYPES.items()},
}


def intrinsic_problems(definition: str) -> list[str]:
    """Arguments of intrinsic functions that AWS would refuse (lakegate.intrinsics)."""
    import json

    return intrinsics.definition_problems(json.loads(definition), PATH_TYPES)


# Every error name a Retry or Catch may match: the States language's own, and each
# service error with where AWS documents that the service raises it. Errors of an
# optimized or AWS SDK integration are named <Service>.<Error>, with the Exception
# suffix added where the service's API reference has none (S3's NoSuchKey).
STATES_ERRORS = {
    "States.ALL", "States.HeartbeatTimeout", "States.Timeout", "States.TaskFailed",
    "States.Permissions", "States.ResultPathMatchFailure", "States.ParameterPathFailure",
    "States.QueryEvaluationError", "States.BranchFailed", "States.NoChoiceMatched",
    "States.IntrinsicFailure", "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed", "States.ResultWriterFailed",
}  # fmt: skip
SDK_NAMING = "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html"
GLUE_ERRORS = "https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-exceptions.html"
# Throttling of glue:startJobRun has no exception of its own in Glue's model: Step
# Functions reports it as Glue.AWSGlueException ("Rate exceeded ... ThrottlingException").
GLUE_THROTTLING = "https://repost.aws/knowledge-center/glue-throttling-rate-exceeded"
SERVICE_ERRORS = {
    "Glue.ConcurrentRunsExceededException": ("glue:startJobRun", GLUE_ERRORS),
    "Glue.InternalServiceException": ("glue:startJobRun", GLUE_ERRORS),
    "Glue.OperationTimeoutException": ("glue:startJobRun", GLUE_ERRORS),
    "Glue.ResourceNumberLimitExceededException": ("glue:startJobRun", GLUE_ERRORS),
    "Glue.AWSGlueException": ("glue:startJobRun", GLUE_THROTTLING),
    "S3.NoSuchKeyException": ("aws-sdk:s3:getObject", SDK_NAMING),
}


def error_name_problems(definition: str) -> list[str]:
    """Retry and Catch error names no service raises where they are used: not a States
    error, not in SERVICE_ERRORS, or listed for another task's resource."""
    import json

    problems = []
    for name, state in json.loads(definition)["States"].items():
        resource = state.get("Resource", "")
        for kind in ("Retry", "Catch"):
            for index, rule in enumerate(state.get(kind, [])):
                for error in rule["ErrorEquals"]:
                    if error in STATES_ERRORS:
                        continue
                    raised_by = SERVICE_ERRORS.get(error, (None,))[0]
                    if raised_by is None:
                        problems.append(f"{name}.{kind}[{index}]: {error} is raised by no service")
                    elif f":{raised_by}" not in resource:
                        problems.append(
                            f"{name}.{kind}[{index}]: {error} comes from {raised_by},"
                            f" not from {resource or 'this state'}"
                        )
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m lakegate.asl --check`: render with example values and run statelint."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(render(EXAMPLE_VALUES))
    statelint = Path(sys.executable).parent / "statelint"
    result = subprocess.run([str(statelint), handle.name], check=False)
    Path(handle.name).unlink()
    if result.returncode == 0:
        print(f"statelint: {TEMPLATE.name} is valid ASL")
    found = intrinsic_problems(render(EXAMPLE_VALUES))
    for problem in found:
        print(f"intrinsic functions: {problem}")
    if not found:
        print(f"intrinsic functions: every argument in {TEMPLATE.name} has a type AWS accepts")
    wrong = error_name_problems(render(EXAMPLE_VALUES))
    for problem in wrong:
        print(f"error names: {problem}")
    if not wrong:
        print(f"error names: every Retry and Catch in {TEMPLATE.name} names an error AWS raises")
    return result.returncode or (1 if found or wrong else 0)


if __name__ == "__main__":
    raise SystemExit(main())
