"""Plain-logic decisions: circuit breaker, attempt counting, metrics. No Spark."""

from datetime import UTC, datetime, timedelta

import pytest

from lakegate.attempts import MAX_ATTEMPTS, attempt_for, is_exhausted
from lakegate.breaker import (
    RecentRun,
    counted_runs,
    needs_distinct_count,
    over_threshold,
    upper_bound,
)
from lakegate.metrics import (
    CLOUDWATCH_METRICS,
    ERROR_TYPES,
    CountRow,
    cloudwatch_metric_data,
    missing_partitions,
    publication_state,
    summarize_counts,
    with_plain_valid,
)

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)
RUN_SUMMARY = {
    "dataset": "transactions",
    "run_type": "scheduled",
    "input_rows": 10,
    "valid_rows_count": 9,
    "quarantined_rows_count": 1,
    "condemned_rows_count": 0,
    "quarantine_rate": 0.1,
    "validation_failure_rate": 0.1,
    "error_type_distribution": {"TYPE_ERROR": 1},
    "duplicate_detection_rate": 0.0,
    "auto_condemnation_rate": 0.0,
    "avg_attempt_count": 0.0,
    "circuit_breaker_triggers": 0,
    "missing_partitions": 0,
    "duration_seconds": 3.5,
    "rows_per_second": 2.857,
    "publication": {"version": 4, "age_hours": 20.5, "waiting_hours": 0.0, "gold_lag_hours": 3.0},
}


def test_breaker_does_not_trip_at_threshold():
    assert over_threshold({"TYPE_ERROR": 100}, threshold=100) == {}


def test_breaker_trips_at_threshold_plus_one():
    assert over_threshold({"TYPE_ERROR": 101}, threshold=100) == {"TYPE_ERROR": 101}


def test_breaker_counts_one_error_type_at_a_time():
    assert over_threshold({"TYPE_ERROR": 60, "CURRENCY_ERROR": 60}, 100) == {}


def test_breaker_counts_runs_that_finished_within_the_hour_only():
    recent = [
        RecentRun("a", NOW - timedelta(minutes=59), {"TYPE_ERROR": 50}),
        RecentRun("b", NOW - timedelta(minutes=61), {"TYPE_ERROR": 500}),
        RecentRun("c", NOW + timedelta(minutes=1), {"TYPE_ERROR": 500}),
    ]
    assert [r.run_id for r in counted_runs(recent, NOW)] == ["a"]
    assert upper_bound({"TYPE_ERROR": 51}, counted_runs(recent, NOW)) == {"TYPE_ERROR": 101}


def test_distinct_rows_are_counted_only_when_the_sum_of_runs_is_over():
    """One run's failed rows are distinct lines; other runs' rows may be the same lines,
    so their sum is only an upper bound: counting distinct rows is needed above it."""
    recent = [RecentRun("a", NOW - timedelta(minutes=5), {"CURRENCY_ERROR": 60})]
    assert not needs_distinct_count({"CURRENCY_ERROR": 60}, [], 100)
    assert not needs_distinct_count({"CURRENCY_ERROR": 40}, recent, 100)
    assert needs_distinct_count({"CURRENCY_ERROR": 60}, recent, 100)
    assert not needs_distinct_count({"TYPE_ERROR": 60}, recent, 100)


@pytest.mark.parametrize(
    ("same_source", "highest_prior", "expected"),
    [(None, None, 0), (None, 0, 1), (None, 1, 2), (None, 2, 3), (0, 2, 0), (2, 2, 2)],
)
def test_attempt_counting(same_source, highest_prior, expected):
    assert attempt_for(same_source, highest_prior) == expected


def test_attempts_zero_to_two_may_be_retried_three_is_condemned():
    assert MAX_ATTEMPTS == 3
    assert [is_exhausted(n) for n in range(4)] == [False, False, False, True]


def test_summary_metrics_from_counts():
    counts = [
        CountRow("valid", None, "year=2024/month=03", 950, 0),
        CountRow("valid", None, "year=2024/month=04", 8, 0),
        CountRow("valid", None, "year=2024/month=04", 2, 3, "run-1"),  # fixed on attempt 1, 2
        CountRow("quarantined", "TYPE_ERROR", "year=2024/month=03", 20, 10),
        CountRow("quarantined", "BUSINESS_DUPLICATE", "year=2024/month=03", 5, 0),
        CountRow("condemned", "EXACT_DUPLICATE", "year=2024/month=03", 10, 0),
        CountRow("condemned", "TYPE_ERROR", "year=2024/month=04", 5, 15),
    ]
    summary = summarize_counts(counts)
    assert summary["input_rows"] == 1000
    assert (
        summary["valid_rows_count"],
        summary["quarantined_rows_count"],
        summary["condemned_rows_count"],
    ) == (960, 25, 15)
    assert summary["quarantine_rate"] == 0.025
    assert summary["error_type_distribution"] == {
        "TYPE_ERROR": 25,
        "EXACT_DUPLICATE": 10,
        "BUSINESS_DUPLICATE": 5,
    }
    assert list(summary["error_type_distribution"]) == [
        "TYPE_ERROR",
        "EXACT_DUPLICATE",
        "BUSINESS_DUPLICATE",
    ]
    assert summary["critical_errors"] == {"BUSINESS_DUPLICATE": 5}
    assert summary["duplicate_detection_rate"] == 0.015
    assert summary["auto_condemnation_rate"] == 0.015
    assert summary["validation_failure_rate"] == 0.04
    # Over every row processed: 10 + 15 attempts of failed rows, 3 of fixed ones.
    assert summary["avg_attempt_count"] == 0.028
    assert summary["valid_rows_by_partition"] == {
        "year=2024/month=03": 950,
        "year=2024/month=04": 10,
    }


def test_empty_run_has_zero_rates():
    summary = summarize_counts([])
    assert summary["input_rows"] == 0 and summary["quarantine_rate"] == 0.0


def test_cloudwatch_data_uses_the_shared_metric_names():
    summary = RUN_SUMMARY
    data = cloudwatch_metric_data(summary, gold_dataset="account_balances")
    assert {d["MetricName"] for d in data} == {
        *CLOUDWATCH_METRICS,
        "ErrorRows",
        "ErrorTypeRate",
        "PublishedAgeHours",
        "AwaitingDecisionHours",
        "GoldLagHours",
    }
    (waiting,) = {d["Value"] for d in data if d["MetricName"] == "AwaitingDecisionHours"}
    assert waiting == 0.0
    by_dataset = [{"Name": "Dataset", "Value": "transactions"}]
    by_run_type = [*by_dataset, {"Name": "RunType", "Value": "scheduled"}]
    rates = [d for d in data if d["MetricName"] == "QuarantineRate"]
    assert [(d["Value"], d["Dimensions"]) for d in rates] == [(0.1, by_dataset), (0.1, by_run_type)]
    errors = [
        d
        for d in data
        if d["MetricName"] in ("ErrorRows", "ErrorTypeRate")
        and d["Dimensions"][-1]["Value"] == "TYPE_ERROR"
    ]
    error_type = {"Name": "ErrorType", "Value": "TYPE_ERROR"}
    clean = [d for d in data if d["MetricName"] == "ErrorRows" and d["Value"] == 0]
    others = len(ERROR_TYPES) - 1
    assert len(clean) == 2 * others, "every other error type is published as 0"
    assert [(d["MetricName"], d["Value"], d["Dimensions"]) for d in errors] == [
        ("ErrorRows", 1.0, [*by_dataset, error_type]),
        ("ErrorRows", 1.0, [*by_run_type, error_type]),
        ("ErrorTypeRate", 0.1, [*by_dataset, error_type]),
        ("ErrorTypeRate", 0.1, [*by_run_type, error_type]),
    ]
    lags = [d for d in data if d["MetricName"] == "GoldLagHours"]
    gold = [{"Name": "Dataset", "Value": "account_balances"}]
    assert [(d["Value"], d["Dimensions"]) for d in lags] == [
        (3.0, gold),
        (3.0, [*gold, {"Name": "RunType", "Value": "scheduled"}]),
    ]
    # Every metric is published with the dataset alone and with the run type too.
    names = {d["MetricName"] for d in data}
    for name in names:
        sets = {tuple(x["Name"] for x in d["Dimensions"] if x["Name"] != "ErrorType")
                for d in data if d["MetricName"] == name}  # fmt: skip
        assert sets == {("Dataset",), ("Dataset", "RunType")}, name
    assert not any(d["MetricName"] == "GoldLagHours" for d in cloudwatch_metric_data(summary))


def test_a_summary_without_a_run_type_is_refused():
    with pytest.raises(ValueError, match="run_type None is not a run type"):
        cloudwatch_metric_data({**RUN_SUMMARY, "run_type": None})


def test_the_current_month_is_not_missing_in_its_grace_days():
    summary = {
        **RUN_SUMMARY,
        "input_window": {"from": "2026-02", "to": "2026-03"},
        "partitions": [{"partition": "year=2026/month=02", "rows": 5}],
        "ended_at": "2026-03-02T02:10:00Z",
    }
    assert missing_partitions(summary) == 0
    assert missing_partitions(summary, grace_days=1) == 1
    assert missing_partitions({**summary, "ended_at": "2026-03-04T02:10:00Z"}) == 1
    # Only the month the run ends in has grace: an earlier month is missing at once.
    assert missing_partitions({**summary, "partitions": []}) == 1


def test_publication_state_ages_and_gold_lag():
    ended = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    assert publication_state(ended, None, None, has_gold=True) == {
        "version": None,
        "age_hours": None,
        "waiting_hours": 0.0,
        "gold_lag_hours": None,
    }
    state = publication_state(
        ended, "2026-03-04T08:00:00+00:00", 7, "2026-03-01T08:00:00+00:00", has_gold=True
    )
    assert state == {"version": 7, "age_hours": 18.0, "waiting_hours": 0.0, "gold_lag_hours": 72.0}
    waited = publication_state(
        ended, "2026-03-04T08:00:00+00:00", 7, waiting_since=datetime(2026, 3, 4, 2, tzinfo=UTC)
    )
    assert waited["waiting_hours"] == 24.0
    # Gold published after silver: no lag. Gold never published: the whole age.
    assert (
        publication_state(
            ended, "2026-03-04T08:00:00+00:00", 7, "2026-03-04T09:00:00+00:00", has_gold=True
        )["gold_lag_hours"]
        == 0.0
    )
    assert (
        publication_state(ended, "2026-03-04T08:00:00+00:00", 7, None, has_gold=True)[
            "gold_lag_hours"
        ]
        == 18.0
    )
    assert publication_state(ended, "2026-03-04T08:00:00+00:00", 7)["gold_lag_hours"] is None


def test_missing_partitions_counts_window_months_without_silver_rows():
    summary = {
        **RUN_SUMMARY,
        "run_type": "backfill",
        "input_window": {"from": "2023-11", "to": "2024-02"},
        "partitions": [
            {"partition": "year=2023/month=11", "rows": 5},
            {"partition": "year=2024/month=01", "rows": 0},
            {"partition": "year=2024/month=02", "rows": 4},
        ],
    }
    assert missing_partitions(summary) == 2  # December absent, January all rejected
    data = {
        d["MetricName"]: d["Value"]
        for d in cloudwatch_metric_data(
            {**summary, "missing_partitions": missing_partitions(summary)}
        )
    }
    assert data["MissingPartitions"] == 2.0
    assert missing_partitions({**summary, "run_type": "retry"}) is None
    assert missing_partitions({**summary, "halted": {"tripped": {}}}) is None


def test_run_metrics_reach_cloudwatch_under_the_shared_names():
    import boto3
    from moto import mock_aws

    from lakegate.metrics import METRIC_NAMESPACE, publish_cloudwatch

    summary = RUN_SUMMARY
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="eu-west-1")
        publish_cloudwatch(client, summary)
        listed = client.list_metrics(Namespace=METRIC_NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in listed} == {
        *CLOUDWATCH_METRICS,
        "ErrorRows",
        "ErrorTypeRate",
        "PublishedAgeHours",
        "AwaitingDecisionHours",
    }
    dimension_sets = {
        tuple(sorted(d["Name"] for d in m["Dimensions"]))
        for m in listed
        if m["MetricName"] == "InputRows"
    }
    assert dimension_sets == {("Dataset",), ("Dataset", "RunType")}


def test_rows_not_counted_are_the_plainly_valid_remainder_of_each_partition():
    counted = [
        CountRow("quarantined", "TYPE_ERROR", "year=2024/month=03", 20, 0),
        CountRow("valid", None, "year=2024/month=03", 3, 0, "run-1"),  # a fixed row
        CountRow("condemned", "EXACT_DUPLICATE", "year=2024/month=04", 5, 0),
    ]
    read = {"year=2024/month=03": 1000, "year=2024/month=04": 5, "year=2024/month=05": 7}
    summary = summarize_counts(with_plain_valid(counted, read))
    assert summary["input_rows"] == 1012
    assert summary["valid_rows_count"] == 987
    assert summary["valid_rows_by_partition"] == {
        "year=2024/month=03": 980,
        "year=2024/month=05": 7,
    }
    assert summary["retried_from"] == {"run-1": {"valid": 3, "quarantined": 0, "condemned": 0}}


@pytest.mark.parametrize(
    ("counted", "read", "message"),
    [
        (
            [CountRow("quarantined", "TYPE_ERROR", "year=2024/month=03", 11, 0)],
            {"year=2024/month=03": 10},
            "year=2024/month=03: 11 rows counted, 10 rows read",
        ),
        (
            [CountRow("quarantined", "TYPE_ERROR", "year=2024/month=04", 1, 0)],
            {"year=2024/month=03": 10},
            "rows counted in partition year=2024/month=04, which no line was read from",
        ),
    ],
)
def test_counts_that_exceed_the_rows_read_are_refused(counted, read, message):
    with pytest.raises(ValueError, match=message):
        with_plain_valid(counted, read)


def test_runs_waiting_for_a_decision_are_those_finished_since_the_publication():
    from lakegate.catalog import RunRef, waiting_since

    published = datetime(2026, 3, 4, 10, tzinfo=UTC)

    def ref(run_id, hour, day=4):
        return RunRef(run_id, "v1", f"{run_id}/_SUCCESS", datetime(2026, 3, day, hour, tzinfo=UTC))

    refs = [
        ref("passed-over", 2),  # finished before the publication: the approver chose another
        ref("serving", 9),
        ref("waiting", 2, day=5),
        ref("newer", 3, day=6),
        ref("rejected", 1, day=5),
        RunRef("failed", "v1", None, None),
    ]
    served, rejected = {"serving"}, {"rejected"}
    assert waiting_since(refs, published, served, rejected) == datetime(2026, 3, 5, 2, tzinfo=UTC)
    assert waiting_since(refs[:2], published, served, rejected) is None
    # Before the first publication every completed run waits.
    assert waiting_since(refs, None, set(), set()) == datetime(2026, 3, 4, 2, tzinfo=UTC)
