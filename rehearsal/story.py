"""The rehearsal's story: the AWS path of Lakegate, step by step, as its users take it.

Every step runs as the role that takes it on AWS, under that role's policy: the
schedule starts the state machine, Step Functions runs the Glue job, the job reads
bronze and writes its run, the operator backfills, retries corrections and starts
gold, the promoter reviews and publishes. A request IAM refuses on a path that must
work stops the story with the action and resource named; each role is then shown one
request outside its grant, refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import ClientError

from lakegate import aws, layout
from lakegate.ids import Month, new_run_id, scheduled_window
from lakegate.storage import Lake
from lakegate_cli.sample import Expected, Injection, generate
from rehearsal import definitions
from rehearsal.account import DEPLOYER, OBSERVER, OBSERVER_POLICY, PRODUCER, Account
from rehearsal.emulation import Decision

ROWS = 1000  # per month: 22 bad rows in 1022, under the 5 % gate
BACKFILL, GATE_MONTH, FAULT_MONTH = Month(2024, 3), Month(2024, 4), Month(2024, 5)
CLI = "import sys; from lakegate_cli.cli import main; sys.exit(main())"
APPROVER = ("--approver", "Ana Reviewer", "--reason", "rehearsal: counts match the source")


class RehearsalError(AssertionError):
    pass


@dataclass
class Story:
    account: Account
    out: object = print
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rehearsal-")))
    facts: dict = field(default_factory=dict)
    refused: list[Decision] = field(default_factory=list)
    fault_month: Expected | None = None  # what the source holds for FAULT_MONTH

    # --- telling -----------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out(text)

    def section(self, number: int, title: str) -> None:
        self.say()
        self.say(f"{number}. {title}")
        self.say("-" * (len(title) + 3))

    def must_work(self, mark: int, what: str) -> None:
        denied = [
            d
            for d in self.account.decisions.since(mark)
            if not d.allowed and d.principal != self.account.keys[OBSERVER].user
        ]
        if denied:
            lines = "; ".join(f"{d.principal} {d.action} on {d.resource}" for d in denied[:5])
            raise RehearsalError(
                f"{what}: {len(denied)} request(s) denied on a path that must work: {lines}"
            )

    # --- acting ------------------------------------------------------------------------
    def cli(self, role: str, *args: str, expect: int = 0) -> str:
        """`lakegate ARGS` in its own process with the role's credentials."""
        mark = self.account.decisions.mark()
        done = self.lakegate(role, {}, args)
        self.say(f"  $ lakegate {' '.join(args)}    [as {role}]")
        for line in (done.stdout + done.stderr).rstrip().splitlines():
            self.say(f"      {line}")
        if done.returncode != expect:
            raise RehearsalError(
                f"lakegate {' '.join(args)} as {role} exited {done.returncode},"
                f" not {expect}: {done.stderr.strip()[-300:]}"
            )
        self.must_work(mark, f"lakegate {args[0]} as {role}")
        return done.stdout

    def lakegate(self, role: str, extra_env: dict[str, str], args) -> subprocess.CompletedProcess:
        """The command line in its own process, with the role's keys and `extra_env`."""
        env = {**_base_env(), **self.account.env(role), **extra_env}
        return subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True,
                              text=True, check=False, cwd=self.work, timeout=900)  # fmt: skip

    def start(self, role: str, name: str, execution_input: dict) -> str:
        sfn = self.account.client("stepfunctions", role)
        return sfn.start_execution(
            stateMachineArn=self.account.state_machine, name=name, input=json.dumps(execution_input)
        )["executionArn"]

    def follow(self, execution_arn: str) -> dict:
        """Wait for the execution; print its states with their durations."""
        described = self.account.wait(execution_arn)
        sfn = self.account.client("stepfunctions")
        events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        entered = [
            (e["timestamp"], e["stateEnteredEventDetails"]["name"])
            for e in events
            if "stateEnteredEventDetails" in e
        ]
        end = described.get("stopDate") or events[-1]["timestamp"]
        steps = []
        for (at, name), (after, _) in zip(entered, [*entered[1:], (end, "")], strict=True):
            steps.append(f"{name} {(after - at).total_seconds():.1f}s")
        self.say(f"  execution {execution_arn.rsplit(':', 1)[-1]}: {described['status']}")
        self.say(f"    states: {' -> '.join(steps)}")
        if described["status"] != "SUCCEEDED":
            self.say(f"    error: {described.get('error')}: {described.get('cause', '')[:200]}")
        return described

    def notifications(self) -> list[tuple[str, dict]]:
        found = []
        for topic in self.account.inboxes:
            for message in self.account.messages(topic):
                found.append((topic, message))
                subject = message.get("Subject") or ""
                body = message.get("Message", "")
                self.say(f"    -> SNS {topic}: {subject or body.splitlines()[0][:120]}")
        return found

    def summary(self, run_id: str) -> dict:
        s3 = self.account.client("s3")
        key = layout.success_key(self.account.place.dataset, "v1", run_id)
        body = s3.get_object(Bucket=self.account.place.buckets["silver"], Key=key)["Body"]
        return json.loads(body.read())

    def audit_lock(self, key: str) -> str:
        """The Object Lock an audit record carries: the environment's retention, or fail."""
        head = self.account.client("s3").head_object(
            Bucket=self.account.place.buckets["silver"], Key=key
        )
        mode, until = head.get("ObjectLockMode"), head.get("ObjectLockRetainUntilDate")
        wanted = definitions.audit_retention(self.account.place.env)
        if mode != wanted.mode or until is None:
            raise RehearsalError(f"audit record {key} is not under {wanted.mode} retention")
        return f"{key.rsplit('/', 1)[-1]}: Object Lock {mode} until {until:%Y-%m-%d %H:%M} UTC"

    def latest(self) -> dict | None:
        s3 = self.account.client("s3")
        try:
            body = s3.get_object(
                Bucket=self.account.place.buckets["silver"],
                Key=layout.latest_key(self.account.place.dataset),
            )["Body"]
        except ClientError:
            return None
        return json.loads(body.read())

    def land(self, month: Month, rows: int = ROWS, injection: Injection | None = None) -> Expected:
        """The source system lands a month of CSVs in bronze (as the producer)."""
        mark = self.account.decisions.mark()
        lake = Lake.s3(self.account.client("s3", PRODUCER), self.account.place.buckets)
        expected = generate(
            lake["bronze"],
            self.account.place.dataset,
            [month],
            rows,
            seed=month.year * 100 + month.month,
            injection=injection,
        )
        self.say(f"  landed {expected.input_rows} rows of {month.label} in bronze  [as {PRODUCER}]")
        self.must_work(mark, f"landing {month.label}")
        return expected

    # --- the story ---------------------------------------------------------------------
    def tell(self) -> dict:
        started = time.monotonic()
        self.resources()
        self.scheduled_run()
        self.backfill_and_promote()
        self.retry_corrections()
        self.gate_failure()
        self.job_killed_mid_write()
        self.missing_success()
        self.gold()
        self.promoter_under_faults()
        self.refusals()
        self.requests()
        self.facts["seconds"] = round(time.monotonic() - started, 1)
        self.say()
        self.say(
            f"Rehearsal complete in {self.facts['seconds']} s: 0 requests denied on paths"
            " that must work."
        )
        return self.facts

    def resources(self) -> None:
        account = self.account
        self.section(
            1, f"The {account.place.env} environment, built from infra/ and state_machine/"
        )
        self.say(
            f"  moto server {account.endpoint}, IAM enforcement on (every request signed"
            " and judged)"
        )
        for role, bucket in account.place.buckets.items():
            self.say(f"  bucket  {bucket:28} ({role})")
        for role, policy in account.policies.items():
            if role in (OBSERVER, PRODUCER):
                continue
            statements = policy["Statement"]
            self.say(
                f"  role    {role:14} {len(statements)} statements, user {account.keys[role].user}"
            )
        for name, job in account.jobs.items():
            self.say(
                f"  glue    {name}: {job.script}, {len(job.default_arguments)} DefaultArguments"
            )
        self.say(
            f"  states  {account.state_machine.rsplit(':', 1)[-1]} (ASL rendered as Terraform does)"
        )
        self.say(
            f"  sns     {len(account.topic_arns)} topics: {', '.join(sorted(account.topic_arns))}"
        )
        self.say(f"  s3a     {', '.join(j.name for j in account.glue_runner.jars)}")
        self.deploy()

    def deploy(self) -> None:
        """What the deploy workflow does after apply: upload the build, smoke-test, both as
        the deployer."""
        mark = self.account.decisions.mark()
        s3 = self.account.client("s3", DEPLOYER)
        target = f"glue/{self.account.code_version}/"
        files = sorted(self.account.artifact.iterdir())
        for path in files:
            s3.upload_file(str(path), self.account.place.buckets["artifacts"], target + path.name)
        where = f"s3://{self.account.place.buckets['artifacts']}/{target}"
        self.say(f"  deploy  {len(files)} files of build {self.account.code_version} uploaded to"
                 f" {where}  [as {DEPLOYER}]")  # fmt: skip
        command = [sys.executable, "tools/smoke_test.py", "--env", self.account.place.env,
                   "--code-version", self.account.code_version]  # fmt: skip
        env = {**_base_env(), **self.account.env(DEPLOYER)}
        root = Path(__file__).resolve().parent.parent
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                              cwd=root, timeout=300)  # fmt: skip
        for line in done.stdout.strip().splitlines()[-1:]:
            self.say(f"  smoke   {line}  [as {DEPLOYER}]")
        if done.returncode != 0:
            raise RehearsalError(f"the smoke test failed: {done.stdout[-800:]}{done.stderr[-400:]}")
        self.must_work(mark, "the deploy's upload and smoke test")

    def scheduled_run(self) -> None:
        self.section(2, "The daily schedule: EventBridge starts the state machine")
        now = datetime.now(UTC)
        for month in scheduled_window(now).months():
            self.land(month)
        scheduled = json.loads(
            (
                Path(__file__).resolve().parent.parent / "state_machine" / "scheduled_input.json"
            ).read_text()
        )
        mark = self.account.decisions.mark()
        run_id = new_run_id(now, "scheduled")
        described = self.follow(self.start("schedule", run_id, scheduled))
        self.must_work(mark, "the scheduled run")
        if described["status"] != "SUCCEEDED":
            raise RehearsalError(f"the scheduled run ended {described['status']}")
        summary = self.summary(run_id)
        self.say(
            f"  _SUCCESS: {summary['input_rows']} rows in, {summary['valid_rows_count']} valid,"
            f" {summary['quarantined_rows_count']} quarantined,"
            f" {summary['condemned_rows_count']} condemned; window"
            f" {summary['input_window']['from']}..{summary['input_window']['to']}"
        )
        self.notifications()
        self.facts["scheduled"] = summary["input_rows"]
        self.facts["scheduled_run"] = run_id

    def backfill_and_promote(self) -> None:
        self.section(3, f"A backfill of {BACKFILL.label}, reviewed and promoted")
        self.land(BACKFILL)
        run_id = new_run_id(datetime.now(UTC), "backfill")
        self.cli(
            "operator",
            "backfill",
            "--env",
            "dev",
            "--year",
            str(BACKFILL.year),
            "--month",
            str(BACKFILL.month),
            "--run-id",
            run_id,
            "--wait",
            "--poll-seconds",
            "1",
        )
        self.notifications()
        self.cli("promoter", "review", run_id, "--env", "dev")
        self.cli("promoter", "promote", run_id, "--env", "dev", *APPROVER)
        latest = self.latest()
        if not latest or latest["run_id"] != run_id:
            raise RehearsalError(f"_LATEST.json does not name {run_id}: {latest}")
        glue = self.account.client("glue")
        place = self.account.place
        database = aws.glue_database(place.env, place.name_prefix)
        partitions = glue.get_partitions(DatabaseName=database, TableName="transactions")
        values = sorted("/".join(p["Values"]) for p in partitions["Partitions"])
        self.say(
            f"  _LATEST.json -> {latest['run_id']} (version {latest['version']});"
            f" catalog partitions {values}"
        )
        self.say(f"  audit record {self.audit_lock(latest['audit_event'])}")
        self.facts["backfill"] = self.summary(run_id)
        self.facts["backfill_run"] = run_id

    def retry_corrections(self) -> None:
        from lakegate_cli.demo import correct_like_a_reviewer

        self.section(4, "Corrections: export the quarantine, fix, retry through the state machine")
        run_id = self.facts["backfill_run"]
        out = self.work / "corrections"
        self.cli("operator", "quarantine", "export", run_id, "--env", "dev", "--out", str(out))
        files = sorted(p for p in out.glob("*.csv") if not p.name.endswith(".errors.csv"))
        fixed = sum(correct_like_a_reviewer(p) for p in files)
        self.say(f"  corrected {fixed} rows by hand")
        before = set(self._executions())
        self.cli("operator", "quarantine", "retry", *map(str, files), "--env", "dev")
        (execution,) = set(self._executions()) - before
        described = self.follow(execution)
        if described["status"] != "SUCCEEDED":
            raise RehearsalError(f"the retry run ended {described['status']}")
        retry = self.summary(execution.rsplit(":", 1)[-1])
        self.say(
            f"  retry run: {retry['input_rows']} rows in, {retry['valid_rows_count']} valid,"
            f" retried from {sorted(retry['retried_from'])}"
        )
        self.notifications()
        self.facts["retry"] = retry["valid_rows_count"]
        self.facts["retry_run"] = retry["run_id"]

    def _executions(self) -> list[str]:
        sfn = self.account.client("stepfunctions")
        found = sfn.list_executions(stateMachineArn=self.account.state_machine)["executions"]
        return [e["executionArn"] for e in found]

    def gate_failure(self) -> None:
        self.section(5, f"A run that fails the gate ({GATE_MONTH.label}: 10 % null values)")
        self.land(GATE_MONTH, rows=300, injection=Injection(null_value=30))
        run_id = new_run_id(datetime.now(UTC), "backfill")
        described = self.follow(self.start("operator", run_id, self.backfill_input(GATE_MONTH)))
        sent = self.notifications()
        if described["status"] != "SUCCEEDED" or not any("gate" in t or "p2" in t for t, _ in sent):
            raise RehearsalError("a gate failure must end NotPromotable with a P2 notification")
        self.facts["gate"] = described["status"]
        self.facts["gate_run"] = run_id

    def job_killed_mid_write(self) -> None:
        self.section(
            6,
            f"The job killed mid-write ({FAULT_MONTH.label}): no _SUCCESS, nothing published",
        )
        self.fault_month = self.land(FAULT_MONTH)
        latest_before = self.latest()
        runner = self.account.glue_runner
        runner.kill_after_first_parquet = True
        run_id = new_run_id(datetime.now(UTC), "backfill").replace("_BACKFILL", "-kill_BACKFILL")
        described = self.follow(self.start("operator", run_id, self.backfill_input(FAULT_MONTH)))
        runner.kill_after_first_parquet = False
        self.say(f"    killed when {runner.runs[-1].killed_at} was on S3")
        sent = self.notifications()
        if described["status"] != "FAILED" or not any(run_id in json.dumps(m) for _, m in sent):
            raise RehearsalError("a killed job must fail the execution with a P1 naming the run")
        s3 = self.account.client("s3")
        prefix = layout.run_prefix(self.account.place.dataset, "v1", run_id)
        listed = s3.list_objects_v2(Bucket=self.account.place.buckets["silver"], Prefix=prefix)
        keys = [o["Key"] for o in listed.get("Contents", [])]
        success = any(k.endswith("_SUCCESS") for k in keys)
        self.say(
            f"  left behind: {len(keys)} objects under {prefix}, _SUCCESS: {success};"
            f" _LATEST.json unchanged: {self.latest() == latest_before}"
        )
        if success or self.latest() != latest_before:
            raise RehearsalError("a killed run left a _SUCCESS or moved _LATEST.json")

    def backfill_input(self, month: Month) -> dict[str, str]:
        return {"run_type": "backfill", "year": str(month.year), "month": str(month.month)}

    def missing_success(self) -> None:
        """The rerun of the killed month: the job completes, but its _SUCCESS is taken
        away as it ends, as if S3 never showed it. The state machine retries, then
        fails with a P1; what the job had written as _SUCCESS counts what the source
        holds, so the kill left nothing that a rerun would count."""
        self.section(
            7,
            f"The rerun of {FAULT_MONTH.label} succeeds, but its _SUCCESS never appears",
        )
        runner = self.account.glue_runner
        runner.hide_success = True
        rerun = new_run_id(datetime.now(UTC), "backfill").replace("_BACKFILL", "-rerun_BACKFILL")
        described = self.follow(self.start("operator", rerun, self.backfill_input(FAULT_MONTH)))
        runner.hide_success = False
        sent = self.notifications()
        if described["status"] != "FAILED" or not sent:
            raise RehearsalError("a missing _SUCCESS must fail the execution with a P1")
        if rerun not in runner.hidden:
            raise RehearsalError(f"the rerun {rerun} ended without writing its _SUCCESS")
        again = json.loads(runner.hidden[rerun])
        expected = self.fault_month
        assert expected is not None, "section 6 lands the month"
        counts = {
            "input_rows": expected.input_rows,
            "valid_rows_count": expected.valid,
            "quarantined_rows_count": expected.quarantined,
            "condemned_rows_count": expected.condemned,
        }
        same = all(again[name] == value for name, value in counts.items())
        self.say(
            "  the job's _SUCCESS before it was taken away: "
            + ", ".join(f"{f} {again[f]}" for f in counts)
            + f" (what the source holds: {same})"
        )
        if not same:
            raise RehearsalError(f"the rerun after a killed job counted {again}, not {counts}")

    def gold(self) -> None:
        self.section(8, "Gold: the operator starts the gold job; the promoter publishes it")
        run_id = new_run_id(datetime.now(UTC), "scheduled").replace("Z", "Z-gold")
        self.cli(
            "operator", "gold", "--env", "dev", "--run-id", run_id, "--wait", "--poll-seconds", "1"
        )
        self.cli(
            "promoter",
            "promote",
            run_id,
            "--env",
            "dev",
            "--dataset",
            "account_balances",
            *APPROVER,
        )
        self.facts["gold_run"] = run_id

    def promoter_under_faults(self) -> None:
        """Promotions while S3 answers 503/500 to one request in five, with the SDK's
        retries off: each command completes or exits 1 or 4, and what is published stays
        consistent; the same command without faults then finishes the work."""
        from rehearsal.faults import FaultyS3

        self.section(9, "The promoter while S3 answers 503/500 to one request in five")
        runs = [self.facts["scheduled_run"], self.facts["retry_run"]]
        proxy = FaultyS3(self.account.endpoint, share=0.2, seed=11)
        endpoint = proxy.start()
        faulty = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
        }
        outcomes = []
        try:
            for run_id in runs:
                before = self.latest()
                code = self.cli_code(
                    "promoter", faulty, "promote", run_id, "--env", "dev", *APPROVER
                )
                after = self.latest()
                self.check_published(before, after, run_id, code)
                if code != 0:
                    self.cli("promoter", "sync-current", "--env", "dev")
                    again = self.cli_code(
                        "promoter", {}, "promote", run_id, "--env", "dev", *APPROVER
                    )
                    if again not in (0, 3) or (self.latest() or {}).get("run_id") != run_id:
                        raise RehearsalError(f"promote {run_id} after a fault: exit {again}")
                outcomes.append(code)
        finally:
            proxy.stop()
        self.say(
            f"  {proxy.failed} S3 requests failed, {proxy.forwarded} passed; exit codes"
            f" under faults {outcomes}; _LATEST.json -> {self.latest()['run_id']}"
            f" (version {self.latest()['version']})"
        )
        self.facts["faults"] = {"failed": proxy.failed, "exit_codes": outcomes}
        self.say("  the promoter's other commands:")
        self.cli("promoter", "reject", self.facts["gate_run"], "--env", "dev", "--approver",
                 "Ana Reviewer", "--reason", "rehearsal: 10 % null values")  # fmt: skip
        version = self.latest()["version"]
        self.cli("promoter", "rollback", "--to", str(version - 1), "--env", "dev", "--approver",
                 "Ana Reviewer", "--reason", "rehearsal: back one version")  # fmt: skip
        if self.latest()["version"] != version + 1:
            raise RehearsalError("rollback did not publish a new version")
        self.cli("promoter", "runs", "--env", "dev")
        self.cli("promoter", "audit", "--env", "dev")

    def cli_code(self, role: str, extra_env: dict[str, str], *args: str) -> int:
        """`lakegate ARGS` as `role`, extra environment on top; its exit code, which must be
        0 (done), 1 (failed) or 4 (conflict) or 3 (nothing to do)."""
        done = self.lakegate(role, extra_env, args)
        last = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or [""])[-1]
        faults = ", S3 faults" if extra_env else ""
        self.say(
            f"  $ lakegate {' '.join(args[:2])} ...  [as {role}{faults}]"
            f" -> exit {done.returncode}: {last[:110]}"
        )
        if done.returncode not in (0, 1, 3, 4):
            raise RehearsalError(f"lakegate {' '.join(args)} exited {done.returncode}: {last}")
        return done.returncode

    def check_published(
        self, before: dict | None, after: dict | None, run_id: str, code: int
    ) -> None:
        """_LATEST.json is the one before or names the run, its manifest, audit record and
        every run it serves exist."""
        if code == 0 and (after or {}).get("run_id") != run_id:
            raise RehearsalError(f"promote {run_id} exited 0 but _LATEST.json names {after}")
        if after != before and (after or {}).get("run_id") != run_id:
            raise RehearsalError(f"_LATEST.json moved to {after} while promoting {run_id}")
        if after is None:
            return
        s3, silver = self.account.client("s3"), self.account.place.buckets["silver"]
        keys = [after["manifest"], after["audit_event"]] + [
            layout.success_key(self.account.place.dataset, "v1", run)
            for runs in after["partitions"].values()
            for run in runs
        ]
        for key in keys:
            try:
                s3.head_object(Bucket=silver, Key=key)
            except ClientError as error:
                raise RehearsalError(f"_LATEST.json names {key}, which is missing") from error

    def refusals(self) -> None:
        self.section(10, "Each role outside its grant: refused")
        place, buckets = self.account.place, self.account.place.buckets
        latest_key = layout.latest_key(place.dataset)
        attempts = {
            "job": (
                "s3",
                "put_object",
                {"Bucket": buckets["silver"], "Key": latest_key, "Body": b"{}"},
            ),
            "state_machine": (
                "s3",
                "get_object",
                {"Bucket": buckets["bronze"], "Key": "transactions/x.csv"},
            ),
            "gold_job": (
                "s3",
                "get_object",
                {"Bucket": buckets["bronze"], "Key": "transactions/x.csv"},
            ),
            "promoter": (
                "glue",
                "start_job_run",
                {"JobName": aws.glue_job_name(place.env, place.dataset, place.name_prefix)},
            ),
            "operator": (
                "s3",
                "put_object",
                {"Bucket": buckets["silver"], "Key": latest_key, "Body": b"{}"},
            ),
            "schedule": ("stepfunctions", "list_state_machines", {}),
            DEPLOYER: (
                "iam",
                "put_role_policy",
                {
                    "RoleName": f"{place.name}-{DEPLOYER}",
                    "PolicyName": "escalate",
                    "PolicyDocument": json.dumps(OBSERVER_POLICY),
                },
            ),
        }
        for role, (service, operation, params) in attempts.items():
            mark = self.account.decisions.mark()
            try:
                getattr(self.account.client(service, role), operation)(**params)
            except ClientError as error:
                code = error.response["Error"]["Code"]
            else:
                raise RehearsalError(f"{role} could {operation}: the grant is too wide")
            (decision,) = [d for d in self.account.decisions.since(mark) if not d.allowed] or [None]
            if decision is None:
                raise RehearsalError(f"{role} {operation} failed with {code}, not an IAM refusal")
            self.refused.append(decision)
            self.say(f"  {role:14} {decision.action} on {decision.resource}: {code}")

    def requests(self) -> None:
        self.section(11, "Requests per role")
        observer = self.account.keys[OBSERVER].user
        counts = Counter(
            (d.principal, d.allowed)
            for d in self.account.decisions.items
            if d.principal != observer
        )
        users = {keys.user: role for role, keys in self.account.keys.items()}
        self.say(f"  {'role':14} {'allowed':>8} {'denied':>7}  (denied: only the refusals above)")
        for user in sorted({u for u, _ in counts}):
            self.say(
                f"  {users.get(user, user):14} {counts[(user, True)]:8} {counts[(user, False)]:7}"
            )
        expected = Counter(d.principal for d in self.refused)
        unexpected = {
            u: n for (u, allowed), n in counts.items() if not allowed and n != expected[u]
        }
        self.facts["denied_on_working_paths"] = sum(unexpected.values())
        if unexpected:
            raise RehearsalError(f"requests denied beyond the refusals: {unexpected}")


def _base_env() -> dict[str, str]:
    import os

    root = str(Path(__file__).resolve().parent.parent)
    # The rehearsal's names have the default prefix (Place): a prefix set in the shell
    # that runs it does not apply.
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "LAKEGATE_NAME_PREFIX"
    }
    return {**keep, "PYTHONPATH": root, "LAKEGATE_LAKE": ""}
