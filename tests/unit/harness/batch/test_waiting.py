"""Why a job that has not started waits, from the scheduler's state (scripted runner, no
Docker): vCPUs, jobs that go first, a disabled queue or environment, dependencies, a job that
can never fit, an array's children."""

from harness.batch.backend import BatchBackend
from harness.batch.capacity import CapacityPool
from harness.batch.executor import JobExecutor
from harness.batch.waiting import why_waiting
from tests.unit.harness.batch.test_capacity import GatedRunner, becomes


def setup() -> tuple[BatchBackend, GatedRunner, CapacityPool]:
    runner, capacity = GatedRunner(), CapacityPool()
    backend = BatchBackend(
        "000000000000", "us-east-1", start_job=JobExecutor(runner, capacity).start
    )
    backend.create_compute_environment("one", {"maxvCpus": 1})
    backend.create_job_queue("low", 1, [{"order": 1, "computeEnvironment": "one"}])
    backend.create_job_queue("high", 10, [{"order": 1, "computeEnvironment": "one"}])
    backend.register_job_definition("work", {"image": "i", "vcpus": 1})
    return backend, runner, capacity


def test_a_job_behind_a_running_one_waits_for_vcpus_and_later_ones_say_who_goes_first():
    backend, runner, capacity = setup()
    holder = backend.submit_job("holder", "low", "work")
    assert becomes(holder, "RUNNING")
    first = backend.submit_job("first", "low", "work")
    urgent = backend.submit_job("urgent", "high", "work")
    assert becomes(first, "RUNNABLE") and becomes(urgent, "RUNNABLE")

    assert why_waiting(holder, capacity) is None
    assert why_waiting(urgent, capacity) == (
        "waiting for 1 vCPU in compute environment one, which has 0 of 1 free"
    )
    assert why_waiting(first, capacity) == (
        "waiting for 1 vCPU in compute environment one, which has 0 of 1 free; 1 job there "
        "goes first (a higher queue priority, or submitted earlier)"
    )
    for name in ("holder", "urgent", "first"):
        runner.release(name)
    assert becomes(first, "SUCCEEDED")
    assert why_waiting(first, capacity) is None


def test_a_disabled_queue_or_environment_is_named():
    backend, runner, capacity = setup()
    holder = backend.submit_job("holder", "low", "work")
    assert becomes(holder, "RUNNING")
    held = backend.submit_job("held", "high", "work")
    assert becomes(held, "RUNNABLE")

    backend.update_job_queue("high", state="DISABLED")
    assert why_waiting(held, capacity) == "job queue high is DISABLED: it starts none of its jobs"
    backend.update_job_queue("high", state="ENABLED")
    backend.update_compute_environment("one", state="DISABLED")
    assert why_waiting(held, capacity) == "compute environment one is DISABLED: it starts no job"
    backend.update_compute_environment("one", state="ENABLED")
    for name in ("holder", "held"):
        runner.release(name)
    assert becomes(held, "SUCCEEDED")


def test_a_pending_job_names_the_dependency_it_waits_on_and_its_state():
    backend, runner, capacity = setup()
    first = backend.submit_job("first", "low", "work")
    assert becomes(first, "RUNNING")
    after = backend.submit_job("after", "low", "work", depends_on=[{"jobId": first.id}])
    assert becomes(after, "PENDING")

    assert why_waiting(after, capacity) == f"waiting on {first.id} (RUNNING)"
    runner.release("first")
    runner.release("after")
    assert becomes(after, "SUCCEEDED")


def test_a_job_that_can_never_fit_says_so_with_aws_code():
    backend, _, capacity = setup()
    backend.register_job_definition("huge", {"image": "i", "vcpus": 4})
    job = backend.submit_job("huge", "low", "huge")
    assert becomes(job, "RUNNABLE")

    assert why_waiting(job, capacity) == job.status_reason
    assert job.status_reason.startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - ")
    backend.stop_job(job.id, "too big", terminate=False)


def test_an_array_job_counts_its_children():
    backend, runner, capacity = setup()
    parent = backend.submit_job("array", "low", "work", array_properties={"size": 2})
    assert becomes(parent.children[0], "RUNNING") and becomes(parent.children[1], "RUNNABLE")

    assert why_waiting(parent, capacity) == "an array job: 0 of its 2 children ended, 1 running"
    assert why_waiting(parent.children[1], capacity).startswith("waiting for 1 vCPU")
    runner.release("array")
    assert becomes(parent, "SUCCEEDED")
