"""The Batch stand-in's API and job semantics, through boto3 against the local endpoint."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.client import aws
from harness.control.client import BatchJobs
from harness.waiting import wait_until
from tests.integration.helpers import base_image, wait_for_job


@pytest.fixture(scope="module")
def batch(local_cloud):
    return aws.client("batch", local_cloud.endpoint)


@pytest.fixture(scope="module")
def base(local_cloud) -> str:
    """The Python base image present in the local Docker engine (public or built here)."""
    return base_image()


def register(batch, name: str, image: str) -> str:
    return batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={
            "image": image,
            "command": ["--bucket", "Ref::bucket", "--key", "Ref::key"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.25"},
                {"type": "MEMORY", "value": "512"},
            ],
        },
        parameters={"bucket": "no-such-bucket"},
    )["jobDefinitionArn"]


def test_resources_come_from_the_deployed_stack(batch, pipeline):
    (queue,) = batch.describe_job_queues(jobQueues=[pipeline.outputs.job_queue])["jobQueues"]
    (order,) = queue["computeEnvironmentOrder"]
    (environment,) = batch.describe_compute_environments(
        computeEnvironments=[order["computeEnvironment"]]
    )["computeEnvironments"]
    definition = batch.describe_job_definitions(
        jobDefinitionName=pipeline.outputs.job_definition, status="ACTIVE"
    )

    assert order["computeEnvironment"] == environment["computeEnvironmentArn"]
    assert environment["computeResources"]["type"] == "FARGATE"
    (described,) = definition["jobDefinitions"]
    assert described["retryStrategy"]["attempts"] == 3
    assert described["containerProperties"]["image"].endswith(
        ".dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets-000000000000-us-east-1:"
        + described["containerProperties"]["image"].rsplit(":", 1)[1]
    )


def test_a_missing_image_fails_the_job_with_a_reason(batch, pipeline, unique):
    definition = register(batch, f"missing-{unique}", f"csv-pipeline/not-built-{unique}:1")

    job_id = batch.submit_job(
        jobName=f"missing-{unique}", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    job = wait_for_job(batch, job_id)

    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith("CannotPullContainerError: image csv-pipeline/not-built-")
    assert "exitCode" not in job["attempts"][0]["container"]


def test_a_crashed_container_fails_with_its_exit_code_and_logs(
    batch, pipeline, unique, processor_image
):
    definition = register(batch, f"crash-{unique}", processor_image)

    job_id = batch.submit_job(
        jobName=f"crash-{unique}",
        jobQueue=pipeline.outputs.job_queue,
        jobDefinition=definition,
        parameters={"key": "uploads/none.csv"},
    )["jobId"]
    job = wait_for_job(batch, job_id)

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Essential container in task exited"
    assert job["container"]["exitCode"] == 2  # TABLE_NAME is not set in this definition
    assert job["container"]["command"] == [
        "--bucket",
        "no-such-bucket",
        "--key",
        "uploads/none.csv",
    ]
    assert any("TABLE_NAME is not set" in line for line in pipeline.log_lines(job_id))
    states = [job["createdAt"], job["startedAt"], job["stoppedAt"]]
    assert states == sorted(states)


def test_jobs_list_by_queue_and_status(batch, pipeline, unique):
    definition = register(batch, f"listed-{unique}", f"csv-pipeline/not-built-{unique}:1")
    job_id = batch.submit_job(
        jobName=f"listed-{unique}", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    wait_for_job(batch, job_id)

    failed = batch.list_jobs(jobQueue=pipeline.outputs.job_queue, jobStatus="FAILED")[
        "jobSummaryList"
    ]
    succeeded = batch.list_jobs(jobQueue=pipeline.outputs.job_queue, jobStatus="SUCCEEDED")[
        "jobSummaryList"
    ]

    assert job_id in {job["jobId"] for job in failed}
    assert job_id not in {job["jobId"] for job in succeeded}


def test_unknown_queue_is_a_client_error(batch, pipeline):
    with pytest.raises(ClientError, match="job queue nope does not exist"):
        batch.submit_job(
            jobName="x", jobQueue="nope", jobDefinition=pipeline.outputs.job_definition
        )


def test_an_attempt_over_its_timeout_is_stopped_and_fails(
    batch, pipeline, base, unique, local_cloud
):
    """AWS's minimum timeout is 60 s: the stand-in's clock is moved past it rather than
    waited out."""
    definition = batch.register_job_definition(
        jobDefinitionName=f"sleeper-{unique}",
        type="container",
        containerProperties={"image": base, "command": ["sleep", "300"]},
        timeout={"attemptDurationSeconds": 60},  # AWS's minimum
    )["jobDefinitionArn"]
    job_id = batch.submit_job(
        jobName=f"sleeper-{unique}", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    assert wait_until(
        lambda: batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "RUNNING" or None,
        timeout=60,
        interval=0.2,
    )

    BatchJobs(local_cloud.endpoint).advance_clock(60)
    job = wait_for_job(batch, job_id, timeout=30)

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Job attempt duration exceeded timeout"
    assert job["attempts"][0]["container"]["exitCode"] == 137  # killed
    assert 60_000 <= job["stoppedAt"] - job["startedAt"] < 70_000


def test_terminate_stops_a_running_container_with_its_stop_signal(batch, pipeline, base, unique):
    handles_sigterm = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('stopping', flush=True), sys.exit(143)))\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )
    definition = batch.register_job_definition(
        jobDefinitionName=f"stoppable-{unique}",
        type="container",
        containerProperties={"image": base, "command": ["python3", "-c", handles_sigterm]},
    )["jobDefinitionArn"]
    job_id = batch.submit_job(
        jobName=f"stoppable-{unique}", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    # RUNNING comes as its container starts; the signal must wait for the program's handler
    # (a PID 1 without one ignores SIGTERM, and the stop would end in SIGKILL 30 s later)
    assert wait_until(
        lambda: "started" in list(pipeline.log_lines(job_id)) or None, timeout=30, interval=0.2
    )

    batch.cancel_job(jobId=job_id, reason="cancel cannot stop a RUNNING job")
    batch.terminate_job(jobId=job_id, reason=f"terminated by {unique}")
    job = wait_for_job(batch, job_id, timeout=20)

    assert job["status"] == "FAILED"
    assert job["statusReason"] == f"terminated by {unique}"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [143], "not retried"
    assert job["stoppedAt"] - job["startedAt"] < 15_000, "stopped by its signal, not SIGKILL"
    assert "stopping" in list(pipeline.log_lines(job_id))


def test_an_array_job_fans_out_and_a_dependent_job_runs_after_it(batch, pipeline, base, unique):
    definition = batch.register_job_definition(
        jobDefinitionName=f"fan-{unique}",
        type="container",
        containerProperties={
            "image": base,
            "command": [
                "sh",
                "-c",
                "echo index=$AWS_BATCH_JOB_ARRAY_INDEX of=$AWS_BATCH_JOB_ARRAY_SIZE",
            ],
        },
    )["jobDefinitionArn"]
    queue = pipeline.outputs.job_queue

    parent = batch.submit_job(
        jobName=f"fan-{unique}",
        jobQueue=queue,
        jobDefinition=definition,
        arrayProperties={"size": 5},
    )["jobId"]
    after = batch.submit_job(
        jobName=f"after-{unique}",
        jobQueue=queue,
        jobDefinition=definition,
        dependsOn=[{"jobId": parent}],
    )["jobId"]
    finished = wait_for_job(batch, after)
    (array,) = batch.describe_jobs(jobs=[parent])["jobs"]
    children = batch.list_jobs(arrayJobId=parent, jobStatus="SUCCEEDED")["jobSummaryList"]

    assert (array["status"], finished["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert array["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 5
    assert sorted(child["jobId"] for child in children) == [f"{parent}:{i}" for i in range(5)]
    for index in range(5):
        assert list(pipeline.log_lines(f"{parent}:{index}")) == [f"index={index} of=5"]
    assert finished["startedAt"] >= max(child["stoppedAt"] for child in children)
    assert finished["dependsOn"] == [{"jobId": parent}]


def test_a_container_over_its_memory_is_killed_with_awss_reason(batch, pipeline, base, unique):
    definition = batch.register_job_definition(
        jobDefinitionName=f"hungry-{unique}",
        type="container",
        containerProperties={
            "image": base,
            "command": ["python3", "-c", "bytearray(512 * 1024 * 1024)"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.25"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    )["jobDefinitionArn"]

    job_id = batch.submit_job(
        jobName=f"hungry-{unique}", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    job = wait_for_job(batch, job_id, timeout=60)

    assert job["status"] == "FAILED"
    (attempt,) = job["attempts"]
    assert attempt["container"]["exitCode"] == 137
    assert (
        attempt["container"]["reason"] == "OutOfMemoryError: Container killed due to memory usage"
    )


def test_queues_compete_by_priority_and_a_disabled_queue_holds_its_job(
    batch, base, unique, local_cloud
):
    environment = f"one-vcpu-{unique}"
    batch.create_compute_environment(
        computeEnvironmentName=environment,
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 1, "subnets": ["subnet-local"]},
    )
    queues = {name: f"{name}-{unique}" for name in ("low", "high", "held")}
    for priority, name in enumerate(queues.values(), start=1):
        batch.create_job_queue(
            jobQueueName=name,
            priority=priority * 10,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )
    definition = batch.register_job_definition(
        jobDefinitionName=f"one-vcpu-{unique}",
        type="container",
        containerProperties={"image": base, "command": ["sleep", "2"], "vcpus": 1, "memory": 128},
    )["jobDefinitionArn"]

    def submit(queue: str, **overrides: Any) -> str:
        return batch.submit_job(
            jobName=queue, jobQueue=queues[queue], jobDefinition=definition, **overrides
        )["jobId"]

    def status(job_id: str) -> str:
        return batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"]

    holder = submit("low", containerOverrides={"command": ["sleep", "8"]})  # while reasons are read
    assert wait_until(lambda: status(holder) == "RUNNING" or None, timeout=30, interval=0.2)
    held = submit("held")
    batch.update_job_queue(jobQueue=queues["held"], state="DISABLED")
    low, high = submit("low"), submit("high")
    expected = {
        held: f"job queue {queues['held']} is DISABLED: it starts none of its jobs",
        high: f"waiting for 1 vCPU in compute environment {environment}, which has 0 of 1 free",
        low: f"waiting for 1 vCPU in compute environment {environment}, which has 0 of 1 free; "
        "1 job there goes first (a higher queue priority, or submitted earlier)",
    }
    waiting = BatchJobs(local_cloud.endpoint)

    def said() -> dict[str, str | None] | None:
        reasons = {job_id: waiting.waiting().get(job_id) for job_id in expected}
        return reasons if reasons == expected or status(holder) != "RUNNING" else None

    assert wait_until(said, timeout=10, interval=0.1) == expected, "why each job waits"
    finished = [wait_for_job(batch, job_id, timeout=60) for job_id in (holder, high, low)]

    assert [job["status"] for job in finished] == ["SUCCEEDED"] * 3
    assert finished[1]["startedAt"] < finished[2]["startedAt"], "the higher priority went first"
    assert status(held) == "RUNNABLE", "a DISABLED queue starts none of its jobs"
    batch.update_job_queue(jobQueue=queues["held"], state="ENABLED")
    assert wait_for_job(batch, held, timeout=60)["status"] == "SUCCEEDED"
    for name in queues.values():
        batch.update_job_queue(jobQueue=name, state="DISABLED")
        batch.delete_job_queue(jobQueue=name)
    batch.update_compute_environment(computeEnvironment=environment, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=environment)


def test_dependencies_n_to_n_sequential_failed_and_cancelled_before_start(
    batch, pipeline, base, unique
):
    definition = batch.register_job_definition(
        jobDefinitionName=f"step-{unique}",
        type="container",
        containerProperties={
            "image": base,
            "command": ["sh", "-c", "sleep 1; exit ${FAIL:-0}"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.25"},
                {"type": "MEMORY", "value": "128"},
            ],
        },
    )["jobDefinitionArn"]

    def submit(name: str, **options) -> str:
        return batch.submit_job(
            jobName=f"{name}-{unique}",
            jobQueue=pipeline.outputs.job_queue,
            jobDefinition=definition,
            **options,
        )["jobId"]

    first = submit("first", arrayProperties={"size": 4})
    second = submit(
        "second", arrayProperties={"size": 4}, dependsOn=[{"jobId": first, "type": "N_TO_N"}]
    )
    sequential = submit(
        "sequential", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}]
    )
    failing = submit(
        "failing", containerOverrides={"environment": [{"name": "FAIL", "value": "1"}]}
    )
    after_failure = submit("after-failure", dependsOn=[{"jobId": failing}])
    cancelled = submit("cancelled", dependsOn=[{"jobId": second}])
    batch.cancel_job(jobId=cancelled, reason=f"not needed {unique}")
    for job_id in (second, sequential, after_failure, cancelled):
        wait_for_job(batch, job_id, timeout=90)

    def child(parent: str, index: int) -> dict:
        return batch.describe_jobs(jobs=[f"{parent}:{index}"])["jobs"][0]

    for index in range(4):  # child i of `second` starts after child i of `first` ended
        assert child(second, index)["startedAt"] >= child(first, index)["stoppedAt"]
    for index in range(1, 3):  # each SEQUENTIAL child starts after the previous one ended
        assert child(sequential, index)["startedAt"] >= child(sequential, index - 1)["stoppedAt"]
    (dependent, stopped) = batch.describe_jobs(jobs=[after_failure, cancelled])["jobs"]
    assert (dependent["status"], dependent["statusReason"]) == ("FAILED", "Dependent Job failed")
    assert (stopped["status"], stopped["statusReason"]) == ("FAILED", f"not needed {unique}")
    assert "startedAt" not in dependent and "startedAt" not in stopped, "neither ever ran"


def test_a_job_that_cannot_fit_is_cancelled_at_its_queues_time_limit_with_aws_reason(
    batch, base, unique, local_cloud
):
    """AWS's shortest limit is 600 s: the stand-in's clock is moved past it rather than
    waited out."""
    environment = f"small-{unique}"
    batch.create_compute_environment(
        computeEnvironmentName=environment,
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 1, "subnets": ["subnet-local"]},
    )
    limits = [
        {
            "reason": "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
            "state": "RUNNABLE",
            "maxTimeSeconds": 600,
            "action": "CANCEL",
        }
    ]
    batch.create_job_queue(
        jobQueueName=environment,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        jobStateTimeLimitActions=limits,
    )
    (queue,) = batch.describe_job_queues(jobQueues=[environment])["jobQueues"]
    definition = batch.register_job_definition(
        jobDefinitionName=environment,
        type="container",
        containerProperties={"image": base, "command": ["true"], "vcpus": 2, "memory": 128},
    )["jobDefinitionArn"]
    job_id = batch.submit_job(jobName="big", jobQueue=environment, jobDefinition=definition)[
        "jobId"
    ]

    def runnable() -> dict | None:
        (job,) = batch.describe_jobs(jobs=[job_id])["jobs"]
        return job if job["status"] == "RUNNABLE" else None

    job = wait_until(runnable, timeout=30, interval=0.2)
    BatchJobs(local_cloud.endpoint).advance_clock(600)
    cancelled = wait_for_job(batch, job_id, timeout=30)
    batch.update_job_queue(jobQueue=environment, state="DISABLED")
    batch.delete_job_queue(jobQueue=environment)
    batch.update_compute_environment(computeEnvironment=environment, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=environment)

    assert queue["jobStateTimeLimitActions"] == limits
    assert job["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - ")
    assert (cancelled["status"], cancelled["statusReason"]) == (
        "FAILED",
        "Canceled by JobStateTimeLimit action due to reason: "
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    )
    assert "startedAt" not in cancelled
