"""The gate and the publication plan: plain values, no storage."""

import pytest

from lakegate.config import dataset_config
from lakegate.manifest import PartitionContent
from promotion.gate import evaluate
from promotion.plan import Approval, partition_diff, plan_promotion, plan_rollback

CONFIG = dataset_config("transactions")
OK = {
    "schema_v": "v1",
    "quarantine_rate": 0.05,
    "critical_errors": {},
    "circuit_breaker_triggers": 0,
}
APPROVAL = Approval("Dana", "month end", "local:dana@host", "2026-01-21T12:00:00Z")


def test_a_clean_run_at_the_rate_limit_passes():
    assert evaluate("r1", OK, CONFIG).passed


@pytest.mark.parametrize(
    ("summary", "flags", "failing", "detail"),
    [
        (None, {}, "success", "run r1 has no _SUCCESS"),
        ({**OK, "schema_v": "v9"}, {}, "schema_v", "schema v9 (known: v1, v2)"),
        ({**OK, "quarantine_rate": 0.0501}, {}, "quarantine_rate", "5.01% > limit 5.00%"),
        (
            {**OK, "critical_errors": {"BUSINESS_DUPLICATE": 2}},
            {},
            "critical_errors",
            "BUSINESS_DUPLICATE 2",
        ),
        ({**OK, "circuit_breaker_triggers": 1}, {}, "circuit_breaker", "triggered 1x"),
        (OK, {"rejected": True}, "not_rejected", "was rejected"),
        (OK, {"already_published": True}, "not_published", "already published"),
    ],
)
def test_each_failing_condition_refuses_and_is_named(summary, flags, failing, detail):
    result = evaluate("r1", summary, CONFIG, **flags)
    assert not result.passed
    assert [c.name for c in result.failures] == [failing]
    assert detail in result.failures[0].detail


def _summary(run_id, partitions, run_type="scheduled"):
    return {
        "run_id": run_id,
        "dataset": "transactions",
        "schema_v": "v1",
        "run_type": run_type,
        "input_files": [f"transactions/{p}/a.csv" for p in partitions],
        "partitions": [
            {"partition": p, "rows": n, "files": [f"{run_id}/{p}/f.parquet"]}
            for p, n in partitions.items()
        ],
    }


MAR, APR, MAY = "year=2024/month=03", "year=2024/month=04", "year=2024/month=05"


def test_promote_rollback_promote_gives_growing_versions_and_the_right_files():
    v1 = plan_promotion(None, None, _summary("a", {MAR: 10, APR: 20}), APPROVAL, {})
    v2 = plan_promotion(v1, "m1", _summary("b", {MAR: 11, APR: 21}), APPROVAL, {})
    v3 = plan_rollback(v2, "m2", v1, APPROVAL)
    v4 = plan_promotion(v3, "m3", _summary("c", {APR: 22}, "backfill"), APPROVAL, {})
    assert [v.version for v in (v1, v2, v3, v4)] == [1, 2, 3, 4]
    assert v3.partitions == v1.partitions and v3.action == "rollback" and v3.rollback_to == 1
    assert v3.previous_version == 2 and v3.previous_manifest == "m2"
    assert v4.partitions == {
        MAR: PartitionContent(("a",), (f"a/{MAR}/f.parquet",), 10),
        APR: PartitionContent(("c",), (f"c/{APR}/f.parquet",), 22),
    }


def test_a_backfill_changes_only_its_partitions():
    v1 = plan_promotion(None, None, _summary("a", {MAR: 10, APR: 20, MAY: 30}), APPROVAL, {})
    v2 = plan_promotion(v1, "m1", _summary("bf", {APR: 25}, "backfill"), APPROVAL, {})
    assert v2.partitions[MAR] == v1.partitions[MAR] and v2.partitions[MAY] == v1.partitions[MAY]
    assert v2.partitions[APR].runs == ("bf",)
    assert [d["change"] for d in partition_diff(v1, v2)] == ["unchanged", "replaced", "unchanged"]


def test_a_retry_run_appends_its_files():
    v1 = plan_promotion(None, None, _summary("a", {MAR: 10}), APPROVAL, {})
    v2 = plan_promotion(v1, "m1", _summary("fix", {MAR: 2}, "retry"), APPROVAL, {})
    assert v2.partitions[MAR] == PartitionContent(
        ("a", "fix"), (f"a/{MAR}/f.parquet", f"fix/{MAR}/f.parquet"), 12
    )
    assert partition_diff(v1, v2)[0]["change"] == "appended"


def test_a_month_read_without_valid_rows_is_replaced_by_an_empty_list():
    v1 = plan_promotion(None, None, _summary("a", {MAR: 10}), APPROVAL, {})
    empty = {**_summary("b", {}), "input_files": [f"transactions/{MAR}/a.csv"]}
    v2 = plan_promotion(v1, "m1", empty, APPROVAL, {})
    assert v2.partitions[MAR] == PartitionContent(("b",), (), 0)
