"""The alarm definitions (lakegate/alerts.json): checked, read by Terraform, routed to
their owners, documented, and evaluated as CloudWatch evaluates them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakegate import alerts
from lakegate.alerts import AlertDefinitionError, Datapoint, evaluate, load
from lakegate.metrics import EMITTED_METRICS
from tests.terraform import INFRA, resources, text

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = load()
START = datetime(2026, 3, 1, tzinfo=UTC)

# SPEC §10 and the seed design: each alert with its owning team and priority.
SPEC_ALERTS = {
    "job-failure": ("data-platform", "P1"),
    "infrastructure-errors": ("data-platform", "P1"),
    "circuit-breaker": ("data-platform", "P1"),
    "missing-success": ("data-platform", "P1"),
    "freshness-sla": ("domain", "P1"),
    "quarantine-spike": ("data-quality", "P2"),
    "validation-failure": ("data-quality", "P2"),
    "avg-attempt-count": ("data-quality", "P2"),
    "auto-condemnation": ("data-quality", "P2"),
    "missing-partitions": ("data-platform", "P2"),
    "runtime-anomaly": ("data-platform", "P2"),
    "volume-anomaly": ("domain", "P3"),
    # Found missing by review: unpromoted data, gate failures, gold.
    "unpromoted-data": ("domain", "P2"),
    "gate-failure": ("data-quality", "P2"),
    "gold-job-failure": ("data-platform", "P1"),
    "gold-freshness": ("domain", "P1"),
}


def test_every_alert_has_its_owner_priority_and_runbook():
    found = {name: (a.owner.key, a.priority.key) for name, a in DEFINITIONS.alarms.items()}
    assert found == SPEC_ALERTS
    for alarm in DEFINITIONS.alarms.values():
        assert (ROOT / alarm.runbook).is_file(), f"{alarm.runbook} is missing"
        assert alarm.topic == f"{alarm.owner.key}-{alarm.priority.key.lower()}"


def test_spec_thresholds():
    t = {name: a.threshold for name, a in DEFINITIONS.alarms.items()}
    assert t["quarantine-spike"] == 0.01
    assert t["avg-attempt-count"] == 1.5
    assert t["auto-condemnation"] == 0.005
    assert t["circuit-breaker"] == 0


def test_every_alarm_watches_a_metric_the_code_publishes():
    for alarm in DEFINITIONS.alarms.values():
        if alarm.namespace == "Lakegate":
            assert set(alarm.metrics) <= set(EMITTED_METRICS), alarm.name


def _broken(tmp_path, name: str, **changes) -> Path:
    body = json.loads(alerts.DEFINITIONS.read_text())
    body["alarms"][name].update(changes)
    for key, value in list(body["alarms"][name].items()):
        if value is None:
            del body["alarms"][name][key]
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(body))
    return path


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [
        ("quarantine-spike", {"metric": "QuarantinRate"}, "metric 'QuarantinRate'"),
        ("quarantine-spike", {"owner": "nobody"}, "owner 'nobody' is not a team"),
        ("quarantine-spike", {"period": 90}, "period must be a multiple of 60"),
        ("freshness-sla", {"evaluation_periods": 8}, "exceeds what CloudWatch evaluates"),
        ("job-failure", {"evaluation_periods": 289}, "exceeds what CloudWatch evaluates"),
        ("freshness-sla", {"missing_data": "breaching"}, "must treat missing data as missing"),
        ("runtime-anomaly", {"threshold": 3}, "an anomaly alarm"),
        ("validation-failure", {"dimensions": {"ErrorType": "TYPO"}}, "not an error type"),
        ("quarantine-spike", {"treshold": 1}, "unknown field treshold"),
    ],
)
def test_a_wrong_definition_is_refused_with_the_alarm_and_field(tmp_path, name, changes, message):
    with pytest.raises(AlertDefinitionError, match=re.escape(message)) as caught:
        load(_broken(tmp_path, name, **changes))
    assert f"alarm {name}:" in str(caught.value)


def test_terraform_builds_every_alarm_from_the_file():
    monitoring = text(INFRA / "modules/monitoring")
    orchestration = text(INFRA / "modules/orchestration")
    reads = 'jsondecode(file("${path.module}/../../../lakegate/alerts.json"))'
    assert reads in monitoring and reads in orchestration
    assert (INFRA / "modules/monitoring" / "../../../lakegate/alerts.json").resolve() == (
        alerts.DEFINITIONS
    )
    # No alarm is written by hand beside the three kinds the file defines.
    kinds = {name for kind, name in resources(INFRA / "modules/monitoring")}
    assert kinds == {"single", "summed", "anomaly", "pipeline"}
    for field in ("threshold", "period", "evaluation_periods", "comparison", "missing_data"):
        assert f"each.value.{field}" in monitoring, field
    assert "insufficient_data_actions = local.insufficient_data_actions[each.key]" in monitoring
    assert 'var.topic_arns["${alarm.owner}-${lower(alarm.priority)}"]' in monitoring
    assert '"${alarm.owner}-${lower(alarm.priority)}"' in orchestration
    # What each notification carries: the fields the Python description uses too.
    for part in ("alarm.meaning", "escalate_after", "first_command", "runbook_base_url"):
        assert part in monitoring, part
    dashboard = re.search(r"dashboard_metrics = \[(.*?)\]", monitoring, re.S).group(1)
    assert set(re.findall(r'"(\w+)"', dashboard)) <= set(EMITTED_METRICS)


def test_the_state_machine_routes_its_alerts_as_the_file_does():
    template = (ROOT / "state_machine/ingest.asl.json").read_text()
    for placeholder in alerts.state_machine_values(DEFINITIONS, {
        t: t for t in DEFINITIONS.topics
    }, "https://x"):  # fmt: skip
        assert "${" + placeholder + "}" in template
    assert "${p1_topic_arn}" not in template and "${p2_topic_arn}" not in template


def test_every_environment_can_route_alerts_to_people():
    for env in ("dev", "sit", "prod"):
        settings = json.loads((INFRA / f"envs/{env}/alerts.auto.tfvars.json").read_text())
        assert set(settings) == {"alert_subscriptions", "slack_channels"}
        for topic in settings["alert_subscriptions"]:
            assert topic == "reviewers" or topic in DEFINITIONS.topics, (env, topic)
        main = text(INFRA / f"envs/{env}")
        assert "subscriptions             = var.alert_subscriptions" in main
        assert "slack_channels            = var.slack_channels" in main
    orchestration = text(INFRA / "modules/orchestration")
    assert 'check "every_alert_topic_reaches_someone"' in orchestration
    assert 'resource "aws_chatbot_slack_channel_configuration" "this"' in orchestration


def test_the_operations_alert_table_is_generated_from_the_file():
    document = (ROOT / "docs/operations.md").read_text()
    assert alerts.alert_table(DEFINITIONS) in document, "run: python -m lakegate.alerts --table"


def test_runbooks_say_how_to_confirm_and_when_to_escalate():
    for alarm in DEFINITIONS.alarms.values():
        runbook = (ROOT / alarm.runbook).read_text()
        for heading in ("## What it means", "## Confirm", "## What to do", "## Escalate"):
            assert heading in runbook, (alarm.runbook, heading)
        assert alarm.first_command.split(" --env")[0] in runbook, alarm.runbook


# --- the evaluator ----------------------------------------------------------------------


def _point(hours: float, metric: str, value: float, **dims) -> Datapoint:
    dimensions = {"Dataset": "transactions", **dims}
    return Datapoint(
        START + timedelta(hours=hours), "Lakegate", metric, frozenset(dimensions.items()), value
    )


def test_a_threshold_alarm_notifies_once_per_breach():
    alarm = DEFINITIONS.alarms["quarantine-spike"]
    points = [
        _point(2, "QuarantineRate", 0.002),
        _point(26, "QuarantineRate", 0.03),
        _point(50, "QuarantineRate", 0.04),  # still in ALARM: no second notification
        _point(74, "QuarantineRate", 0.001),
        _point(98, "QuarantineRate", 0.02),
    ]
    sent = evaluate(alarm, points, START, START + timedelta(days=5), "transactions")
    assert [(n.at - START, n.state) for n in sent] == [
        (timedelta(hours=27), "ALARM"),
        (timedelta(hours=99), "ALARM"),
    ]
    assert sent[0].topic == "data-quality-p2" and sent[0].value == 0.03


def test_only_the_exact_dimension_set_is_watched():
    alarm = DEFINITIONS.alarms["quarantine-spike"]
    points = [_point(2, "QuarantineRate", 0.5, RunType="scheduled")]
    assert evaluate(alarm, points, START, START + timedelta(days=1), "transactions") == []


def test_an_absence_alarm_notifies_when_runs_stop_and_not_at_first_deploy():
    alarm = DEFINITIONS.alarms["freshness-sla"]
    daily = [_point(24 * d + 2, "PublishedAgeHours", 20) for d in range(5)]
    end = START + timedelta(days=10)
    # Deployed with no data yet, then daily runs: nothing is sent.
    sent = evaluate(alarm, daily, START, START + timedelta(days=5), "transactions")
    assert sent == []
    # The runs stop after day 4: two empty days later the alarm has no data and says so.
    sent = evaluate(alarm, daily, START, end, "transactions")
    assert [(n.at - START, n.state) for n in sent] == [(timedelta(days=7), "INSUFFICIENT_DATA")]
    # One missing day is not enough.
    gap = [p for p in daily if p.at.day != 3]
    assert evaluate(alarm, gap, START, START + timedelta(days=5), "transactions") == []


def test_an_anomaly_alarm_learns_from_earlier_periods_first():
    alarm = DEFINITIONS.alarms["volume-anomaly"]
    volumes = [1000, 1020, 990, 1010, 1005, 995, 1000]
    points = [
        _point(24 * d + 2, "InputRows", v, RunType="scheduled") for d, v in enumerate(volumes)
    ]
    quiet = evaluate(alarm, points, START, START + timedelta(days=8), "transactions")
    assert quiet == []
    points.append(_point(24 * 7 + 2, "InputRows", 200, RunType="scheduled"))
    (sent,) = evaluate(alarm, points, START, START + timedelta(days=8), "transactions")
    assert (sent.at - START, sent.state, sent.topic) == (timedelta(hours=171), "ALARM", "domain-p3")
    # Too little history: no band yet, no alarm (as CloudWatch while it trains).
    early = [points[0], points[1], _point(50, "InputRows", 10, RunType="scheduled")]
    assert evaluate(alarm, early, START, START + timedelta(days=3), "transactions") == []


def test_summed_metrics_fill_missing_series_with_zero():
    alarm = DEFINITIONS.alarms["infrastructure-errors"]
    arn = "arn:aws:states:eu-west-1:1:stateMachine:lakegate-dev-ingest"
    point = Datapoint(
        START + timedelta(minutes=7),
        "AWS/States",
        "ExecutionsTimedOut",
        frozenset({("StateMachineArn", arn)}),
        1.0,
    )
    (sent,) = evaluate(alarm, [point], START, START + timedelta(hours=1), "transactions", arn)
    assert (sent.state, sent.topic, sent.value) == ("ALARM", "data-platform-p1", 1.0)


def test_the_description_names_owner_response_first_command_and_runbook():
    text_ = DEFINITIONS.alarms["gate-failure"].description("prod", "https://x/runbooks/")
    assert text_.startswith("P2 Gate failure (prod): a run finished but fails the promotion gate")
    assert "Owner: Data Quality, respond within 4 business hours" in text_
    assert "First: lakegate review RUN_ID --env prod." in text_
    assert text_.endswith("Runbook: https://x/runbooks/gate-failure.md")
    assert len(text_) <= 1024  # CloudWatch's limit for an alarm description
    for alarm in DEFINITIONS.alarms.values():
        assert len(alarm.description("prod", "https://github.com/o/r/blob/main/docs/runbooks")) <= (
            1024
        )
