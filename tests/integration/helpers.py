"""What several integration test modules share: CSV bodies, the items and summaries of a run."""

import csv
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker

from harness.batch.states import FINAL_STATES
from harness.client import aws
from harness.client.pipeline import Pipeline, plain
from harness.cloud import docker_host, network
from harness.cloud.lifecycle import remove_job_containers
from harness.contracts import BATCH_LOG_GROUP
from harness.engine.base import free_port as free_port  # the tests' own engines
from harness.engine.moto.engine import MotoEngine
from harness.images.prepare import LOCAL_BASE, PUBLIC_BASE
from harness.paths import REPO
from harness.waiting import wait_until

HEADER = ["ProductId", "ProductName", "ProductDescription"]
# A job's command that waits a minute yet ends at once when the job is terminated: a plain
# `sleep` as the container's first process ignores SIGTERM until Docker's stop timeout.
STOPPABLE_SLEEP = ["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"]
APP_PARTS = ("infra", "lambda", "batch", "cdk.json", "pyproject.toml")


def copy_app(directory: Path) -> None:
    """The CDK app's parts copied into `directory`, to be deployed under a prefix of its own."""
    for part in APP_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, directory / part)


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def products(prefix: str, count: int) -> list[list[str]]:
    return [
        [f"{prefix}-{n:06}", f"Product {n}", f"Made for {prefix}, item {n}"] for n in range(count)
    ]


def items_with_prefix(pipeline: Pipeline, prefix: str) -> list[dict[str, str]]:
    pages = pipeline.dynamodb.get_paginator("scan").paginate(
        TableName=pipeline.outputs.table,
        FilterExpression="begins_with(ProductId, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": prefix}},
    )
    return [plain(item) for page in pages for item in page["Items"]]


def summary_of(pipeline: Pipeline, job_id: str) -> dict:
    lines = [json.loads(line) for line in pipeline.log_lines(job_id)]
    assert lines[-1]["event"] == "summary"
    return lines[-1]


def wait_for_job(batch: Any, job_id: str, timeout: float = 60) -> dict:
    """The job's description once it is SUCCEEDED or FAILED."""

    def finished() -> dict | None:
        (job,) = batch.describe_jobs(jobs=[job_id])["jobs"]
        return job if job["status"] in FINAL_STATES else None

    job = wait_until(finished, timeout, interval=0.3)
    assert job is not None, f"job {job_id} did not finish within {timeout}s"
    return job


def queue_template(queue_name: str) -> dict[str, Any]:
    """A CloudFormation template with a job queue on a compute environment of 4 vCPUs."""
    environment = {"Type": "MANAGED", "ComputeResources": {"Type": "FARGATE", "MaxvCpus": 4}}
    order = [{"Order": 1, "ComputeEnvironment": {"Ref": "Compute"}}]
    return {
        "Resources": {
            "Compute": {"Type": "AWS::Batch::ComputeEnvironment", "Properties": environment},
            "Queue": {
                "Type": "AWS::Batch::JobQueue",
                "Properties": {
                    "JobQueueName": queue_name,
                    "Priority": 1,
                    "ComputeEnvironmentOrder": order,
                },
            },
        }
    }


def base_image() -> str:
    """The Python base image present in the local Docker engine (public or built here)."""
    client = docker.from_env()
    return next(name for name in (PUBLIC_BASE, LOCAL_BASE) if client.images.list(name=name))


def fargate_environment_and_queue(batch: Any, name: str, max_vcpus: int, **queue: Any) -> None:
    """A Fargate compute environment of `max_vcpus` and a queue on it, both called `name`
    (`queue`: more CreateJobQueue fields)."""
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": max_vcpus, "subnets": ["subnet-local"]},
    )
    batch.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}],
        **queue,
    )


def sleeping_definition(pipeline: Pipeline, name: str, vcpus: int = 1) -> str:
    """A job definition whose job sleeps a minute (and stops at once on SIGTERM); its ARN."""
    return str(
        pipeline.batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            containerProperties={
                "image": base_image(),
                "command": STOPPABLE_SLEEP,
                "vcpus": vcpus,
                "memory": 128,
            },
        )["jobDefinitionArn"]
    )


@contextmanager
def a_job_waiting_on_another(pipeline: Pipeline, name: str) -> Iterator[tuple[str, str]]:
    """Two jobs on the pipeline's queue: one that runs a minute and one that depends on it
    (PENDING meanwhile); their ids. Both are terminated at the end."""
    batch = pipeline.batch
    definition = sleeping_definition(pipeline, name)
    queue = pipeline.outputs.job_queue
    first = batch.submit_job(jobName="first", jobQueue=queue, jobDefinition=definition)["jobId"]
    waiting = batch.submit_job(
        jobName="waiting", jobQueue=queue, jobDefinition=definition, dependsOn=[{"jobId": first}]
    )["jobId"]
    try:
        yield first, waiting
    finally:
        for job_id in (waiting, first):
            batch.terminate_job(jobId=job_id, reason="test over")


@contextmanager
def a_job_held_back_by_capacity(pipeline: Pipeline, name: str) -> Iterator[tuple[str, str]]:
    """The pipeline's compute environment cut to 2 vCPUs (this machine may have no more), a
    job that takes both for a minute, and, once it runs, a job of 1 vCPU that waits for them
    (RUNNABLE); their ids. Both are terminated and the compute environment given its vCPUs
    back."""
    batch = pipeline.batch
    queue = pipeline.outputs.job_queue
    (described,) = batch.describe_job_queues(jobQueues=[queue])["jobQueues"]
    environment = described["computeEnvironmentOrder"][0]["computeEnvironment"]
    (before,) = batch.describe_compute_environments(computeEnvironments=[environment])[
        "computeEnvironments"
    ]
    batch.update_compute_environment(
        computeEnvironment=environment, computeResources={"maxvCpus": 2}
    )
    definition = sleeping_definition(pipeline, name, vcpus=2)
    hog = batch.submit_job(jobName="hog", jobQueue=queue, jobDefinition=definition)["jobId"]
    waiting = None
    try:
        running = wait_until(
            lambda: pipeline.described(hog)["status"] == "RUNNING" or None, 60, interval=0.2
        )
        assert running, f"the job meant to take every vCPU did not run: {pipeline.described(hog)}"
        waiting = batch.submit_job(
            jobName="waiting",
            jobQueue=queue,
            jobDefinition=definition,
            containerOverrides={"vcpus": 1},
        )["jobId"]
        yield hog, waiting
    finally:
        for job_id in (waiting, hog):
            if job_id:
                batch.terminate_job(jobId=job_id, reason="test over")
        batch.update_compute_environment(
            computeEnvironment=environment,
            computeResources={"maxvCpus": before["computeResources"]["maxvCpus"]},
        )


@contextmanager
def engine_on_a_bridge(directory: Path) -> Iterator[tuple[MotoEngine, network.ContainerNetwork]]:
    """An embedded engine of its own whose Batch jobs and functions run on a bridge network
    the harness creates (the path of Docker Desktop and of LocalStack's cloud), with that
    network; both removed afterwards, with what ran on the network."""
    client = docker.from_env()
    name = f"csv-pipeline-it-{uuid.uuid4().hex[:6]}"
    prepared = network.prepare(client, "bridge", name)
    engine = MotoEngine(directory, port=free_port())
    engine.start(prepared)
    try:
        yield engine, prepared
    finally:
        engine.stop()
        docker_host.remove_containers({"network": name})
        remove_job_containers(engine.endpoint)
        network.remove(client, name)


def log_of(endpoint: str, job: dict[str, Any]) -> str:
    """The output of a described job's last attempt, from its log stream."""
    stream = job["attempts"][-1]["container"]["logStreamName"]
    events = aws.client("logs", endpoint).get_log_events(
        logGroupName=BATCH_LOG_GROUP, logStreamName=stream
    )["events"]
    return "\n".join(event["message"] for event in events)
