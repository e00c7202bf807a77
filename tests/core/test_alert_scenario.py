"""35 days of operation: the datapoints Lakegate's metric code publishes for each day's
runs, and the alarms of lakegate/alerts.json evaluated over them as CloudWatch would.
The expected notifications per day are written by hand: a quiet day raises none; each
incident raises its own alarm, to its owner's topic.

The run summaries are built by the job's own metric functions (summarize_counts,
missing_partitions, publication_state, cloudwatch_metric_data) from row counts per
outcome; the state machine's events are the PutMetricData entries of its definition.
The last test runs the same kind of month through the real Spark job and promoter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lakegate import alerts, metrics
from lakegate.asl import EXAMPLE_VALUES, render
from lakegate.metrics import CountRow

DEFINITIONS = alerts.load()
START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 35
ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:lakegate-prod-ingest"
STATE_MACHINE = json.loads(render({**EXAMPLE_VALUES, "environment": "prod"}))["States"]


def state_machine_data(state: str, run_type: str) -> list[dict]:
    """What a state of the ingestion state machine puts (its MetricData, paths resolved)."""
    return [
        {
            **datum,
            "Dimensions": [
                {"Name": d["Name"], "Value": d.get("Value", run_type)} for d in datum["Dimensions"]
            ],
        }
        for datum in STATE_MACHINE[state]["Parameters"]["MetricData"]
    ]


def raised(points, scheduled: bool = True) -> list[tuple[int, str, str, str]]:
    """(day, alarm, state, topic) of every notification over the scenario's days; a
    notification at midnight closes the day before."""
    sent = alerts.evaluate_all(
        DEFINITIONS,
        points,
        START,
        START + timedelta(days=DAYS),
        {"ingest": "transactions", "gold": "account_balances"},
        ARN,
        scheduled=scheduled,
    )
    return [
        (alerts.day_of(n.at - timedelta(seconds=1), START), n.alarm, n.state, n.topic) for n in sent
    ]


class Operation:
    """The lake's publication state and every datapoint published so far."""

    def __init__(self) -> None:
        self.points: list[alerts.Datapoint] = []
        self.published_at: datetime | None = None
        self.gold_published_at: datetime | None = None
        self.version = 0
        self.finished: list[datetime] = []  # when each run's _SUCCESS was written

    def run(
        self,
        at: datetime,
        rows: int = 20_000,
        failed: dict[str, int] | None = None,
        run_type: str = "scheduled",
        window: tuple[str, str] | None = None,
        seconds: float = 300.0,
        attempts: int = 0,
    ) -> dict:
        """A run that writes _SUCCESS, ending at `at`: its summary and datapoints."""
        failed = failed or {"TYPE_ERROR": 8}
        year, month_number = map(int, (window[0] if window else f"{at:%Y-%m}").split("-"))
        month = f"year={year}/month={month_number:02d}"
        counts = [CountRow("quarantined", t, month, n, attempts * n) for t, n in failed.items()]
        counts.append(CountRow("valid", None, month, rows - sum(failed.values()), 0))
        summary = {
            "dataset": "transactions",
            "run_type": run_type,
            "input_window": {
                "from": (window or (f"{at:%Y-%m}",))[0],
                "to": (window or (None, f"{at:%Y-%m}"))[1],
            },
            "ended_at": at.isoformat(),
            "duration_seconds": seconds,
            **metrics.summarize_counts(counts),
            "circuit_breaker_triggers": 0,
            "rows_per_second": rows / seconds,
        }
        valid = summary.pop("valid_rows_by_partition")
        summary["partitions"] = [{"partition": p, "rows": n} for p, n in valid.items()]
        summary["missing_partitions"] = metrics.missing_partitions(summary)
        waiting = [f for f in self.finished if self.published_at is None or f > self.published_at]
        summary["publication"] = metrics.publication_state(
            at,
            self.published_at.isoformat() if self.published_at else None,
            self.version or None,
            self.gold_published_at.isoformat() if self.gold_published_at else None,
            has_gold=True,
            waiting_since=min(waiting) if waiting else None,
        )
        self.finished.append(at)
        self.points += alerts.datapoints(
            "Lakegate", metrics.cloudwatch_metric_data(summary, "account_balances"), at
        )
        return summary

    def state_machine_event(self, state: str, at: datetime, run_type: str = "scheduled"):
        self.points += alerts.datapoints("Lakegate", state_machine_data(state, run_type), at)

    def promote(self, at: datetime) -> None:
        self.published_at, self.version = at, self.version + 1

    def build_gold(self, at: datetime) -> None:
        self.gold_published_at = at


def day(n: int, hour: int = 2, minute: int = 10) -> datetime:
    return START + timedelta(days=n, hours=hour, minutes=minute)


def operate() -> Operation:
    op = Operation()
    volumes = [20_000 + 200 * (d % 2) for d in range(DAYS)]  # a steady daily volume
    for d in range(DAYS):
        if d in (22, 23):  # two days without a run: the schedule was off
            continue
        if d == 17:  # the job fails: the state machine counts it; no run metrics
            op.state_machine_event("HandleFailure", day(d))
            continue
        if d == 5:  # a bad source file: 3% of the rows fail; reviewers hold promotion
            op.run(day(d), volumes[d], failed={"CURRENCY_ERROR": 600})
            # the source resends the file; the day is rerun in the afternoon
            op.run(day(d, 15), volumes[d])
            op.promote(day(d, 16))
            op.build_gold(day(d, 17))
            continue
        if d == 13:  # the gate fails: duplicates of published business keys
            op.run(day(d), volumes[d], failed={"TYPE_ERROR": 8, "BUSINESS_DUPLICATE": 3})
            op.state_machine_event("GateFailed", day(d))
            continue
        op.run(day(d), volumes[d])
        if d == 9:  # a late file for last month, and its backfill in the afternoon
            op.run(
                day(d, 14), 60_000, run_type="backfill", window=("2026-02", "2026-02"), seconds=900
            )
        if d == 27:  # a run left unpromoted: nobody approves on days 27 and 28
            continue
        if d == 28:
            continue
        op.promote(day(d, 10))
        op.build_gold(day(d, 12))  # gold is rebuilt from each promoted version
    return op


# What must be sent, written by hand: (day, alarm, state, topic).
EXPECTED = [
    (5, "quarantine-spike", "ALARM", "data-quality-p2"),
    (13, "gate-failure", "ALARM", "data-quality-p2"),
    (13, "validation-failure", "ALARM", "data-quality-p2"),
    (17, "job-failure", "ALARM", "data-platform-p1"),
    # Days 22 and 23 have no run: at the end of day 23 the freshness alarm has had no
    # datapoint for its two days and says so.
    (23, "freshness-sla", "INSUFFICIENT_DATA", "domain-p1"),
    # Day 27's run is not promoted: when day 29's run ends it has waited 48 hours. (The
    # gap of days 22-23 left nothing waiting: it raises only the freshness alarm.)
    (29, "unpromoted-data", "ALARM", "domain-p2"),
]


def test_thirty_five_days_raise_exactly_the_incidents_alarms():
    op = operate()
    assert raised(op.points) == EXPECTED


def test_a_quiet_month_raises_nothing():
    op = Operation()
    for d in range(DAYS):
        op.run(day(d), 20_000 + 200 * (d % 2), seconds=300 + (d % 2) * 10)
        op.promote(day(d, 10))
        op.build_gold(day(d, 12))
    assert raised(op.points) == []


def test_in_dev_without_a_schedule_silence_is_not_an_alarm():
    op = Operation()
    op.run(day(2), 20_000)  # one run by hand, then nothing for a month
    op.promote(day(2, 10))
    assert raised(op.points, scheduled=False) == []


# --- the same, through the real ingestion job ---------------------------------------------


def _rows(month: str, first: int, count: int, currency: str = "EUR") -> list[str]:
    return [
        f"{month}-{n:05d},C{n % 7},{10 + n % 50}.25,{currency},{month}-{1 + n % 27:02d} 10:00:00"
        for n in range(first, first + count)
    ]


class JobOperation:
    """Real runs of the ingestion job on a local lake, a day at a time, with the real
    promoter; datapoints recorded as CloudWatch would receive them."""

    def __init__(self, spark, lake, root) -> None:
        from dataclasses import replace

        from lakegate.config import dataset_config
        from promotion.publisher import Promoter

        self.spark, self.lake, self.root = spark, lake, root
        self.moment = START
        self.recorder = alerts.Recorder(clock=lambda: self.moment)
        # Gold is not built here (the metric scenario covers its alarms).
        self.config = replace(dataset_config("transactions"), gold_dataset=None)
        self.promoter = Promoter(lake, self.config, lambda: "scenario", now=lambda: self.moment)
        self.runs = 0

    def clock(self):
        self.moment += timedelta(seconds=1)
        return self.moment

    def deliver(self, month: str, name: str, lines: list[str], header: str | None = None):
        from tests.helpers import HEADER, csv_file

        year, number = month.split("-")
        key = f"transactions/year={year}/month={number}/{name}"
        self.lake["bronze"].write_bytes(key, csv_file(*lines, header=header or HEADER).encode())
        return key

    def withdraw(self, key: str) -> None:
        self.lake["bronze"].delete(key)

    def run(self, at: datetime, run_type: str = "scheduled", month: str | None = None):
        """One job run starting at `at`; returns its summary, or None when it failed
        (then the state machine's failure handling is what publishes)."""
        import os

        from glue_jobs.job import IngestRequest, run_ingest
        from lakegate import layout
        from lakegate.errors import LakegateError
        from lakegate.ids import Month, MonthWindow, scheduled_window

        self.moment = at
        self.runs += 1
        run_id = f"d{alerts.day_of(at, START):02d}-{at:%H%M}-{run_type}"
        if month:
            m = Month(*map(int, month.split("-")))
            window = MonthWindow(m, m)
        else:
            window = scheduled_window(at)
        request = IngestRequest(self.config, window, run_id, run_type)
        try:
            summary = run_ingest(
                self.spark, self.lake, request, now=self.clock, cloudwatch=self.recorder
            )
        except LakegateError:
            self.state_machine_event("HandleFailure", run_type)
            return None
        # The object's write time, as S3 would record it at the scenario's moment.
        path = self.root / "silver" / layout.success_key("transactions", "v1", run_id)
        os.utime(path, (self.moment.timestamp(), self.moment.timestamp()))
        gate = self.promoter.gate(run_id, summary, self.promoter.current()[1])
        if not gate.passed:
            self.state_machine_event("GateFailed", run_type)
        return summary

    def state_machine_event(self, state: str, run_type: str) -> None:
        data = state_machine_data(state, run_type)
        self.recorder.put_metric_data(Namespace="Lakegate", MetricData=data)

    def promote(self, at: datetime, summary: dict) -> None:
        self.moment = at
        self.promoter.promote(summary["run_id"], "Ana Approver", "scenario: looks right")


@pytest.mark.slow
def test_thirty_five_days_of_the_real_job_raise_exactly_the_incidents_alarms(
    spark, lake, lake_root
):
    op = JobOperation(spark, lake, lake_root)
    op.deliver("2026-02", "february.csv", _rows("2026-02", 0, 200))
    op.deliver("2026-03", "march.csv", _rows("2026-03", 0, 200))
    for d in range(DAYS):
        if d in (22, 23):  # two days without a run
            continue
        if d == 34:  # April's file arrives on the 4th, after the grace days
            op.deliver("2026-04", "april.csv", _rows("2026-04", 0, 200))
        if d == 5:  # a bad file: 5 of 205 rows with an unknown currency
            bad = op.deliver("2026-03", "extra.csv", _rows("2026-03", 1000, 5, "XXX"))
            op.run(day(d))
            op.withdraw(bad)  # the source takes it back; the day is rerun
            op.promote(day(d, 16), op.run(day(d, 15)))
            continue
        if d == 13:  # a published February transaction id sent again in March, changed
            again = "2026-02-00003,C3,13.99,EUR,2026-03-04 10:00:00"
            dup = op.deliver("2026-03", "resent.csv", [again])
            op.run(day(d))
            op.withdraw(dup)
            continue
        if d == 17:  # a file whose header is wrong: the job fails before writing
            broken = op.deliver("2026-03", "broken.csv", _rows("2026-03", 2000, 2), header="a,b")
            op.run(day(d))
            op.withdraw(broken)
            continue
        summary = op.run(day(d))
        if d == 9:  # a late February file, and February's backfill in the afternoon
            op.deliver("2026-02", "late.csv", _rows("2026-02", 500, 4))
            op.promote(day(d, 15), op.run(day(d, 14), "backfill", "2026-02"))
        if d in (27, 28):  # nobody approves on these two days
            continue
        op.promote(day(d, 10), summary)

    assert raised(op.recorder.points) == [
        (5, "quarantine-spike", "ALARM", "data-quality-p2"),
        (13, "gate-failure", "ALARM", "data-quality-p2"),
        (13, "validation-failure", "ALARM", "data-quality-p2"),
        (17, "job-failure", "ALARM", "data-platform-p1"),
        (23, "freshness-sla", "INSUFFICIENT_DATA", "domain-p1"),
        (29, "unpromoted-data", "ALARM", "domain-p2"),
    ]
