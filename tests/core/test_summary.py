"""The run summary as a typed document: one codec, every field's JSON type checked on
read, a one-line error naming the field and the document."""

from __future__ import annotations

import json

import pytest

from lakegate.errors import LakegateError
from lakegate.storage import Lake
from lakegate.summary import OPTIONAL, REQUIRED, SUCCESS_FIELD_TYPES, RunSummary
from tests.fake_runs import make_run

MAR = "year=2024/month=03"


@pytest.fixture
def summary(tmp_path) -> RunSummary:
    return make_run(Lake.local(tmp_path / "lake"), "r1", {MAR: 10})


def test_a_summary_reads_back_as_it_was_written(summary):
    assert RunSummary.from_json(summary.to_json()) == summary


def test_optional_fields_are_left_out_until_set(summary):
    body = json.loads(summary.to_json())
    assert not OPTIONAL & set(body) - {"control_totals"}
    assert "halted" not in summary and summary.get("halted") is None
    halted = summary.but(halted={"tripped": {"TYPE_ERROR": 101}, "threshold": 100})
    assert json.loads(halted.to_json())["halted"]["threshold"] == 100
    assert halted["halted"] == halted.halted


def test_it_reads_as_the_mapping_the_json_is(summary):
    body = json.loads(summary.to_json())
    assert dict(summary) == body
    assert list(summary) == list(body)
    assert summary["quarantine_rate"] == summary.quarantine_rate


@pytest.mark.parametrize("field", sorted(REQUIRED))
def test_a_missing_field_is_named_with_the_document(summary, field):
    body = json.loads(summary.to_json())
    del body[field]
    with pytest.raises(LakegateError, match=f"^s3://silver/r1/_SUCCESS: field {field} is missing$"):
        RunSummary.from_json(json.dumps(body), "s3://silver/r1/_SUCCESS")


def test_a_field_of_the_wrong_type_is_named(summary):
    body = json.loads(summary.to_json())
    body["quarantine_rate"] = "0.01"
    with pytest.raises(LakegateError, match="field quarantine_rate is string, expected number"):
        RunSummary.from_json(json.dumps(body))
    body["quarantine_rate"] = True
    with pytest.raises(LakegateError, match="field quarantine_rate is boolean, expected number"):
        RunSummary.from_json(json.dumps(body))
    body["quarantine_rate"], body["run_type"] = 0.01, "nightly"
    with pytest.raises(LakegateError, match="field run_type is 'nightly', expected one of sched"):
        RunSummary.from_json(json.dumps(body))


def test_an_unknown_field_and_a_damaged_document_are_refused(summary):
    body = json.loads(summary.to_json())
    body["quarantine_rat"] = 0.5
    with pytest.raises(LakegateError, match="unknown field quarantine_rat"):
        RunSummary.from_json(json.dumps(body))
    with pytest.raises(LakegateError, match=r"^_SUCCESS: not JSON"):
        RunSummary.from_json(b'{"run_id": "r1"', "_SUCCESS")
    with pytest.raises(LakegateError, match="not a JSON object"):
        RunSummary.from_json(b"[1, 2]")


def test_a_run_from_before_control_totals_and_retry_counts_still_reads(summary):
    body = json.loads(summary.to_json())
    del body["control_totals"], body["retried_from"]
    old = RunSummary.from_json(json.dumps(body))
    assert old.control_totals is None and old.retried_from == {}


def test_what_every_success_has_is_what_the_state_machine_may_read():
    assert set(SUCCESS_FIELD_TYPES) == set(REQUIRED) | {"retried_from"}
    assert SUCCESS_FIELD_TYPES["missing_partitions"] == "number|null"
    assert SUCCESS_FIELD_TYPES["critical_errors"] == "object"
    assert SUCCESS_FIELD_TYPES["execution_arn"] == "string|null"
