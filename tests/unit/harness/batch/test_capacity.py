"""Which RUNNABLE job starts next: queue priority, submission order, a DISABLED compute
environment or job queue, a job that can never fit (scripted runner, no Docker)."""

import threading

import pytest
from werkzeug.test import Client

from harness.batch.backend import BatchBackend
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Job
from harness.batch.responses import BatchApp
from harness.waiting import wait_until


class GatedRunner:
    """Each job runs until its gate opens; records the order in which jobs started."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, threading.Event] = {}

    def run(self, job: Job, attempt, on_running) -> bool:
        self.started.append(job.name)
        on_running()
        self.gates.setdefault(job.name, threading.Event()).wait(5)
        attempt.exit_code = 0
        return True

    def release(self, name: str) -> None:
        self.gates.setdefault(name, threading.Event()).set()


def setup(runner: GatedRunner) -> BatchBackend:
    backend = BatchBackend("000000000000", "us-east-1", start_job=JobExecutor(runner).start)
    backend.create_compute_environment("one", {"maxvCpus": 1})
    backend.create_job_queue("low", 1, [{"order": 1, "computeEnvironment": "one"}])
    backend.create_job_queue("high", 10, [{"order": 1, "computeEnvironment": "one"}])
    backend.register_job_definition("work", {"image": "i", "vcpus": 1})
    return backend


def becomes(job: Job, status: str) -> bool:
    return bool(wait_until(lambda: job.status == status or None, timeout=5, interval=0.01))


def test_the_higher_priority_queue_goes_first_then_submission_order():
    runner = GatedRunner()
    backend = setup(runner)
    holder = backend.submit_job("holder", "low", "work")
    assert becomes(holder, "RUNNING")
    first_low = backend.submit_job("first-low", "low", "work")
    second_low = backend.submit_job("second-low", "low", "work")
    high = backend.submit_job("high", "high", "work")
    assert all(becomes(job, "RUNNABLE") for job in (first_low, second_low, high))

    for name in ("holder", "high", "first-low", "second-low"):
        runner.release(name)
    assert becomes(second_low, "SUCCEEDED")

    assert runner.started == ["holder", "high", "first-low", "second-low"]


def test_a_disabled_compute_environment_starts_nothing_until_enabled():
    runner = GatedRunner()
    backend = setup(runner)
    backend.update_compute_environment("one", state="DISABLED")
    job = backend.submit_job("waiting", "low", "work")
    runner.release("waiting")

    assert becomes(job, "RUNNABLE")
    assert not wait_until(lambda: runner.started or None, timeout=0.5, interval=0.05)
    backend.update_compute_environment("one", state="ENABLED")
    assert becomes(job, "SUCCEEDED")


def test_a_disabled_queue_keeps_its_jobs_runnable_while_other_queues_run():
    runner = GatedRunner()
    backend = setup(runner)
    holder = backend.submit_job("holder", "low", "work")
    assert becomes(holder, "RUNNING")
    held = backend.submit_job("held", "high", "work")
    backend.update_job_queue("high", state="DISABLED")
    later_low = backend.submit_job("later-low", "low", "work")

    for name in ("holder", "held", "later-low"):
        runner.release(name)
    assert becomes(later_low, "SUCCEEDED"), "the enabled queue runs past the disabled one"
    assert held.status == "RUNNABLE"
    backend.update_job_queue("high", state="ENABLED")
    assert becomes(held, "SUCCEEDED")

    assert runner.started == ["holder", "later-low", "held"]


def test_a_job_bigger_than_its_environment_says_why_it_waits():
    backend = setup(GatedRunner())
    backend.register_job_definition("huge", {"image": "i", "vcpus": 4})

    job = backend.submit_job("huge", "low", "huge")

    assert becomes(job, "RUNNABLE")
    assert job.status_reason == (
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - the job needs 4 vCPUs and compute "
        "environment one has at most 1 (maxvCpus): it stays RUNNABLE, as in AWS, until the "
        "environment changes or the job is cancelled"
    )
    backend.stop_job(job.id, "too big", terminate=False)
    assert becomes(job, "FAILED")


@pytest.mark.parametrize(
    ("resources", "too_much", "fits", "reason"),
    [
        (
            {"type": "FARGATE", "maxvCpus": 16},
            200_000,
            8192,
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - the job needs 200000 MiB of memory and "
            "compute environment big (FARGATE) gives a job at most 122880: it stays RUNNABLE",
        ),
        (
            {"type": "EC2", "maxvCpus": 16, "instanceTypes": ["m5.large", "r5.xlarge"]},
            40_000,
            32768,
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - the job needs 40000 MiB of memory and "
            "compute environment big (EC2) gives a job at most 32768: it stays RUNNABLE",
        ),
    ],
    ids=["fargate", "ec2-instance-types"],
)
def test_a_job_wanting_more_memory_than_its_environment_gives_says_why_it_waits(
    resources, too_much, fits, reason
):
    backend = setup(GatedRunner())
    backend.create_compute_environment("big", resources)
    backend.create_job_queue("memory", 1, [{"order": 1, "computeEnvironment": "big"}])
    backend.register_job_definition(
        "hungry",
        {
            "image": "i",
            "resourceRequirements": [
                {"type": "VCPU", "value": "4"},
                {"type": "MEMORY", "value": str(too_much)},
            ],
        },
    )

    job = backend.submit_job("hungry", "memory", "hungry")
    smaller = backend.submit_job(
        "fits",
        "memory",
        "hungry",
        container_overrides={"resourceRequirements": [{"type": "MEMORY", "value": str(fits)}]},
    )

    assert becomes(job, "RUNNABLE")
    assert job.status_reason.startswith(reason)
    assert becomes(smaller, "RUNNING")
    backend.stop_job(job.id, "too big", terminate=False)
    assert becomes(job, "FAILED")


def test_instance_types_whose_memory_is_not_known_are_not_judged_and_say_so(caplog):
    backend = setup(GatedRunner())
    created = Client(BatchApp(lambda region: backend)).post(
        "/v1/createcomputeenvironment",
        json={
            "computeEnvironmentName": "mixed",
            "type": "MANAGED",
            "computeResources": {
                "type": "SPOT",
                "maxvCpus": 16,
                "instanceTypes": ["optimal", "m5.large"],
            },
        },
    )
    assert created.status_code == 200, created.data
    backend.create_job_queue("spot", 1, [{"order": 1, "computeEnvironment": "mixed"}])
    backend.register_job_definition(
        "hungry", {"image": "i", "resourceRequirements": [{"type": "MEMORY", "value": "40000"}]}
    )

    job = backend.submit_job("hungry", "spot", "hungry")

    assert becomes(job, "RUNNING")
    assert "the memory of optimal is not known locally" in caplog.text
