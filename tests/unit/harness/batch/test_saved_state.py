"""The stand-in's resources and jobs saved and restored, as the engine does across a stop:
a scripted runner (no Docker)."""

import copy
import pickle
import threading
from dataclasses import dataclass

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.executor import CONTAINER_LOST, JobExecutor
from harness.batch.jobs import Job
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import ESSENTIAL_CONTAINER_EXITED, ContainerRunner
from harness.batch.states import JobStatus
from harness.waiting import wait_until
from tests.unit.fakes import FakeContainer, FakeLogs


@dataclass
class Leftover:
    """A container an engine that crashed left behind, as Docker reports it."""

    status: str
    exit_code: int = 0
    name: str = "batch-leftover"
    removed: bool = False


class HeldRunner:
    """Holds every attempt RUNNING until released; then it exits with `exit_code`. After a
    restart it finds `leftover` as the container of the job's latest attempt."""

    def __init__(self, exit_code: int = 0, leftover: Leftover | None = None) -> None:
        self.exit_code = exit_code
        self.release = threading.Event()
        self.ran: list[str] = []
        self.left = leftover
        self.reattached: list[str] = []

    def leftover(self, job: Job) -> Leftover | None:
        return self.left

    def reattach(self, job: Job, attempt, container: Leftover) -> bool:
        self.reattached.append(job.id)
        attempt.exit_code = container.exit_code
        attempt.status_reason = ESSENTIAL_CONTAINER_EXITED
        self.discard(container)
        return container.exit_code == 0

    @staticmethod
    def discard(container: Leftover) -> None:
        container.removed = True

    def run(self, job: Job, attempt, on_running) -> bool:
        self.ran.append(job.id)
        on_running()
        self.release.wait(10)
        attempt.exit_code = self.exit_code
        return self.exit_code == 0


def backend_with(runner) -> tuple[BatchBackend, JobExecutor]:
    executor = JobExecutor(runner)
    backend = BatchBackend("000000000000", "us-east-1", start_job=executor.start)
    backend.create_compute_environment("compute", {"maxvCpus": 1})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("work", {"image": "i", "vcpus": 1})
    return backend, executor


def in_state(job: Job, status: JobStatus) -> None:
    assert wait_until(lambda: job.status == status or None, timeout=10, interval=0.01), job.status


def saved_now(backend: BatchBackend) -> bytes:
    """The backend as the engine saves it: pickled at once, so that the jobs its threads run
    on afterwards do not change what was saved."""
    return pickle.dumps(backend.saved())


def restored(saved: bytes, runner) -> tuple[BatchBackend, list[Job], JobExecutor]:
    """Into a fresh backend, as the engine's next start does."""
    executor = JobExecutor(runner)
    backend = BatchBackend("000000000000", "us-east-1", start_job=executor.start)
    unfinished = backend.load(pickle.loads(saved))
    return backend, unfinished, executor


def test_resources_and_finished_jobs_come_back_as_they_were():
    runner = HeldRunner()
    runner.release.set()
    backend, _ = backend_with(runner)
    job = backend.submit_job("one", "queue", "work", parameters={"key": "a.csv"}, tags={"t": "1"})
    in_state(job, JobStatus.SUCCEEDED)

    again, unfinished, _ = restored(saved_now(backend), runner)

    assert unfinished == []
    (copy,) = again.describe_jobs([job.id])
    assert copy.describe() == job.describe()
    assert [q.name for q in again.describe_job_queues()] == ["queue"]
    assert copy.queue is again.job_queues["queue"]  # one object, as before


def test_a_running_job_lost_its_container_and_its_retry_strategy_decides():
    runner = HeldRunner()
    backend, _ = backend_with(runner)
    retried = backend.submit_job("retried", "queue", "work", retry_strategy={"attempts": 2})
    in_state(retried, JobStatus.RUNNING)
    saved = saved_now(backend)
    runner.release.set()  # the old engine's thread ends; the saved copy is what counts

    again_runner = HeldRunner()
    again_runner.release.set()
    _, (job,), executor = restored(saved, again_runner)
    executor.resume(job)
    in_state(job, JobStatus.SUCCEEDED)

    first, second = job.attempts
    assert first.status_reason == CONTAINER_LOST and first.stopped_at is not None
    assert second.exit_code == 0
    assert again_runner.ran == [job.id]


def test_without_attempts_left_it_fails_saying_its_container_is_gone():
    runner = HeldRunner()
    backend, _ = backend_with(runner)
    once = backend.submit_job("once", "queue", "work")
    in_state(once, JobStatus.RUNNING)
    saved = saved_now(backend)
    runner.release.set()

    _, (job,), executor = restored(saved, HeldRunner())
    executor.resume(job)
    in_state(job, JobStatus.FAILED)

    assert job.status_reason == CONTAINER_LOST


def test_a_job_waiting_for_capacity_runs_after_the_restart():
    runner = HeldRunner()
    backend, _ = backend_with(runner)
    first = backend.submit_job("first", "queue", "work")
    in_state(first, JobStatus.RUNNING)
    waiting = backend.submit_job("waiting", "queue", "work")  # maxvCpus 1: it stays RUNNABLE
    in_state(waiting, JobStatus.RUNNABLE)
    saved = saved_now(backend)
    runner.release.set()

    again_runner = HeldRunner()
    again_runner.release.set()
    _, unfinished, executor = restored(saved, again_runner)
    for job in sorted(unfinished, key=lambda job: job.sequence):
        executor.resume(job)
    by_name = {job.name: job for job in unfinished}
    in_state(by_name["waiting"], JobStatus.SUCCEEDED)
    in_state(by_name["first"], JobStatus.FAILED)  # no retry strategy: one attempt

    assert len(by_name["waiting"].attempts) == 1
    assert by_name["first"].status_reason == CONTAINER_LOST


def running_then_restored(runner_after: HeldRunner, retry: int = 1) -> Job:
    """A job RUNNING when the engine's state was saved (then the engine crashed), restored
    and resumed with `runner_after`."""
    runner = HeldRunner()
    backend, _ = backend_with(runner)
    submitted = backend.submit_job("job", "queue", "work", retry_strategy={"attempts": retry})
    in_state(submitted, JobStatus.RUNNING)
    saved = saved_now(backend)
    runner.release.set()
    _, (job,), executor = restored(saved, runner_after)
    executor.resume(job)
    return job


@pytest.mark.parametrize(("exit_code", "status"), [(0, JobStatus.SUCCEEDED), (3, JobStatus.FAILED)])
def test_a_container_the_crashed_engine_left_is_followed_and_its_exit_decides(exit_code, status):
    container = Leftover("running", exit_code)
    runner = HeldRunner(leftover=container)

    job = running_then_restored(runner)
    in_state(job, status)

    (attempt,) = job.attempts  # the same attempt, not a new one
    assert attempt.exit_code == exit_code
    assert runner.reattached == [job.id] and runner.ran == []
    assert container.removed


def test_a_container_created_but_never_started_is_removed_and_the_job_runs_anew():
    container = Leftover("created")
    runner = HeldRunner(leftover=container)
    runner.release.set()

    job = running_then_restored(runner)
    in_state(job, JobStatus.SUCCEEDED)

    (attempt,) = job.attempts  # the attempt that never ran is not counted
    assert attempt.exit_code == 0
    assert container.removed and runner.ran == [job.id] and runner.reattached == []


class RemovableContainer(FakeContainer):
    def __init__(self) -> None:
        super().__init__(exits_at_once=True)
        self.removed = False

    def remove(self, force: bool) -> None:
        self.removed = True


class WritesAhead:
    """Docker whose containers exit 0 at once, and the stand-in's state as the engine writes
    it ahead of each change in Docker, with the containers' state at that moment."""

    def __init__(self) -> None:
        self.containers = self
        self.made: list[RemovableContainer] = []
        self.backend: BatchBackend | None = None
        self.writes: list[tuple[bytes, list[bool]]] = []

    def create(self, image: str, **options) -> RemovableContainer:
        self.made.append(RemovableContainer())
        return self.made[-1]

    def write(self) -> None:
        assert self.backend is not None
        self.writes.append((saved_now(self.backend), [c.removed for c in self.made]))


def test_the_state_written_ahead_of_docker_ends_a_job_truthfully_after_a_crash():
    """The engine writes the stand-in's state before a container is created and before one is
    removed. Killed just after either write, the restarted stand-in finds no container: the
    job that never got one runs anew; the one whose container exited 0 and went SUCCEEDED
    without running again (neither is a lost container)."""
    docker = WritesAhead()
    runner = ContainerRunner(
        docker, CloudWatchLogSink(FakeLogs()), {}, {}, write_ahead=docker.write
    )
    docker.backend, _ = backend_with(runner)
    submitted = docker.backend.submit_job("job", "queue", "work")
    in_state(submitted, JobStatus.SUCCEEDED)

    (before_create, containers_then), (before_remove, containers_later) = docker.writes
    assert containers_then == [] and containers_later == [False]

    for saved, runs_again in ((before_create, True), (before_remove, False)):
        after = HeldRunner()  # Docker holds no container of the job
        after.release.set()
        _, (job,), executor = restored(saved, after)
        executor.resume(job)
        in_state(job, JobStatus.SUCCEEDED)
        (attempt,) = job.attempts
        assert attempt.exit_code == 0 and attempt.status_reason is None
        assert after.ran == ([job.id] if runs_again else [])


def test_a_state_saved_before_fields_were_added_restores_them_with_their_defaults():
    runner = HeldRunner()
    runner.release.set()
    backend, _ = backend_with(runner)
    job = backend.submit_job("one", "queue", "work")
    in_state(job, JobStatus.SUCCEEDED)
    older = copy.deepcopy(backend.saved())
    (saved_job,) = older["jobs"].values()
    (definition,) = older["job_definitions"].values()
    (environment,) = older["compute_environments"].values()
    for resource, added in (
        (saved_job, ("node_properties", "eks_override")),
        (saved_job.attempts[0], ("container_id", "private_ipv4_address")),
        (definition, ("eks_properties", "node_properties")),
        (environment, ("eks_configuration",)),
    ):
        for name in added:  # fields an older harness's objects did not have
            del resource.__dict__[name]

    again, _, _ = restored(pickle.dumps(older), runner)

    (restored_job,) = again.describe_jobs([job.id])
    assert restored_job.describe() == job.describe()
    assert restored_job.eks_override == {}, "a field with a default factory is filled in"
    assert again.describe_compute_environments()[0].eks_configuration is None
