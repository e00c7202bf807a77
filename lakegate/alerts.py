"""The alarms: their definitions (`alerts.json`, which Terraform reads too), where they
are routed, the alert table of docs/operations.md, and an evaluator of CloudWatch's
alarm rules over recorded datapoints (the scenario test and the demo use it to tell
which alarms a series of runs raises).

Plain Python: no AWS call is made here.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakegate import metrics
from lakegate.ids import RUN_TYPES

DEFINITIONS = Path(__file__).with_name("alerts.json")

COMPARISONS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
ANOMALY_COMPARISONS = (
    "GreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
)
STATISTICS = ("Sum", "Maximum", "Minimum", "Average", "SampleCount")
MISSING_DATA = ("notBreaching", "breaching", "ignore", "missing")
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
# Namespaces an alarm may watch and the metric names published there.
NAMESPACES = {
    metrics.METRIC_NAMESPACE: set(metrics.EMITTED_METRICS),
    "AWS/States": {
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "ExecutionThrottled",
        "ExecutionsSucceeded",
    },
}
# Anomaly bands are learned from this many days of the series before a period
# (CloudWatch trains on up to two weeks); fewer points than MIN_TRAINING give no band.
TRAINING_DAYS = 14
MIN_TRAINING = 5
# A learned band never collapses to a line: at least this fraction of the mean either
# side per deviation (a series of equal values would otherwise flag any change).
MIN_SPREAD = 0.05


class AlertDefinitionError(ValueError):
    pass


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    escalation: str


@dataclass(frozen=True)
class Priority:
    key: str
    response: str
    escalate_after: str


@dataclass(frozen=True)
class Alarm:
    name: str
    title: str
    watches: str  # "ingest" or "gold"
    owner: Team
    priority: Priority
    meaning: str
    namespace: str
    metrics: tuple[str, ...]  # summed when more than one
    dimensions: Mapping[str, str]
    statistic: str
    period: int
    evaluation_periods: int
    comparison: str
    threshold: float | None
    anomaly_band: float | None
    missing_data: str
    notify_on: tuple[str, ...]
    scheduled_only: bool
    first_command: str

    @property
    def topic(self) -> str:
        """The SNS topic the alarm notifies: one per owning team and priority."""
        return topic_key(self.owner.key, self.priority.key)

    @property
    def runbook(self) -> str:
        return f"docs/runbooks/{self.name}.md"

    @property
    def metric_label(self) -> str:
        names = " + ".join(self.metrics)
        extra = "".join(f", {k}={v}" for k, v in sorted(self.dimensions.items()))
        return (
            f"{names}{extra}"
            if self.namespace == metrics.METRIC_NAMESPACE
            else (f"{self.namespace} {names}")
        )

    @property
    def condition(self) -> str:
        """The condition in words: what the alarm compares over which window."""
        window = _duration(self.period * self.evaluation_periods)
        if self.anomaly_band is not None:
            side = {
                "GreaterThanUpperThreshold": "above",
                "LessThanLowerThreshold": "below",
                "LessThanLowerOrGreaterThanUpperThreshold": "outside",
            }[self.comparison]
            return f"{self.statistic} {side} a {self.anomaly_band:g}-deviation band ({window})"
        sign = {
            "GreaterThanThreshold": ">",
            "GreaterThanOrEqualToThreshold": "≥",
            "LessThanThreshold": "<",
            "LessThanOrEqualToThreshold": "≤",
        }[self.comparison]
        text = f"{self.statistic} {sign} {self.threshold:g} ({window})"
        if "INSUFFICIENT_DATA" in self.notify_on:
            text += f"; no datapoint for {window}"
        return text

    def dimension_set(self, dataset: str, state_machine_arn: str = "") -> dict[str, str]:
        if self.namespace == "AWS/States":
            return {"StateMachineArn": state_machine_arn}
        return {metrics.METRIC_DIMENSION: dataset, **self.dimensions}

    def description(self, environment: str, runbook_base: str) -> str:
        """The alarm's description: what every notification of it carries."""
        return (
            f"{self.priority.key} {self.title} ({environment}): {self.meaning}."
            f" Owner: {self.owner.name}, respond within {self.priority.response};"
            f" escalate after {self.priority.escalate_after} to {self.owner.escalation}."
            f" First: {self.first_command.replace('ENV', environment)}."
            f" Runbook: {runbook_base.rstrip('/')}/{self.name}.md"
        )


@dataclass(frozen=True)
class Definitions:
    teams: Mapping[str, Team]
    priorities: Mapping[str, Priority]
    alarms: Mapping[str, Alarm]

    @property
    def topics(self) -> list[str]:
        return sorted({a.topic for a in self.alarms.values()})


def topic_key(team: str, priority: str) -> str:
    return f"{team}-{priority.lower()}"


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days > 1 else "")
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{seconds // 60} min"


def load(path: Path = DEFINITIONS) -> Definitions:
    """The alarm definitions, checked: every name and value is one CloudWatch accepts and
    every metric is one Lakegate or Step Functions publishes. Raises AlertDefinitionError
    naming the alarm and field."""
    body = json.loads(path.read_text())
    teams = {k: Team(k, v["name"], v["escalation"]) for k, v in body["teams"].items()}
    priorities = {
        k: Priority(k, v["response"], v["escalate_after"]) for k, v in body["priorities"].items()
    }
    alarms = {name: _alarm(name, spec, teams, priorities) for name, spec in body["alarms"].items()}
    return Definitions(teams, priorities, alarms)


def _alarm(name: str, spec: dict, teams, priorities) -> Alarm:
    def fail(what: str) -> AlertDefinitionError:
        return AlertDefinitionError(f"alerts.json: alarm {name}: {what}")

    known = {
        "title", "watches", "owner", "priority", "meaning", "namespace", "metric", "metrics",
        "dimensions", "statistic", "period", "evaluation_periods", "comparison", "threshold",
        "anomaly_band", "missing_data", "notify_on", "scheduled_only", "first_command",
    }  # fmt: skip
    unknown = sorted(set(spec) - known)
    if unknown:
        raise fail(f"unknown field {unknown[0]}")
    if spec.get("owner") not in teams:
        raise fail(f"owner {spec.get('owner')!r} is not a team")
    if spec.get("priority") not in priorities:
        raise fail(f"priority {spec.get('priority')!r} is not P1, P2 or P3")
    if spec.get("watches") not in ("ingest", "gold"):
        raise fail("watches must be ingest or gold")
    names = tuple(spec["metrics"]) if "metrics" in spec else (spec.get("metric"),)
    namespace = spec.get("namespace")
    if namespace not in NAMESPACES:
        raise fail(f"namespace {namespace!r} is not one Lakegate alarms watch")
    for metric in names:
        if metric not in NAMESPACES[namespace]:
            raise fail(f"metric {metric!r} is not published in {namespace}")
    dims = dict(spec.get("dimensions") or {})
    if set(dims) - {"RunType", "ErrorType"}:
        raise fail("dimensions may add RunType and ErrorType only")
    if "RunType" in dims and dims["RunType"] not in RUN_TYPES:
        raise fail(f"RunType {dims['RunType']!r} is not a run type")
    if "ErrorType" in dims and dims["ErrorType"] not in metrics.ERROR_TYPES:
        raise fail(f"ErrorType {dims['ErrorType']!r} is not an error type")
    if spec.get("statistic") not in STATISTICS:
        raise fail(f"statistic {spec.get('statistic')!r}")
    period, periods = spec.get("period"), spec.get("evaluation_periods")
    if not isinstance(period, int) or period < 60 or period % 60:
        raise fail("period must be a multiple of 60 seconds")
    if not isinstance(periods, int) or periods < 1:
        raise fail("evaluation_periods must be a positive integer")
    # CloudWatch: at most 7 days of evaluation, 1 day when the period is under an hour.
    if period * periods > (86400 if period < 3600 else 604800):
        raise fail("period x evaluation_periods exceeds what CloudWatch evaluates")
    comparison = spec.get("comparison")
    band = spec.get("anomaly_band")
    if band is not None:
        if comparison not in ANOMALY_COMPARISONS or "threshold" in spec or len(names) > 1:
            raise fail("an anomaly alarm has an anomaly comparison, one metric, no threshold")
    elif comparison not in COMPARISONS or not isinstance(spec.get("threshold"), int | float):
        raise fail("a threshold alarm needs a threshold comparison and a numeric threshold")
    if spec.get("missing_data") not in MISSING_DATA:
        raise fail(f"missing_data {spec.get('missing_data')!r}")
    notify_on = tuple(spec.get("notify_on", ["ALARM"]))
    if not set(notify_on) <= {"ALARM", "INSUFFICIENT_DATA"} or "ALARM" not in notify_on:
        raise fail("notify_on must be ALARM, optionally with INSUFFICIENT_DATA")
    if "INSUFFICIENT_DATA" in notify_on and spec["missing_data"] != "missing":
        raise fail("an alarm that notifies on INSUFFICIENT_DATA must treat missing data as missing")
    return Alarm(
        name=name,
        title=spec["title"],
        watches=spec["watches"],
        owner=teams[spec["owner"]],
        priority=priorities[spec["priority"]],
        meaning=spec["meaning"],
        namespace=namespace,
        metrics=names,
        dimensions=dims,
        statistic=spec["statistic"],
        period=period,
        evaluation_periods=periods,
        comparison=comparison,
        threshold=spec.get("threshold"),
        anomaly_band=band,
        missing_data=spec["missing_data"],
        notify_on=notify_on,
        scheduled_only=bool(spec.get("scheduled_only", False)),
        first_command=spec["first_command"],
    )


# --- the alert table --------------------------------------------------------------------


def alert_table(definitions: Definitions) -> str:
    """The Markdown alert table of docs/operations.md."""
    lines = [
        "| Alarm | Metric | Condition | Owner | Priority | Response | Runbook |",
        "|---|---|---|---|---|---|---|",
    ]
    order = {"P1": 0, "P2": 1, "P3": 2}
    for a in sorted(definitions.alarms.values(), key=lambda a: (order[a.priority.key], a.name)):
        lines.append(
            f"| {a.title} (`{a.name}`) | `{a.metric_label}` | {a.condition} | {a.owner.name}"
            f" | {a.priority.key} | {a.priority.response} | [{a.name}](runbooks/{a.name}.md) |"
        )
    return "\n".join(lines) + "\n"


# --- evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Datapoint:
    at: datetime
    namespace: str
    metric: str
    dimensions: frozenset[tuple[str, str]]
    value: float


def datapoints(namespace: str, metric_data: Iterable[Mapping], at: datetime) -> list[Datapoint]:
    """Datapoints from PutMetricData entries (what lakegate.metrics and the state machine
    send), received at `at`."""
    return [
        Datapoint(
            at,
            namespace,
            d["MetricName"],
            frozenset((x["Name"], x["Value"]) for x in d.get("Dimensions", [])),
            float(d["Value"]),
        )
        for d in metric_data
    ]


@dataclass(frozen=True)
class Notification:
    at: datetime  # the end of the period whose evaluation changed the state
    alarm: str
    state: str
    topic: str
    value: float | None


def _aggregate(values: list[float], statistic: str) -> float:
    functions: dict[str, Callable[[list[float]], float]] = {
        "Sum": sum,
        "Maximum": max,
        "Minimum": min,
        "Average": statistics.fmean,
        "SampleCount": len,
    }
    return functions[statistic](values)


def evaluate(
    alarm: Alarm,
    points: Iterable[Datapoint],
    start: datetime,
    end: datetime,
    dataset: str,
    state_machine_arn: str = "",
) -> list[Notification]:
    """The notifications the alarm sends between start and end: every change into a state
    it notifies on, evaluated at the end of each of its periods as CloudWatch does.

    Missing data follows the alarm's treatment. With `missing`, the evaluation uses the
    periods that have data; when none has, the alarm goes to INSUFFICIENT_DATA; when fewer
    than the evaluation periods have data and all breach, it keeps its state. Anomaly
    bands are approximated by mean ± width x standard deviation of the series' earlier
    periods within TRAINING_DAYS, the deviation at least MIN_SPREAD of the mean
    (CloudWatch's model is not published); like CloudWatch, the approximation raises
    nothing before it has MIN_TRAINING earlier periods."""
    dims = frozenset(alarm.dimension_set(dataset, state_machine_arn).items())
    series: dict[str, dict[int, list[float]]] = {m: {} for m in alarm.metrics}
    for p in points:
        if p.namespace == alarm.namespace and p.metric in series and p.dimensions == dims:
            index = math.floor(p.at.timestamp() / alarm.period)
            series[p.metric].setdefault(index, []).append(p.value)

    def value(index: int) -> float | None:
        found = [_aggregate(s[index], alarm.statistic) for s in series.values() if index in s]
        return sum(found) if found else None

    def breaching(index: int, v: float) -> bool:
        if alarm.anomaly_band is None:
            return COMPARISONS[alarm.comparison](v, alarm.threshold)
        first = index - (TRAINING_DAYS * 86400) // alarm.period
        history = [x for i in range(first, index) if (x := value(i)) is not None]
        if len(history) < MIN_TRAINING:
            return False
        mean = statistics.fmean(history)
        spread = max(statistics.pstdev(history), abs(mean) * MIN_SPREAD)
        low, high = mean - alarm.anomaly_band * spread, mean + alarm.anomaly_band * spread
        above, below = v > high, v < low
        return {
            "GreaterThanUpperThreshold": above,
            "LessThanLowerThreshold": below,
            "LessThanLowerOrGreaterThanUpperThreshold": above or below,
        }[alarm.comparison]

    state, sent = "INSUFFICIENT_DATA", []
    first = math.ceil(start.timestamp() / alarm.period)
    last = math.floor(end.timestamp() / alarm.period)
    for boundary in range(first, last + 1):  # evaluate at the end of each period
        window = range(boundary - alarm.evaluation_periods, boundary)
        values = {i: value(i) for i in window}
        verdicts = []
        for i, v in values.items():
            if v is None:
                treat = alarm.missing_data
                if treat in ("notBreaching", "breaching"):
                    verdicts.append(treat == "breaching")
                continue
            verdicts.append(breaching(i, v))
        if not verdicts:
            new = (
                "INSUFFICIENT_DATA"
                if alarm.missing_data == "missing"
                else state  # ignore: keep the state
            )
        elif not all(verdicts):
            new = "OK"
        elif len(verdicts) >= alarm.evaluation_periods:
            new = "ALARM"
        else:
            new = state
        if new != state and new in alarm.notify_on:
            present = [v for _, v in sorted(values.items()) if v is not None]
            latest = present[-1] if present else None
            sent.append(
                Notification(
                    datetime.fromtimestamp(boundary * alarm.period, UTC),
                    alarm.name,
                    new,
                    alarm.topic,
                    latest,
                )
            )
        state = new
    return sent


def evaluate_all(
    definitions: Definitions,
    points: Iterable[Datapoint],
    start: datetime,
    end: datetime,
    datasets: Mapping[str, str],
    state_machine_arn: str = "",
    scheduled: bool = True,
) -> list[Notification]:
    """Every alarm's notifications, by time. `datasets`: the dataset each `watches` value
    names (ingest, gold); `scheduled`: whether the environment runs on a schedule (the
    alarms that expect daily runs exist only then)."""
    points = list(points)
    sent = []
    for alarm in definitions.alarms.values():
        if alarm.scheduled_only and not scheduled:
            continue
        sent += evaluate(alarm, points, start, end, datasets[alarm.watches], state_machine_arn)
    return sorted(sent, key=lambda n: (n.at, n.alarm))


def day_of(moment: datetime, origin: datetime) -> int:
    """The scenario day (0-based) of a moment, counted from origin's midnight."""
    return (moment - origin.replace(hour=0, minute=0, second=0, microsecond=0)) // timedelta(days=1)


# --- what the state machine sends ---------------------------------------------------------

# The state machine notifies directly for these alarms' events (it publishes their metric
# too): its template values name the topic and owner of each, from the definitions.
STATE_MACHINE_ALERTS = {"job_failure": "job-failure", "gate_failure": "gate-failure"}


def state_machine_values(
    definitions: Definitions, topic_arns: Mapping[str, str], runbook_base_url: str
) -> dict[str, str]:
    """The ASL template values of the routing (Terraform computes the same ones)."""
    values = {"runbook_base_url": runbook_base_url.rstrip("/")}
    for prefix, name in STATE_MACHINE_ALERTS.items():
        alarm = definitions.alarms[name]
        values[f"{prefix}_topic_arn"] = topic_arns[alarm.topic]
        values[f"{prefix}_owner"] = alarm.owner.name
    return values


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--table"]:
        sys.exit("usage: python -m lakegate.alerts --table")
    try:
        print(alert_table(load()), end="")
    except AlertDefinitionError as error:
        sys.exit(str(error))


class Recorder:
    """A stand-in for a CloudWatch client that keeps what is put, stamped with the time
    it was put: locally, the runs' metrics can then be evaluated against the alarms."""

    def __init__(self, clock=None) -> None:
        self.points: list[Datapoint] = []
        self._clock = clock or (lambda: datetime.now(UTC))

    def put_metric_data(self, Namespace: str, MetricData: list[dict]) -> None:
        self.points += datapoints(Namespace, MetricData, self._clock())


def notification_text(definitions: Definitions, notification: Notification) -> str:
    """One line per notification: when, which alarm, its owner, priority and topic."""
    alarm = definitions.alarms[notification.alarm]
    value = "" if notification.value is None else f" (value {notification.value:g})"
    return (
        f"{notification.at:%Y-%m-%d %H:%M} UTC  {alarm.priority.key} {alarm.title}"
        f" -> {alarm.owner.name}, topic {alarm.topic}{value}; runbook {alarm.runbook}"
    )
