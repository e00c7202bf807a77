"""The emulated AWS account: a moto server on 127.0.0.1 with IAM enforcement on, and
the dev environment built in it from the definitions Terraform deploys.

Each role is an IAM user holding exactly the role's policy as Terraform renders it
(rehearsal.roles): moto evaluates a user's policies as AWS evaluates a role session's.
The account's own setup (and what the story reads to tell what happened) runs as an
administrator before enforcement is switched on, or as the `observer` user after.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from lakegate import alerts, aws, datasets
from lakegate.asl import render as render_asl
from rehearsal import definitions, emulation, jars
from rehearsal.roles import TEMPLATES, Place, deployer_policy, role_policy
from tools import build_artifact

OBSERVER = "observer"  # reads everything, for the story; never on a path under test
PRODUCER = "producer"  # the source system that lands CSVs in bronze
OBSERVER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
PRODUCER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*-bronze/*"}
    ],
}
# The IAM role names infra/modules/iam gives the job roles.
ROLE_NAMES = {"job": "glue-job", "gold_job": "glue-gold-job"}
DEPLOYER = "deployer"  # infra/modules/github_oidc: applies Terraform, uploads, smoke-tests
ROLE_USERS = {role: f"rehearsal-{role.replace('_', '-')}" for role in [*TEMPLATES, DEPLOYER]}
ROLE_USERS.update({OBSERVER: "rehearsal-observer", PRODUCER: "rehearsal-producer"})
# The intervals Terraform passes are minutes; the rehearsal waits seconds.
RETRY_SECONDS = {"glue_retry_interval_seconds": 1, "success_retry_interval_seconds": 1}


@dataclass
class Keys:
    user: str
    key: str
    secret: str


@dataclass
class Account:
    place: Place
    work: Path
    code_version: str = ""  # of the build (tools/build_artifact.py), made at start
    runbook_base_url: str = "https://example.org/lakegate/runbooks"
    decisions: emulation.Decisions = field(default_factory=emulation.Decisions)
    keys: dict[str, Keys] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    inboxes: dict[str, str] = field(default_factory=dict)

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Account:
        from moto import settings
        from moto.server import ThreadedMotoServer

        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")  # setup as administrator
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto's interpreter logs the JSONPath misses that the ASL's Choice states expect.
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        self.server.start()
        _, port = self.server.get_host_and_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        emulation.install(
            self.endpoint,
            self.place.account,
            self.decisions,
            lambda: self.credentials("state_machine"),
        )
        self.artifact = build_artifact.build(build_artifact._head(), self.work / "dist")
        self.code_version = self.artifact.name.removeprefix("lakegate-")
        self.jobs = definitions.glue_jobs(self.place, self.code_version)
        root = emulation.ROOT / "glue_jobs"
        self.glue_runner = emulation.GlueRunner(
            endpoint=self.endpoint,
            region=self.place.region,
            logs=self.work / "glue-runs",
            spark_conf=self.spark_conf(),
            jars=jars.s3a_jars(),
            keys=lambda job_name: self.credentials(self.jobs[job_name].role),
            scripts={name: root / job.script for name, job in self.jobs.items()},
            observer=lambda: self.client("s3"),
        )
        self.glue_runner.install()
        self._build()
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from here on, IAM judges every call
        return self

    def stop(self) -> None:
        self.glue_runner.stop_all()
        self.server.stop()

    def spark_conf(self) -> dict[str, str]:
        """S3A for s3:// (Glue's own connector is EMRFS), path-style, at the server; the
        keys come from the process environment, as on Glue from the job role."""
        return {
            "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
            "spark.hadoop.fs.s3a.endpoint": self.endpoint,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.aws.credentials.provider": (
                "com.amazonaws.auth.EnvironmentVariableCredentialsProvider"
            ),
            "spark.hadoop.fs.s3a.change.detection.mode": "none",
            # Hadoop 3.3.1 deletes the parent "directory" markers of every file it
            # writes (transactions/, transactions/schema_v=v1/), outside any run path the
            # job role may delete; 3.4 and later keep them, as here. Glue's EMRFS differs
            # again (docs/rehearsal.md, what only an AWS account shows).
            "spark.hadoop.fs.s3a.directory.marker.retention": "keep",
            # What Glue sets through its own launcher, sized for this machine: the
            # entry script's SparkContext is made before it can tell it is not on Glue.
            "spark.ui.showConsoleProgress": "false",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "8",
            "spark.default.parallelism": "4",
            "spark.driver.memory": "2g",
        }

    # --- clients -----------------------------------------------------------------------
    def credentials(self, role: str) -> tuple[str, str]:
        keys = self.keys[role]
        return keys.key, keys.secret

    def session(self, role: str) -> boto3.Session:
        key, secret = self.credentials(role) if role in self.keys else ("admin", "admin")
        return boto3.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name=self.place.region
        )

    def client(self, service: str, role: str = OBSERVER):
        return self.session(role).client(
            service, endpoint_url=self.endpoint, config=Config(retries={"total_max_attempts": 2})
        )

    def env(self, role: str) -> dict[str, str]:
        """Process environment of a CLI command run as `role`."""
        key, secret = self.credentials(role)
        return {
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": self.place.region,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    # --- the environment ---------------------------------------------------------------
    def _build(self) -> None:
        iam = self.client("iam", "admin")
        s3 = self.client("s3", "admin")
        write_once = definitions.write_once_buckets()
        tags = definitions.retention_tags(definitions.audit_retention(self.place.env))
        for role, bucket in self.place.buckets.items():
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": self.place.region},
                ObjectLockEnabledForBucket=role in write_once,
            )
            if role in write_once:
                s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    k: True
                    for k in (
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets",
                    )
                },
            )
        self._topics()
        policies = {
            role: role_policy(role, self.place, sorted(self.topic_arns.values()))
            for role in TEMPLATES
        }
        policies[OBSERVER], policies[PRODUCER] = OBSERVER_POLICY, PRODUCER_POLICY
        policies[DEPLOYER] = deployer_policy(self.place)
        for role in ("deployer", "planner"):  # made by infra/bootstrap, guarded from itself
            iam.create_role(RoleName=f"{self.place.name}-{role}", AssumeRolePolicyDocument=
                            json.dumps({"Version": "2012-10-17", "Statement": []}))  # fmt: skip
        for role, policy in policies.items():
            user = ROLE_USERS[role]
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=role, PolicyDocument=json.dumps(policy))
            made = iam.create_access_key(UserName=user)["AccessKey"]
            self.keys[role] = Keys(user, made["AccessKeyId"], made["SecretAccessKey"])
        self.policies = policies
        self._catalog()
        glue = self.client("glue", "admin")
        for job in self.jobs.values():
            glue.create_job(
                Name=job.name,
                Role=f"arn:aws:iam::{self.place.account}:role/{self.place.name}-{ROLE_NAMES[job.role]}",
                GlueVersion="5.1",
                Command={
                    "Name": "glueetl",
                    "PythonVersion": "3",
                    "ScriptLocation": f"s3://{self.place.buckets['artifacts']}/glue/{self.code_version}/{job.script}",
                },
                DefaultArguments=job.default_arguments,
                ExecutionProperty={"MaxConcurrentRuns": job.max_concurrent_runs},
            )
        sfn = self.client("stepfunctions", "admin")
        self.state_machine = sfn.create_state_machine(
            name=aws.state_machine_name(self.place.env, self.place.dataset, self.place.name_prefix),
            definition=render_asl(self.state_machine_values()),
            roleArn=(
                f"arn:aws:iam::{self.place.account}:role/"
                f"{aws.pipeline_name(self.place.env, self.place.dataset, self.place.name_prefix)}"
                "-states"
            ),
        )["stateMachineArn"]

    def state_machine_values(self) -> dict[str, object]:
        """The templatefile() values of infra/modules/orchestration's state machine."""
        definitions_ = alerts.load()
        return {
            "dataset": self.place.dataset,
            "environment": self.place.env,
            "glue_job_name": aws.glue_job_name(
                self.place.env, self.place.dataset, self.place.name_prefix
            ),
            **RETRY_SECONDS,
            "max_quarantine_rate": 0.05,
            "schema_v": "v1",
            "silver_bucket": self.place.buckets["silver"],
            "reviewers_topic_arn": self.topic_arns["reviewers"],
            **alerts.state_machine_values(definitions_, self.topic_arns, self.runbook_base_url),
        }

    def _topics(self) -> None:
        """One topic per owner and priority, and reviewers (orchestration: local.topics);
        each with an SQS inbox so the story can show what was sent."""
        sns, sqs = self.client("sns", "admin"), self.client("sqs", "admin")
        for topic in ["reviewers", *alerts.load().topics]:
            arn = sns.create_topic(Name=f"{self.place.name}-{topic}")["TopicArn"]
            queue = sqs.create_queue(QueueName=f"inbox-{topic}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
            self.topic_arns[topic], self.inboxes[topic] = arn, queue

    def _catalog(self) -> None:
        glue = self.client("glue", "admin")
        database = aws.glue_database(self.place.env, self.place.name_prefix)
        glue.create_database(DatabaseInput={"Name": database})
        # The tables infra/modules/glue/tables.tf makes: the dataset and its gold, each
        # with the columns of its registry entry (lakegate/datasets.json).
        ingested = datasets.dataset(self.place.dataset)
        for table in (ingested, datasets.dataset(ingested.gold or "")):
            glue.create_table(
                DatabaseName=database,
                TableInput={
                    "Name": table.name,
                    "Description": table.description,
                    "StorageDescriptor": {
                        "Columns": [
                            {"Name": c.name, "Type": c.type} for c in table.published_columns()
                        ],
                        "Location": f"s3://{self.place.buckets[table.bucket]}/{table.name}/current/",
                    },
                    "PartitionKeys": [
                        {"Name": "year", "Type": "string"},
                        {"Name": "month", "Type": "string"},
                    ],
                },
            )

    # --- what happened -----------------------------------------------------------------
    def messages(self, topic: str) -> list[dict]:
        sqs = self.client("sqs")
        found = []
        while True:
            got = sqs.receive_message(QueueUrl=self.inboxes[topic], MaxNumberOfMessages=10)
            batch = got.get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(
                    QueueUrl=self.inboxes[topic], ReceiptHandle=message["ReceiptHandle"]
                )

    def wait(self, execution_arn: str, timeout: float = 900) -> dict:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.5)
        raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
