"""CancelJob, TerminateJob, DeregisterJobDefinition, and compute environments and job queues
managed through the API, with AWS's rules (no Docker: runners are scripted)."""

import json
import re

import pytest
from werkzeug.test import Client

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Job
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.responses import BatchApp
from harness.batch.runner import ContainerRunner
from harness.waiting import wait_until
from tests.unit.fakes import FakeDocker, FakeLogs


class BlockingRunner:
    """Runs one 'container' that stays RUNNING until it is asked to stop (like TerminateJob)."""

    def run(self, job: Job, attempt, on_running) -> bool:
        on_running()
        job.stopping.wait(5)
        attempt.exit_code = 143
        attempt.status_reason = job.stop_reason
        return False


@pytest.fixture
def backend() -> BatchBackend:
    backend = BatchBackend(
        "000000000000", "us-east-1", start_job=JobExecutor(BlockingRunner()).start
    )
    backend.create_compute_environment("one-vcpu", {"maxvCpus": 1})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "one-vcpu"}])
    backend.register_job_definition("sleeper", {"image": "i", "vcpus": 1})
    return backend


def status_becomes(job: Job, status: str) -> bool:
    return bool(wait_until(lambda: job.status == status or None, timeout=5, interval=0.01))


def test_cancel_stops_a_waiting_job_and_not_a_running_one_terminate_stops_both(backend):
    running = backend.submit_job("first", "queue", "sleeper")
    assert status_becomes(running, "RUNNING")
    waiting = backend.submit_job("second", "queue", "sleeper")  # no vCPU left: RUNNABLE
    assert status_becomes(waiting, "RUNNABLE")

    backend.stop_job(running.id, "not yet", terminate=False)  # succeeds, stops nothing
    backend.stop_job(waiting.id, "changed my mind", terminate=False)
    assert status_becomes(waiting, "FAILED")
    assert running.status == "RUNNING"
    backend.stop_job(running.id, "stop it", terminate=True)
    assert status_becomes(running, "FAILED")

    assert (waiting.status_reason, waiting.attempts) == ("changed my mind", [])
    assert "STARTING" not in [status for status, _ in waiting.history]
    assert running.status_reason == "stop it"
    assert [(a.exit_code, a.status_reason) for a in running.attempts] == [(143, "stop it")]


def test_forgetting_the_jobs_ends_the_running_and_waiting_ones_first(backend):
    running = backend.submit_job("first", "queue", "sleeper")
    assert status_becomes(running, "RUNNING")
    waiting = backend.submit_job("second", "queue", "sleeper")
    assert status_becomes(waiting, "RUNNABLE")

    assert backend.forget_jobs("reset") == 2

    assert (running.status, running.status_reason) == ("FAILED", "reset")
    assert (waiting.status, waiting.status_reason) == ("FAILED", "reset")
    assert backend.describe_jobs([running.id, waiting.id]) == []
    assert backend.describe_job_queues()[0].name == "queue", "the queue stays"


def test_stopping_needs_a_reason_and_a_known_job(backend):
    with pytest.raises(ClientException, match="reason is required"):
        backend.stop_job("x", "", terminate=True)
    with pytest.raises(ClientException, match="job nope does not exist"):
        backend.stop_job("nope", "why", terminate=True)


def test_environments_and_queues_are_deleted_only_when_disabled_and_unused(backend):
    with pytest.raises(ClientException, match="it is ENABLED; disable it with UpdateJobQueue"):
        backend.delete_job_queue("queue")
    backend.update_compute_environment("one-vcpu", state="DISABLED")
    with pytest.raises(ClientException, match="job queues queue use it"):
        backend.delete_compute_environment("one-vcpu")
    with pytest.raises(ClientException, match="state must be ENABLED or DISABLED"):
        backend.update_job_queue("queue", state="PAUSED")

    backend.update_job_queue("queue", state="DISABLED")
    backend.delete_job_queue("queue")
    backend.delete_compute_environment("one-vcpu")

    assert (backend.job_queues, backend.compute_environments) == ({}, {})


def test_deleting_a_queue_terminates_the_jobs_it_still_holds(backend):
    job = backend.submit_job("first", "queue", "sleeper")
    assert status_becomes(job, "RUNNING")

    backend.update_job_queue("queue", state="DISABLED")
    backend.delete_job_queue("queue")

    assert status_becomes(job, "FAILED")
    assert job.status_reason == "Job queue deleted"


def test_the_rest_api_manages_resources_and_stops_jobs(backend):
    client = Client(BatchApp(lambda region: backend))

    def call(operation: str, **body) -> tuple[int, dict]:
        response = client.post(f"/v1/{operation}", json=body)
        return response.status_code, json.loads(response.data)

    created = call(
        "createcomputeenvironment",
        computeEnvironmentName="big",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 8, "subnets": ["subnet-1"]},
    )
    queue = call(
        "createjobqueue",
        jobQueueName="fast",
        priority=10,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "big"}],
    )
    updated = call(
        "updatecomputeenvironment", computeEnvironment="big", computeResources={"maxvCpus": 2}
    )
    refused = call(
        "createjobqueue",
        jobQueueName="x",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "big"}],
        jobStateTimeLimitActions=[{}],
    )
    deregistered = call("deregisterjobdefinition", jobDefinition="sleeper:1")
    terminated = call("terminatejob", jobId="nope", reason="r")

    big = backend.find_compute_environment("big")
    assert created == (200, {"computeEnvironmentName": "big", "computeEnvironmentArn": big.arn})
    assert queue[0] == 200 and queue[1]["jobQueueArn"].endswith(":job-queue/fast")
    assert updated[0] == 200 and big.max_vcpus == 2
    assert refused[0] == 400 and "jobStateTimeLimitActions" in refused[1]["message"]
    assert deregistered == (200, {})
    assert backend.describe_job_definitions(status="INACTIVE")[0].name == "sleeper"
    assert terminated == (400, {"__type": "ClientException", "message": "job nope does not exist"})


def test_a_reclaimed_host_ends_the_attempt_and_the_retry_strategy_decides():
    """Through the real runner: the reclaim stops the running container, the attempt ends
    with EC2's reason, and the strategy's RETRY on that reason runs a second attempt."""
    docker = FakeDocker()
    runner = ContainerRunner(docker, CloudWatchLogSink(FakeLogs()), {}, {}, stop_grace_seconds=1)
    backend = BatchBackend("000000000000", "us-east-1", start_job=JobExecutor(runner).start)
    backend.create_compute_environment("env", {"maxvCpus": 1})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.register_job_definition(
        "spot",
        {"image": "i", "vcpus": 1},
        retry_strategy={
            "attempts": 2,
            "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onExitCode": "*", "action": "EXIT"},
            ],
        },
    )
    job = backend.submit_job("spot", "queue", "spot")
    assert status_becomes(job, "RUNNING")
    with pytest.raises(ClientException, match="only a RUNNING job"):
        backend.reclaim_host(backend.submit_job("waiting", "queue", "spot").id)

    reason = backend.reclaim_host(job.id)

    assert status_becomes(job, "SUCCEEDED")
    assert re.fullmatch(r"Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.", reason)
    assert job.attempts[0].status_reason == reason
    assert job.attempts[0].exit_code == 143 and docker.created[0].stopped.is_set()
    assert len(job.attempts) == 2 and job.attempts[1].exit_code == 0
