"""The state machine, executed: moto runs the rendered ASL against mocked Glue, S3,
SNS and CloudWatch.

What is real here: the definition Terraform deploys (rendered by lakegate.asl the way
templatefile() does), moto's Step Functions interpreter with its Retry/Catch/Choice
semantics, Glue StartJobRun and the `.sync` polling of GetJobRun, the S3 GetObject of
_SUCCESS, SNS publishing and CloudWatch PutMetricData.

What is simulated: what the Glue job does while it runs. moto's Glue job runs do
nothing and always succeed, so `simulate_job` wraps moto's start_job_run: after moto
records the run (with the arguments the state machine passed), the scenario writes
the run's _SUCCESS to S3, or makes the run end FAILED, or raises Glue's real
ConcurrentRunsExceededException. The job itself is tested in test_job.py.

Three gaps in moto are bridged in the fixture (rehearsal.emulation.bridge_moto_gaps,
which the AWS rehearsal uses too), without changing what is tested. One
defect in moto's `.sync` support is worked around: its Glue integration declares
no waitForTaskToken pattern, so the shared callback code ends by calling a method on
a missing endpoint ('NoneType' object has no attribute 'interrupt_all'). Declaring
the pattern (as moto does for the other callback services) lets moto's own .sync
polling run unchanged. And moto's aws-sdk integration passes S3 GetObject's Body on
as a stream, where Step Functions gives the state machine the text; the fixture reads
such bodies into text after the call, nothing else. Its table of service names for
error names lacks S3 ("s3.NoSuchKeyException" instead of AWS's documented
"S3.NoSuchKeyException"); the fixture adds the entry.
"""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from moto import mock_aws
from moto.glue import models as glue_models
from moto.glue.exceptions import ConcurrentRunsExceededException

from lakegate import alerts, layout
from lakegate.asl import render
from lakegate.metrics import (
    FAILURE_METRIC,
    GATE_FAILURE_METRIC,
    METRIC_NAMESPACE,
    MISSING_SUCCESS_METRIC,
)
from lakegate.summary import SUCCESS_FIELDS
from rehearsal.emulation import bridge_moto_gaps

REGION, ACCOUNT = "eu-west-1", "123456789012"
SILVER = "lakegate-test-silver"
JOB = "lakegate-test-ingest"
DEFINITIONS = alerts.load()
JOB_FAILURE = DEFINITIONS.alarms["job-failure"].topic
GATE_FAILURE = DEFINITIONS.alarms["gate-failure"].topic
RUNBOOKS = "https://example.org/runbooks"
TOPICS = ("reviewers", JOB_FAILURE, GATE_FAILURE)


def values(topic_arns: dict[str, str]) -> dict:
    return {
        "dataset": "transactions",
        "environment": "test",
        "glue_job_name": JOB,
        "glue_retry_interval_seconds": 1,
        "success_retry_interval_seconds": 1,
        "max_quarantine_rate": 0.05,
        "schema_v": "v1",
        "silver_bucket": SILVER,
        "reviewers_topic_arn": topic_arns["reviewers"],
        **alerts.state_machine_values(DEFINITIONS, topic_arns, RUNBOOKS),
    }


def summary(run_id: str, **changes) -> dict:
    body = {field: None for field in SUCCESS_FIELDS}
    body.update(
        run_id=run_id,
        dataset="transactions",
        schema_v="v1",
        run_type="scheduled",
        input_rows=1000,
        valid_rows_count=990,
        quarantined_rows_count=8,
        condemned_rows_count=2,
        quarantine_rate=0.008,
        critical_errors={},
        circuit_breaker_triggers=0,
        partitions=[],
        error_type_distribution={},
    )
    body.update(changes)
    return body


class Aws:
    """The mocked account: clients, topics with SQS inboxes, the Glue job, the machine."""

    def __init__(self):
        client = lambda name: boto3.client(name, region_name=REGION)  # noqa: E731
        self.s3, self.sns, self.sqs = client("s3"), client("sns"), client("sqs")
        self.sfn, self.glue, self.cloudwatch = (
            client("stepfunctions"),
            client("glue"),
            client("cloudwatch"),
        )
        self.s3.create_bucket(
            Bucket=SILVER, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        self.topics, self.inboxes = {}, {}
        for name in TOPICS:
            arn = self.sns.create_topic(Name=f"lakegate-test-{name}")["TopicArn"]
            queue = self.sqs.create_queue(QueueName=f"inbox-{name}")["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
            self.topics[name], self.inboxes[name] = arn, queue
        self.glue.create_job(
            Name=JOB,
            Role=f"arn:aws:iam::{ACCOUNT}:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://a/s.py"},
            ExecutionProperty={"MaxConcurrentRuns": 1},
        )
        self.machine = self.sfn.create_state_machine(
            name="lakegate-test-ingest",
            definition=render(values(self.topics)),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]

    def run(self, name: str, execution_input: dict | None = None, timeout: float = 90) -> dict:
        arn = self.sfn.start_execution(
            stateMachineArn=self.machine, name=name, input=json.dumps(execution_input or {})
        )["executionArn"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.2)
        raise AssertionError(f"execution {name} did not finish in {timeout} s")

    def messages(self, topic: str) -> list[dict]:
        received = self.sqs.receive_message(
            QueueUrl=self.inboxes[topic], MaxNumberOfMessages=10
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in received]

    def put_success(self, run_id: str, body: dict) -> None:
        self.s3.put_object(
            Bucket=SILVER,
            Key=layout.success_key("transactions", "v1", run_id),
            Body=json.dumps(body).encode(),
        )

    def failures_counted(self, metric: str = FAILURE_METRIC, run_type: str = "scheduled") -> float:
        """The metric's sum for a run type. (moto matches every datapoint whose dimensions
        include the ones asked for, CloudWatch only the exact set, so the Dataset-only
        series is checked with dimension_sets instead.)"""
        dimensions = [
            {"Name": "Dataset", "Value": "transactions"},
            {"Name": "RunType", "Value": run_type},
        ]
        stats = self.cloudwatch.get_metric_statistics(
            Namespace=METRIC_NAMESPACE,
            MetricName=metric,
            Dimensions=dimensions,
            StartTime=time.time() - 600,
            EndTime=time.time() + 600,
            Period=60,
            Statistics=["Sum"],
        )
        return sum(point["Sum"] for point in stats["Datapoints"])

    def dimension_sets(self, metric: str) -> list[dict]:
        found = self.cloudwatch.list_metrics(Namespace=METRIC_NAMESPACE, MetricName=metric)
        return sorted(
            ({d["Name"]: d["Value"] for d in m["Dimensions"]} for m in found["Metrics"]),
            key=len,
        )

    def job_runs(self) -> list[dict]:
        return self.glue.get_job_runs(JobName=JOB)["JobRuns"]


@pytest.fixture
def aws(monkeypatch):
    bridge_moto_gaps(monkeypatch.setattr, monkeypatch.setitem)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield Aws()


def simulate_job(monkeypatch, scenario):
    """Run `scenario(job_run, arguments)` when moto's Glue starts a run of the job."""
    original = glue_models.FakeJob.start_job_run
    calls = []

    def start_job_run(self, *args, **kwargs):
        calls.append(kwargs.get("arguments"))
        scenario(self, kwargs.get("arguments") or {}, len(calls))
        run_id = original(self, *args, **kwargs)
        return run_id

    monkeypatch.setattr(glue_models.FakeJob, "start_job_run", start_job_run)
    return calls


def test_success_notifies_reviewers_with_the_review_command(aws, monkeypatch):
    simulate_job(
        monkeypatch,
        lambda job, args, n: aws.put_success(args["--run_id"], summary(args["--run_id"])),
    )
    result = aws.run("run-ok")
    assert result["status"] == "SUCCEEDED"
    (job_run,) = aws.job_runs()
    assert job_run["Arguments"]["--run_id"] == "run-ok"
    assert job_run["Arguments"]["--execution_arn"] == result["executionArn"]
    assert (job_run["Arguments"]["--run_type"], job_run["Arguments"]["--year"]) == ("scheduled", "")
    (note,) = aws.messages("reviewers")
    assert note["Subject"] == "Lakegate: a transactions run awaits approval"
    assert (
        "Run run-ok of transactions (test) succeeded: 1000 input rows, 990 valid" in note["Message"]
    )
    assert "lakegate review run-ok --env test" in note["Message"]
    assert aws.messages(JOB_FAILURE) == [] and aws.failures_counted() == 0


def test_backfill_input_reaches_the_job(aws, monkeypatch):
    simulate_job(
        monkeypatch,
        lambda job, args, n: aws.put_success(
            args["--run_id"], summary(args["--run_id"], run_type="backfill")
        ),
    )
    result = aws.run(
        "20240301T000000Z_BACKFILL", {"run_type": "backfill", "year": 2024, "month": "03"}
    )
    assert result["status"] == "SUCCEEDED"
    arguments = aws.job_runs()[0]["Arguments"]
    assert (arguments["--run_type"], arguments["--year"], arguments["--month"]) == (
        "backfill",
        "2024",
        "03",
    )


def test_transient_glue_error_is_retried_then_succeeds(aws, monkeypatch):
    def scenario(job, args, attempt):
        if attempt == 1:  # Glue's own error when another run of the job is active
            raise ConcurrentRunsExceededException(f"Job with name {JOB} already running")
        aws.put_success(args["--run_id"], summary(args["--run_id"]))

    calls = simulate_job(monkeypatch, scenario)
    result = aws.run("run-retried")
    assert result["status"] == "SUCCEEDED"
    assert len(calls) == 2 and len(aws.job_runs()) == 1
    history = aws.sfn.get_execution_history(executionArn=result["executionArn"])["events"]
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "Glue.ConcurrentRunsExceededException"


def test_a_failed_job_is_not_retried_and_is_alerted(aws, monkeypatch):
    calls = simulate_job(monkeypatch, lambda job, args, n: _fail_runs(job))
    result = aws.run("run-fails")
    assert result["status"] == "FAILED" and result["error"] == "LakegateRunFailed"
    assert len(calls) == 1, "a failed job must not be retried"
    (alert,) = aws.messages(JOB_FAILURE)
    assert "Run run-fails of transactions (test) failed." in alert["Message"]
    assert result["executionArn"] in alert["Message"]
    assert "States.TaskFailed" in alert["Message"]
    assert "P1 job-failure, owner Data Platform" in alert["Message"]
    assert f"Runbook: {RUNBOOKS}/job-failure.md" in alert["Message"]
    assert "First: lakegate runs --env test" in alert["Message"]
    assert aws.messages("reviewers") == []
    assert aws.failures_counted() == 1
    assert aws.dimension_sets(FAILURE_METRIC) == [
        {"Dataset": "transactions"},
        {"Dataset": "transactions", "RunType": "scheduled"},
    ]
    assert aws.failures_counted(MISSING_SUCCESS_METRIC) == 0
    assert aws.s3.list_objects_v2(Bucket=SILVER).get("KeyCount", 0) == 0


class _FailingRuns(list):
    """A job's run list whose runs end FAILED (as a Glue job that raised would)."""

    def append(self, run):
        run._transitions = [("STARTING", "RUNNING"), ("RUNNING", "FAILED")]
        super().append(run)


def _fail_runs(job) -> None:
    if not isinstance(job.job_runs, _FailingRuns):
        job.job_runs = _FailingRuns(job.job_runs)


def test_late_success_is_retried_until_visible(aws, monkeypatch):
    def scenario(job, args, attempt):
        run_id = args["--run_id"]
        threading.Timer(1.5, aws.put_success, (run_id, summary(run_id))).start()

    simulate_job(monkeypatch, scenario)
    result = aws.run("run-late")
    assert result["status"] == "SUCCEEDED"
    history = aws.sfn.get_execution_history(executionArn=result["executionArn"])["events"]
    assert any(e["type"] == "TaskFailed" for e in history), "the first reads found no _SUCCESS"
    assert len(aws.messages("reviewers")) == 1


def test_missing_success_fails_the_execution(aws, monkeypatch):
    simulate_job(monkeypatch, lambda job, args, n: None)  # the job "succeeds" but writes nothing
    result = aws.run("run-no-success")
    assert result["status"] == "FAILED"
    (alert,) = aws.messages(JOB_FAILURE)
    assert "run-no-success" in alert["Message"] and "NoSuchKey" in alert["Message"]
    assert aws.failures_counted() == 1
    # Counted apart as well: the missing-success alarm watches this metric.
    assert aws.failures_counted(MISSING_SUCCESS_METRIC) == 1
    assert len(aws.dimension_sets(MISSING_SUCCESS_METRIC)) == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"quarantine_rate": 0.2}, "quarantine rate 0.2"),
        ({"critical_errors": {"BUSINESS_DUPLICATE": 3}}, "BUSINESS_DUPLICATE"),
        ({"circuit_breaker_triggers": 1}, "circuit breaker triggers 1"),
    ],
)
def test_gate_failure_alerts_instead_of_notifying_reviewers(aws, monkeypatch, changes, reason):
    simulate_job(
        monkeypatch,
        lambda job, args, n: aws.put_success(
            args["--run_id"], summary(args["--run_id"], **changes)
        ),
    )
    result = aws.run("run-gated")
    assert result["status"] == "SUCCEEDED"
    (alert,) = aws.messages(GATE_FAILURE)
    assert "Run run-gated of transactions (test) is not promotable" in alert["Message"]
    assert reason in alert["Message"]
    assert "P2 gate-failure, owner Data Quality" in alert["Message"]
    assert "First: lakegate review run-gated --env test" in alert["Message"]
    assert aws.messages("reviewers") == []
    assert aws.failures_counted(GATE_FAILURE_METRIC) == 1
    assert len(aws.dimension_sets(GATE_FAILURE_METRIC)) == 2
    assert aws.failures_counted() == 0


def test_backfill_on_an_environment_starts_the_state_machine(aws, monkeypatch, capsys):
    """`make backfill ENV=dev` path: an execution named with the _BACKFILL run id, with
    the backfill input; --wait follows it to the end."""
    from lakegate_cli import cli

    simulate_job(
        monkeypatch,
        lambda job, args, n: aws.put_success(
            args["--run_id"], summary(args["--run_id"], run_type="backfill")
        ),
    )
    monkeypatch.setenv("LAKEGATE_NAME_PREFIX", "lakegate")
    aws.sfn.create_state_machine(
        name="lakegate-dev-transactions-ingest",
        definition=render(values(aws.topics)),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )
    code = cli.main(
        [
            "backfill",
            "--env",
            "dev",
            "--year",
            "2024",
            "--month",
            "3",
            "--run-id",
            "20260121T120000Z_BACKFILL",
            "--wait",
            "--poll-seconds",
            "0.2",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    (execution,) = [
        e
        for e in aws.sfn.list_executions(
            stateMachineArn=aws.sfn.list_state_machines()["stateMachines"][-1]["stateMachineArn"]
        )["executions"]
    ]
    assert execution["name"] == "20260121T120000Z_BACKFILL"
    described = aws.sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {
        "run_type": "backfill",
        "year": "2024",
        "month": "03",
        "dataset": "transactions",
    }
    assert described["status"] == "SUCCEEDED"
    assert execution["executionArn"] in out and "console.aws.amazon.com/states" in out
    assert "status:    SUCCEEDED" in out


def test_backfill_on_an_environment_without_the_state_machine_is_one_line(aws, capsys):
    from lakegate_cli import cli

    assert cli.main(["backfill", "--env", "sit", "--year", "2024", "--month", "3"]) == 1
    assert capsys.readouterr().err.strip() == (
        "lakegate: state machine lakegate-sit-transactions-ingest not found: is transactions"
        " deployed in the sit environment (datasets in infra/envs/sit/main.tf)?"
    )


def test_an_execution_for_another_dataset_is_refused_not_run_as_this_one(aws, monkeypatch):
    """A backfill or retry names its dataset; this machine's job ingests one dataset, so
    an execution for another fails with the reason instead of ingesting this one."""
    calls = simulate_job(monkeypatch, lambda job, args, n: None)
    result = aws.run(
        "run-fx", {"run_type": "backfill", "year": "2024", "month": "03", "dataset": "fx_rates"}
    )
    assert result["status"] == "FAILED"
    assert calls == [] and aws.job_runs() == []
    (alert,) = aws.messages(JOB_FAILURE)
    assert "Lakegate.WrongDataset" in alert["Message"]
    assert (
        "this state machine ingests transactions; the execution input names dataset fx_rates"
        in (alert["Message"])
    )


def test_the_dataset_of_the_execution_reaches_the_job(aws, monkeypatch):
    simulate_job(
        monkeypatch,
        lambda job, args, n: aws.put_success(args["--run_id"], summary(args["--run_id"])),
    )
    result = aws.run("run-named", {"dataset": "transactions"})
    assert result["status"] == "SUCCEEDED"
    assert aws.job_runs()[0]["Arguments"]["--dataset"] == "transactions"


def _gold_job(aws: Aws, monkeypatch) -> None:
    """The dev environment's gold job, as `lakegate gold --env dev` finds it."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    aws.glue.create_job(
        Name="lakegate-dev-transactions-gold",
        Role=f"arn:aws:iam::{ACCOUNT}:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://a/gold_balances.py"},
    )


def test_gold_on_an_environment_starts_the_gold_job_and_follows_it(aws, monkeypatch, capsys):
    from lakegate_cli import cli

    _gold_job(aws, monkeypatch)
    code = cli.main(["gold", "--env", "dev", "--run-id", "g-1", "--wait", "--poll-seconds", "0.1"])
    out = capsys.readouterr().out
    assert code == 0, out
    (run,) = aws.glue.get_job_runs(JobName="lakegate-dev-transactions-gold")["JobRuns"]
    assert run["Arguments"] == {"--run_id": "g-1", "--dataset": "transactions"}
    assert "state:     SUCCEEDED" in out
    assert "lakegate review g-1 --dataset account_balances --env dev" in out


def test_gold_on_an_environment_names_the_error_of_a_failed_run(aws, monkeypatch, capsys):
    from lakegate_cli import cli

    _gold_job(aws, monkeypatch)
    simulate_job(monkeypatch, lambda job, args, n: _fail_runs(job))
    code = cli.main(["gold", "--env", "dev", "--run-id", "g-2", "--wait", "--poll-seconds", "0.1"])
    assert code == 1
    assert capsys.readouterr().err.startswith("lakegate: gold run g-2 ended FAILED")
