"""Array jobs and dependsOn on the stand-in, with a scripted runner (no Docker)."""

import threading

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Job
from harness.waiting import wait_until


class IndexRunner:
    """Fails the children whose index is in `failing`; records the order attempts started."""

    def __init__(self, failing: set[int] | None = None) -> None:
        self.failing = failing or set()
        self.started: list[str] = []
        self._lock = threading.Lock()

    def run(self, job: Job, attempt, on_running) -> bool:
        with self._lock:
            self.started.append(job.id)
        on_running()
        index = int(job.environment.get("AWS_BATCH_JOB_ARRAY_INDEX", -1))
        attempt.exit_code = 1 if index in self.failing else 0
        return attempt.exit_code == 0


def backend_with(runner) -> BatchBackend:
    backend = BatchBackend("000000000000", "us-east-1", start_job=JobExecutor(runner).start)
    backend.create_compute_environment("compute", {"maxvCpus": 2})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("work", {"image": "i", "vcpus": 1})
    return backend


def done(job: Job) -> Job:
    assert wait_until(lambda: job.is_done or None, timeout=10, interval=0.01), job.status
    return job


def test_an_array_job_runs_every_child_with_its_index_and_sums_their_states():
    backend = backend_with(IndexRunner())

    parent = done(backend.submit_job("fan", "queue", "work", array_properties={"size": 5}))

    assert parent.status == "SUCCEEDED"
    assert [child.id for child in parent.children] == [f"{parent.id}:{i}" for i in range(5)]
    assert [c.environment["AWS_BATCH_JOB_ARRAY_INDEX"] for c in parent.children] == list("01234")
    assert {c.environment["AWS_BATCH_JOB_ARRAY_SIZE"] for c in parent.children} == {"5"}
    assert "AWS_BATCH_JOB_ARRAY_SIZE" not in parent.environment
    summary = parent.describe()["arrayProperties"]
    assert summary["size"] == 5 and summary["statusSummary"]["SUCCEEDED"] == 5
    assert parent.children[3].describe()["arrayProperties"] == {"index": 3}
    assert [j.id for j in backend.list_jobs(None, "SUCCEEDED", array_job_id=parent.id)] == [
        child.id for child in parent.children
    ]
    assert parent.id in [j.id for j in backend.list_jobs("queue", "SUCCEEDED")]
    assert not set(c.id for c in parent.children) & {
        j.id for j in backend.list_jobs("queue", "SUCCEEDED")
    }


def test_a_failed_child_fails_the_parent_once_all_are_done():
    parent = done(
        backend_with(IndexRunner(failing={1})).submit_job(
            "fan", "queue", "work", array_properties={"size": 3}
        )
    )

    assert parent.status == "FAILED"
    assert parent.status_reason == "1 of 3 child jobs failed"
    assert [child.status for child in parent.children] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]


def test_a_job_waits_for_its_dependency_and_fails_when_it_failed():
    runner = IndexRunner(failing={0})
    backend = backend_with(runner)
    first = backend.submit_job("first", "queue", "work")
    after_first = backend.submit_job("after", "queue", "work", depends_on=[{"jobId": first.id}])
    failing = backend.submit_job("bad", "queue", "work", array_properties={"size": 2})
    after_failing = backend.submit_job("never", "queue", "work", depends_on=[{"jobId": failing.id}])

    assert done(after_first).status == "SUCCEEDED"
    assert runner.started.index(first.id) < runner.started.index(after_first.id)
    assert done(after_failing).status == "FAILED"
    assert after_failing.status_reason == "Dependent Job failed"
    assert after_failing.attempts == []


def test_sequential_children_run_in_index_order_and_n_to_n_pairs_children():
    runner = IndexRunner()
    backend = backend_with(runner)
    first = backend.submit_job(
        "seq", "queue", "work", array_properties={"size": 4}, depends_on=[{"type": "SEQUENTIAL"}]
    )
    paired = backend.submit_job(
        "pairs",
        "queue",
        "work",
        array_properties={"size": 4},
        depends_on=[{"jobId": first.id, "type": "N_TO_N"}],
    )

    done(first)
    done(paired)

    assert [j for j in runner.started if j.startswith(first.id)] == [
        f"{first.id}:{i}" for i in range(4)
    ]
    for index in range(4):
        assert runner.started.index(f"{first.id}:{index}") < runner.started.index(
            f"{paired.id}:{index}"
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"array_properties": {"size": 1}}, "size must be between 2 and 10000"),
        ({"array_properties": {"size": 10_001}}, "size must be between 2 and 10000"),
        ({"depends_on": [{"jobId": "nope"}]}, "job 'nope' does not exist"),
        ({"depends_on": [{"type": "SEQUENTIAL"}]}, "SEQUENTIAL dependency is for array jobs"),
        ({"depends_on": [{"jobId": "x"}] * 21}, "at most 20 jobs"),
    ],
)
def test_invalid_arrays_and_dependencies_are_refused_at_submit(arguments, message):
    backend = backend_with(IndexRunner())

    with pytest.raises(ClientException, match=message):
        backend.submit_job("job", "queue", "work", **arguments)


def test_cancelling_an_array_parent_cancels_the_children_that_have_not_started():
    gate = threading.Event()

    class HeldRunner(IndexRunner):
        def run(self, job, attempt, on_running) -> bool:
            gate.wait(5)
            return super().run(job, attempt, on_running)

    backend = backend_with(HeldRunner())
    backend.create_compute_environment("tiny", {"maxvCpus": 1})
    backend.create_job_queue("slow", 1, [{"order": 1, "computeEnvironment": "tiny"}])
    parent = backend.submit_job("fan", "slow", "work", array_properties={"size": 3})
    assert wait_until(lambda: parent.children[0].status == "STARTING" or None, 5, 0.01)

    backend.stop_job(parent.id, "enough", terminate=False)
    gate.set()

    assert done(parent).status == "FAILED"
    assert [child.status for child in parent.children] == ["SUCCEEDED", "FAILED", "FAILED"]
    assert parent.children[2].status_reason == "enough"
