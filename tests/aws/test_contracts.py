"""Contracts between the parts: the state machine, Terraform, the job and the alarms."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from lakegate import intrinsics
from lakegate.asl import (
    PATH_TYPES,
    TEMPLATE,
    error_name_problems,
    intrinsic_problems,
    placeholders,
    render,
)
from lakegate.metrics import (
    FAILURE_METRIC,
    GATE_FAILURE_METRIC,
    METRIC_DIMENSION,
    METRIC_NAMESPACE,
    MISSING_SUCCESS_METRIC,
)
from lakegate.summary import SUCCESS_FIELDS

ROOT = Path(__file__).resolve().parents[2]
ORCHESTRATION = ROOT / "infra/modules/orchestration/main.tf"


def templatefile_values(tf_text: str) -> set[str]:
    """The keys of the map passed to templatefile() for the ASL file."""
    start = tf_text.index('templatefile("${path.module}/../../../state_machine/ingest.asl.json"')
    open_brace = tf_text.index('", {', start) + 3  # after the file argument
    depth, end = 0, open_brace
    for end in range(open_brace, len(tf_text)):
        depth += {"{": 1, "}": -1}.get(tf_text[end], 0)
        if depth == 0:
            break
    body = tf_text[open_brace + 1 : end]
    return set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", body, re.MULTILINE))


def sample_values() -> dict:
    return {name: "x" for name in placeholders(TEMPLATE.read_text())} | {
        "glue_retry_interval_seconds": 60,
        "success_retry_interval_seconds": 5,
        "max_quarantine_rate": 0.05,
    }


def test_terraform_gives_every_asl_placeholder_a_value_and_no_more():
    text = ORCHESTRATION.read_text()
    hcl2.loads(text)  # parses
    assert "state_machine/ingest.asl.json" in text
    assert templatefile_values(text) == placeholders(TEMPLATE.read_text())


def test_contract_check_notices_a_missing_value():
    broken = ORCHESTRATION.read_text().replace("    gate_failure_topic_arn", "    gate_topic", 1)
    assert templatefile_values(broken) != placeholders(TEMPLATE.read_text())


def test_rendered_definition_passes_statelint(tmp_path):
    rendered = tmp_path / "ingest.json"
    rendered.write_text(render(sample_values()))
    result = subprocess.run(
        [Path(sys.executable).parent / "statelint", str(rendered)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_statelint_rejects_a_broken_definition(tmp_path):
    broken = json.loads(render(sample_values()))
    broken["States"]["RunETL"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run(
        [Path(sys.executable).parent / "statelint", str(path)], capture_output=True, text=True
    )
    assert result.returncode != 0 and "NoSuchState" in result.stdout


def test_success_fields_the_state_machine_reads_are_written_by_the_job():
    text = TEMPLATE.read_text()
    read = set(re.findall(r"\$\.output\.summary\.([A-Za-z_]+)", text))
    assert read, "the state machine reads the run summary"
    assert read <= set(SUCCESS_FIELDS), read - set(SUCCESS_FIELDS)


def test_the_failure_metric_is_the_one_the_code_names():
    machine = json.loads(render(sample_values()))
    expected = {
        "HandleFailure": FAILURE_METRIC,
        "GateFailed": GATE_FAILURE_METRIC,
        "CountMissingSuccess": MISSING_SUCCESS_METRIC,
    }
    for state, metric in expected.items():
        parameters = machine["States"][state]["Parameters"]
        assert parameters["Namespace"] == METRIC_NAMESPACE
        by_dataset, by_run_type = parameters["MetricData"]
        assert by_dataset["MetricName"] == by_run_type["MetricName"] == metric
        assert [d["Name"] for d in by_dataset["Dimensions"]] == [METRIC_DIMENSION]
        assert [d["Name"] for d in by_run_type["Dimensions"]] == [METRIC_DIMENSION, "RunType"]
        assert by_run_type["Dimensions"][1]["Value.$"] == "$.run.run_type"
    policy = (ORCHESTRATION.parent / "policies/state_machine.json.tftpl").read_text()
    assert f'"cloudwatch:namespace": ["{METRIC_NAMESPACE}"]' in policy


def test_every_task_is_caught_and_failures_end_in_the_fail_state():
    states = json.loads(render(sample_values()))["States"]
    for name, state in states.items():
        if state["Type"] == "Task":
            assert state.get("Catch"), f"{name} has no Catch"
    assert states["HandleFailure"]["Next"] == "AlertFailure"
    assert states["AlertFailure"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"
    retry = states["RunETL"]["Retry"]
    assert all(r["MaxAttempts"] <= 3 and r["BackoffRate"] > 1 for r in retry)
    assert not any(
        "States.TaskFailed" in r["ErrorEquals"] or "States.ALL" in r["ErrorEquals"] for r in retry
    ), "a failed job must not be retried"


def test_the_schedule_input_is_a_scheduled_run():
    assert json.loads((ROOT / "state_machine/scheduled_input.json").read_text()) == {
        "run_type": "scheduled"
    }
    assert "schedule_expression = var.schedule_expression" in ORCHESTRATION.read_text()
    variables = (ROOT / "infra/modules/orchestration/variables.tf").read_text()
    assert 'default     = "cron(0 2 * * ? *)"' in variables


def test_every_intrinsic_argument_has_a_type_aws_accepts():
    """moto runs States.Format on an object; AWS fails it with States.IntrinsicFailure."""
    assert intrinsic_problems(render(sample_values())) == []


def test_the_intrinsic_check_finds_an_object_given_to_format():
    fixed = "States.JsonToString($.output.summary.critical_errors)"
    template = TEMPLATE.read_text()
    assert fixed in template
    broken = template.replace(fixed, "$.output.summary.critical_errors")
    assert intrinsic_problems(render(sample_values(), broken)) == [
        "NotifyGateFailed.Parameters.Message.$: States.Format argument 4"
        " ($.output.summary.critical_errors) is an object; it takes boolean or null or number"
        " or string (AWS fails with States.IntrinsicFailure)"
    ]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("States.Format('{}', $.output.summary.partitions)", "is an array"),
        ("States.Format('{}', $.output.summary.nope)", "$.output.summary.nope has no known type"),
        ("States.StringToJson($.output.summary.input_rows)", "is a number; it takes string"),
        ("States.ArrayLength($.run.x)", "States.ArrayLength is not one of the checked functions"),
        ("States.Format('{}', $.output.summary.execution_arn)", None),
        ("States.Format('{} {}', $.run.year, States.JsonToString($.defaults))", None),
    ],
)
def test_intrinsic_arguments_are_typed_from_the_paths_they_read(expression, problem):
    found = intrinsics.problems(intrinsics.parse(expression), PATH_TYPES, "S")
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_every_retry_and_catch_names_an_error_aws_raises():
    """moto raises whatever name a test gives it; AWS names Glue throttling
    Glue.AWSGlueException, so a retry on Glue.ThrottlingException never fires."""
    assert error_name_problems(render(sample_values())) == []
    template = TEMPLATE.read_text()
    broken = template.replace('"Glue.AWSGlueException"', '"Glue.ThrottlingException"')
    assert error_name_problems(render(sample_values(), broken)) == [
        "RunETL.Retry[0]: Glue.ThrottlingException is raised by no service"
    ]
    misplaced = json.loads(render(sample_values()))
    misplaced["States"]["RunETL"]["Retry"][0]["ErrorEquals"].append("S3.NoSuchKeyException")
    assert error_name_problems(json.dumps(misplaced)) == [
        "RunETL.Retry[0]: S3.NoSuchKeyException comes from aws-sdk:s3:getObject, not from"
        " arn:aws:states:::glue:startJobRun.sync"
    ]
