"""What the rehearsal adds to moto so that it behaves as AWS does on Lakegate's path.

Applied once, in the rehearsal's own process (never in the test process):

- Glue job runs execute the real entry script (`GlueRunner`): moto records the run with
  the job's DefaultArguments overlaid by the run's Arguments, and the script runs in
  its own process with exactly that argv plus --JOB_NAME and --JOB_RUN_ID; the run's
  state and ErrorMessage are the process's.
- Step Functions calls services as its role: moto's interpreter signs with a fixed
  dummy key; here it uses the keys of the principal that holds the state machine
  role's policy, so IAM judges its calls too.
- IAM judges Glue, Step Functions and SNS calls against the resource they name (moto
  evaluates them against "*", so a grant scoped to one job, machine or topic would
  never match).
- The three gaps of moto's Step Functions support that tests/aws/test_state_machine.py
  documents (S3 bodies as text, S3 error names, Glue's .sync pattern).
- Every IAM decision is recorded: who, which action, which resource, allowed or not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Decision:
    principal: str  # the IAM user name
    action: str
    resource: str
    allowed: bool


@dataclass
class Decisions:
    """Every request IAM judged, in order."""

    items: list[Decision] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, decision: Decision) -> None:
        with self.lock:
            self.items.append(decision)

    def mark(self) -> int:
        with self.lock:
            return len(self.items)

    def since(self, mark: int) -> list[Decision]:
        with self.lock:
            return list(self.items[mark:])


def bridge_moto_gaps(setattr_: Callable, setitem: Callable) -> None:
    """moto's Step Functions interpreter, made to behave as AWS does for the ASL:
    GetObject's Body reaches the state machine as text; S3 error names are spelt
    `S3.<Error>Exception`; Glue's `.sync` integration declares the pattern moto's
    shared callback code needs. Used by the rehearsal and tests/aws/test_state_machine.py."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource as sfn_resource,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sfn_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_glue as sfn_glue,
    )

    original_sdk_task = sfn_sdk.StateTaskServiceAwsSdk._eval_service_task

    def sdk_task_with_text_bodies(self, env, *args, **kwargs):
        original_sdk_task(self, env, *args, **kwargs)
        response = env.stack[-1]
        if isinstance(response, dict):
            for key, value in list(response.items()):
                if hasattr(value, "read"):  # a streaming body: Step Functions returns text
                    response[key] = value.read().decode("utf-8")

    setattr_(sfn_sdk.StateTaskServiceAwsSdk, "_eval_service_task", sdk_task_with_text_bodies)
    setitem(sfn_sdk._SERVICE_ERROR_NAMES, "s3", "S3")
    patterns = {
        sfn_resource.ResourceCondition.Sync,
        sfn_resource.ResourceCondition.WaitForTaskToken,
    }
    setattr_(sfn_glue, "_SUPPORTED_INTEGRATION_PATTERNS", patterns)


def _json_body(response) -> dict:
    try:
        return json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}


def _scope_resources(account: str) -> None:
    """Resource ARNs for the IAM check of the calls Lakegate's roles make."""
    from moto.glue.responses import GlueResponse
    from moto.sns.responses import SNSResponse
    from moto.stepfunctions.responses import StepFunctionResponse

    def glue_resource(self) -> str:
        body, base = _json_body(self), f"arn:aws:glue:{self.region}:{account}"
        if body.get("JobName"):
            return f"{base}:job/{body['JobName']}"
        database = body.get("DatabaseName")
        table = body.get("TableName") or body.get("Name")
        if database and table:
            return f"{base}:table/{database}/{table}"
        return f"{base}:database/{database}" if database else "*"

    def states_resource(self) -> str:
        body = _json_body(self)
        return body.get("executionArn") or body.get("stateMachineArn") or "*"

    def sns_resource(self) -> str:
        return self._get_param("TopicArn") or "*"

    GlueResponse._determine_resource = glue_resource
    StepFunctionResponse._determine_resource = states_resource
    SNSResponse._determine_resource = sns_resource


def _verify_every_signed_header() -> None:
    """moto recomputes a signature with botocore, which never signs User-Agent; the AWS
    SDK for Java (S3A) does, and AWS verifies whatever SignedHeaders names. Without
    this, every S3A request would fail with SignatureDoesNotMatch."""
    from botocore.awsrequest import HTTPHeaders
    from moto.iam.access_control import IAMRequestBase

    original_create_auth = {}

    def create_auth(self, credentials):
        auth = original_create_auth[type(self)](self, credentials)
        signed = set(
            self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(
                ";"
            )
        )

        def headers_to_sign(request):
            headers = HTTPHeaders()
            for name, value in request.headers.items():
                if name.lower() in signed:
                    headers[name.lower()] = value
            return headers

        auth.headers_to_sign = headers_to_sign
        return auth

    for cls in IAMRequestBase.__subclasses__():
        original_create_auth[cls] = cls._create_auth
        cls._create_auth = create_auth


def _delete_objects_per_key() -> None:
    """AWS authorises a DeleteObjects request key by key (s3:DeleteObject on each
    object); moto checks the bucket and refuses every key when that fails. S3A deletes
    its temporary files that way, under grants scoped to run paths."""
    import xmltodict
    from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_delete_keys

    def delete_keys(self, bucket_name: str, authenticated: bool = True):
        if authenticated:
            return original(self, bucket_name, True)
        request = xmltodict.parse(self.body, strip_whitespace=False)
        objects = request["Delete"].get("Object", [])
        objects = objects if isinstance(objects, list) else [objects]
        allowed, refused = [], []
        for item in objects:
            try:
                self._authenticate_and_authorize_s3_action(
                    bucket_name=bucket_name, key_name=item["Key"]
                )
                allowed.append(item)
            except (BucketAccessDeniedError, S3AccessDeniedError):
                refused.append(item["Key"])
        if not allowed:
            return original(self, bucket_name, False)
        request["Delete"]["Object"] = allowed
        self.body = xmltodict.unparse(request).encode()
        status, headers, body = original(self, bucket_name, True)
        errors = "".join(
            f"<Error><Key>{k}</Key><Code>AccessDenied</Code>"
            "<Message>Access Denied</Message></Error>"
            for k in refused
        )
        text = body.decode() if isinstance(body, bytes) else body
        return status, headers, text.replace("</DeleteResult>", errors + "</DeleteResult>")

    S3Response._bucket_response_delete_keys = delete_keys


def _record_decisions(decisions: Decisions) -> None:
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase.check_action_permitted
    original_signature = IAMRequestBase.check_signature

    def check_signature(self) -> None:
        try:
            original_signature(self)
        except Exception:
            principal = self._access_key.arn.rsplit("/", 1)[-1]
            decisions.add(Decision(principal, "(signature)", self._path, False))
            raise

    def check(self, resource: str) -> None:
        principal = self._access_key.arn.rsplit("/", 1)[-1]
        # moto names an action by the request's signing name; IAM by the service prefix
        # (CloudWatch signs as "monitoring", its actions are cloudwatch:*).
        if self._action.startswith("monitoring:"):
            self._action = "cloudwatch:" + self._action.removeprefix("monitoring:")
        # moto first tries a DeleteObjects request against the bucket, then key by key
        # (_delete_objects_per_key); AWS only ever judges the keys.
        bucket_only = self._action == "s3:DeleteObject" and "/" not in resource.split(":::")[-1]
        try:
            original(self, resource)
        except Exception:
            if not bucket_only:
                decisions.add(Decision(principal, self._action, resource, False))
            raise
        decisions.add(Decision(principal, self._action, resource, True))

    IAMRequestBase.check_action_permitted = check
    IAMRequestBase.check_signature = check_signature


def _states_as_role(endpoint: str, keys: Callable[[], tuple[str, str]]) -> None:
    """Step Functions' service calls signed with the state machine role's keys."""
    import importlib
    import pkgutil

    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.component.state.exec import state_task
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    for info in pkgutil.walk_packages(state_task.__path__, state_task.__name__ + "."):
        importlib.import_module(info.name)
    original = module.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials=None):
        key, secret = keys()
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        )

    for name, loaded in list(sys.modules.items()):
        patched = getattr(loaded, "boto_client_for", None) is original
        if name.startswith("moto.stepfunctions") and patched:
            loaded.boto_client_for = boto_client_for


@dataclass
class JobProcess:
    """One Glue job run: the entry script in its own process."""

    argv: list[str]
    log: Path
    process: subprocess.Popen
    on_success: Callable[[], None] | None = None
    killed_at: str | None = None  # the key on S3 when the fault killed the job

    def state(self) -> str:
        code = self.process.poll()
        if code is None:
            return "RUNNING"
        if code == 0 and self.on_success is not None:
            hook, self.on_success = self.on_success, None
            hook()
        return "SUCCEEDED" if code == 0 else "FAILED"

    def error_message(self) -> str | None:
        if self.process.poll() in (None, 0):
            return None
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith(("lakegate", "Lakegate")) or "Error:" in ln]
        return (errors or lines or [f"exit code {self.process.returncode}"])[-1][:2048]


@dataclass
class GlueRunner:
    """Starts each job run's entry script as Glue would, with its job role's keys."""

    endpoint: str
    region: str
    logs: Path
    spark_conf: dict[str, str]
    jars: list[Path]
    keys: Callable[[str], tuple[str, str]]  # job name -> the keys of its role
    scripts: dict[str, Path]  # job name -> entry script
    observer: Callable[[], object] | None = None  # an S3 client that sees everything
    runs: list[JobProcess] = field(default_factory=list)
    # Faults the story injects into the next run: kill the job once its first Parquet
    # file is on S3; or delete its _SUCCESS when it ends, as if never visible (what it
    # held is kept in `hidden`, by run id, for the story to read).
    kill_after_first_parquet: bool = False
    hide_success: bool = False
    hidden: dict[str, bytes] = field(default_factory=dict)

    def environment(self, job_name: str) -> dict[str, str]:
        key, secret = self.keys(job_name)
        submit = ["--jars", ",".join(str(j) for j in self.jars)]
        for name, value in self.spark_conf.items():
            submit += ["--conf", f"{name}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {
            **env,
            "PYTHONPATH": str(ROOT),
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "PYSPARK_SUBMIT_ARGS": " ".join([*submit, "pyspark-shell"]),
        }

    def start(self, job_name: str, run_id: str, arguments: dict[str, str]) -> JobProcess:
        argv = [str(self.scripts[job_name])]
        for name, value in arguments.items():
            argv += [name, value]
        argv += ["--JOB_NAME", job_name, "--JOB_RUN_ID", run_id]
        log = self.logs / f"{job_name}-{len(self.runs) + 1:02d}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, *argv],
                env=self.environment(job_name),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.logs,
                start_new_session=True,  # one process group: a kill takes the JVM too
            )
        run = JobProcess(argv, log, process)
        if self.hide_success:
            run.on_success = lambda: self._delete_success(arguments)
        if self.kill_after_first_parquet:
            threading.Thread(
                target=self._kill_when_writing, args=(run, arguments), daemon=True
            ).start()
        self.runs.append(run)
        return run

    def _run_place(self, arguments: dict[str, str]) -> tuple[str, str]:
        from lakegate import layout

        bucket = arguments["--silver"].removeprefix("s3://")
        prefix = layout.run_prefix(
            arguments["--dataset"], arguments.get("--schema_v") or "v1", arguments["--run_id"]
        )
        return bucket, prefix

    def _delete_success(self, arguments: dict[str, str]) -> None:
        bucket, prefix = self._run_place(arguments)
        s3 = self.observer()
        body = s3.get_object(Bucket=bucket, Key=f"{prefix}_SUCCESS")["Body"].read()
        self.hidden[arguments["--run_id"]] = body
        s3.delete_object(Bucket=bucket, Key=f"{prefix}_SUCCESS")

    def _kill_when_writing(self, run: JobProcess, arguments: dict[str, str]) -> None:
        bucket, prefix = self._run_place(arguments)
        while run.process.poll() is None:
            listed = self.observer().list_objects_v2(Bucket=bucket, Prefix=prefix)
            parquet = [
                o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".parquet")
            ]
            if parquet:
                os.killpg(run.process.pid, signal.SIGKILL)  # the script and its JVM
                run.killed_at = parquet[0]
                return
            time.sleep(0.2)

    def install(self) -> None:
        from moto.glue import models as glue_models

        runner = self
        original_start = glue_models.FakeJob.start_job_run
        status = glue_models.FakeJobRun.status
        original_as_dict = glue_models.FakeJobRun.as_dict

        def start_job_run(job, *args, **kwargs):
            run_id = original_start(job, *args, **kwargs)
            (run,) = [r for r in job.job_runs if r.job_run_id == run_id]
            run.glue_process = runner.start(job.name, run_id, dict(run.arguments or {}))
            return run_id

        def run_status(run):
            process = getattr(run, "glue_process", None)
            return process.state() if process else status.fget(run)

        def as_dict(run):
            described = original_as_dict(run)
            process = getattr(run, "glue_process", None)
            message = process.error_message() if process else None
            if message:
                described["ErrorMessage"] = message
            return described

        glue_models.FakeJob.start_job_run = start_job_run
        glue_models.FakeJobRun.status = property(run_status, status.fset)
        glue_models.FakeJobRun.as_dict = as_dict

    def stop_all(self) -> None:
        for run in self.runs:
            if run.process.poll() is None:
                os.killpg(run.process.pid, signal.SIGKILL)
                run.process.wait()


def install(
    endpoint: str,
    account: str,
    decisions: Decisions,
    state_machine_keys: Callable[[], tuple[str, str]],
) -> None:
    """Everything above, in this process."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    bridge_moto_gaps(setattr, lambda mapping, key, value: mapping.__setitem__(key, value))
    _scope_resources(account)
    _verify_every_signed_header()
    _delete_objects_per_key()
    _record_decisions(decisions)
    _states_as_role(endpoint, state_machine_keys)
