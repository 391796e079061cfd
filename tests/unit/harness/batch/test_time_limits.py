"""A queue's jobStateTimeLimitActions: checked as AWS takes them, described back, and a job
RUNNABLE for the named reason past maxTimeSeconds cancelled with AWS's status reason (its
wait is dated back rather than waited out: AWS's shortest limit is ten minutes)."""

import pytest
from werkzeug.test import Client

from harness.batch.clock import now_ms
from harness.batch.responses import BatchApp
from harness.batch.states import JobStatus
from harness.waiting import wait_until
from tests.unit.harness.batch.test_capacity import GatedRunner, becomes, setup

MAX_RESOURCE = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"


def limit(reason: str = MAX_RESOURCE, **changed: object) -> dict:
    return {"reason": reason, "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"} | (
        changed
    )


def blocked_job(actions: list[dict]):
    backend = setup(GatedRunner())
    backend.create_job_queue(
        "limited", 1, [{"order": 1, "computeEnvironment": "one"}], state_time_limit_actions=actions
    )
    backend.register_job_definition("huge", {"image": "i", "vcpus": 4})
    job = backend.submit_job("huge", "limited", "huge")
    assert becomes(job, "RUNNABLE")
    return backend, job


def waited(job, seconds: int) -> None:
    """Date the job's RUNNABLE back by `seconds`."""
    status, _ = job.history[-1]
    assert status == JobStatus.RUNNABLE
    job.history[-1] = (status, now_ms() - seconds * 1000)


def stays_runnable(job) -> bool:
    """Still RUNNABLE after a few of the watcher's checks."""
    return not wait_until(lambda: job.status != "RUNNABLE" or None, timeout=1, interval=0.05)


def test_a_job_runnable_for_the_named_reason_past_the_limit_is_cancelled():
    _, job = blocked_job([limit(maxTimeSeconds=600)])
    waited(job, 590)
    assert stays_runnable(job)

    waited(job, 601)

    assert becomes(job, "FAILED")
    assert (
        job.status_reason == f"Canceled by JobStateTimeLimit action due to reason: {MAX_RESOURCE}"
    )
    assert job.attempts == []


def test_a_limit_for_another_reason_leaves_the_job_waiting():
    backend, job = blocked_job([limit("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")])
    waited(job, 3600)

    assert stays_runnable(job)
    backend.stop_job(job.id, "test over", terminate=False)


def app(backend) -> Client:
    return Client(BatchApp(lambda region: backend))


def test_the_limits_are_described_and_updated():
    backend = setup(GatedRunner())
    client = app(backend)
    created = client.post(
        "/v1/createjobqueue",
        json={
            "jobQueueName": "limited",
            "priority": 1,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "one"}],
            "jobStateTimeLimitActions": [limit()],
        },
    )
    assert created.status_code == 200, created.data

    def described() -> list:
        answer = client.post("/v1/describejobqueues", json={"jobQueues": ["limited"]}).json
        return answer["jobQueues"][0].get("jobStateTimeLimitActions")

    assert described() == [limit()]
    updated = client.post(
        "/v1/updatejobqueue",
        json={"jobQueue": "limited", "jobStateTimeLimitActions": [limit(maxTimeSeconds=900)]},
    )
    assert updated.status_code == 200, updated.data
    assert described() == [limit(maxTimeSeconds=900)]
    client.post("/v1/updatejobqueue", json={"jobQueue": "limited", "priority": 5})
    assert described() == [limit(maxTimeSeconds=900)], "an update without them keeps them"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (limit(action="TERMINATE"), "action must be CANCEL"),
        (limit(state="SUBMITTED"), "state must be RUNNABLE"),
        (limit(maxTimeSeconds=599), "between 600 and 86400"),
        (limit(maxTimeSeconds=86_401), "between 600 and 86400"),
        ({"reason": MAX_RESOURCE, "state": "RUNNABLE", "action": "CANCEL"}, "each action has"),
        (limit(reason=""), "reason must be a non-empty string"),
    ],
)
def test_limits_aws_would_refuse_are_refused(action, message):
    backend = setup(GatedRunner())
    answer = app(backend).post(
        "/v1/createjobqueue",
        json={
            "jobQueueName": "refused",
            "priority": 1,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "one"}],
            "jobStateTimeLimitActions": [action],
        },
    )
    assert answer.status_code == 400
    assert message in answer.json["message"]
    assert "refused" not in backend.job_queues
