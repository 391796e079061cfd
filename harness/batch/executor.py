"""Drive a submitted job through Batch's states, one attempt after another.

A job waits in PENDING for its dependencies (dependencies.py), in RUNNABLE for vCPUs
(capacity.py), then runs attempts until one succeeds or the retry strategy says stop. An array
job's parent stays PENDING while its children run, a bounded number of them at a time (the
compute environment's vCPUs still decide how many containers run), and ends SUCCEEDED when
all of them succeeded, FAILED once all are done and any failed.
"""

import contextlib
import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from harness.batch import time_limits
from harness.batch.capacity import CapacityPool, never_fits
from harness.batch.clock import now_ms
from harness.batch.dependencies import DEPENDENT_JOB_FAILED, waits_for
from harness.batch.jobs import STOP_CHECK_SECONDS, Attempt, Job
from harness.batch.retry import should_retry
from harness.batch.runner import ESSENTIAL_CONTAINER_EXITED, ContainerRunner
from harness.batch.states import FINAL_STATES, JobStatus
from harness.waiting import wait_until

logger = logging.getLogger("harness.batch")

CHILDREN_AT_ONCE = 64  # threads per array job; children beyond wait their turn in SUBMITTED
MAIN_NODE_ENDED = "The main node of the multi-node parallel job ended"
NODES_LOST = (
    "The job's nodes ran when the local cloud stopped; the stand-in does not follow a "
    "multi-node job's nodes across a restart"
)
CONTAINER_LOST = (
    "The job's container is gone: the local cloud stopped while it ran (`harness down` "
    "removes the containers of running jobs), or it was removed by hand"
)


@contextlib.contextmanager
def failing_on_harness_error(job: Job) -> Iterator[None]:
    """A job must not stay RUNNING if the harness itself fails."""
    try:
        yield
    except Exception as error:
        logger.exception("job %s: harness error", job.id)
        job.transition(JobStatus.FAILED, f"Local Batch stand-in error: {error}")


class JobExecutor:
    def __init__(self, runner: ContainerRunner, capacity: CapacityPool | None = None) -> None:
        self._runner = runner
        self._capacity = capacity or CapacityPool()

    def start(self, job: Job) -> None:
        target: Callable[[Job], None] = self._run_array if job.array_size else self._run
        if job.node_properties:
            target = self._run_nodes
        threading.Thread(target=target, args=(job,), name=f"job-{job.id}", daemon=True).start()

    def resume(self, job: Job) -> None:
        """Go on with an unfinished job from the engine's saved state: one not yet started
        runs from the start; one that was STARTING or RUNNING is reconciled with Docker: its
        container, when the engine left it (a crash), is followed to its end or its exit
        taken; an attempt whose container was never created or never started runs anew; one
        whose end was written before its container was removed ends as it did; else that
        attempt fails, its container lost, and the retry strategy decides."""
        target: Callable[[Job], None] = self._resume_array if job.array_size else self._resume
        if job.node_properties:
            target = self._resume_nodes
        threading.Thread(target=target, args=(job,), name=f"job-{job.id}", daemon=True).start()

    def _run_array(self, parent: Job, run: Callable[[Job], None] | None = None) -> None:
        parent.transition(JobStatus.PENDING)
        unfinished = [child for child in parent.children if not child.is_done]
        with ThreadPoolExecutor(max(1, min(CHILDREN_AT_ONCE, len(unfinished)))) as children:
            for child in unfinished:
                children.submit(run or self._run, child)
        failed = sum(child.status == JobStatus.FAILED for child in parent.children)
        if failed:
            parent.transition(
                JobStatus.FAILED, f"{failed} of {len(parent.children)} child jobs failed"
            )
        else:
            parent.transition(JobStatus.SUCCEEDED, "All child jobs succeeded")

    def _resume_array(self, parent: Job) -> None:
        self._run_array(parent, self._resume)

    def _run_nodes(self, parent: Job) -> None:
        """A multi-node parallel job: PENDING for its dependencies, RUNNABLE until the vCPUs of
        all its nodes are free at once, then the main node starts and, once it runs, the
        other nodes (told its address). The job ends as its main node ends; the other nodes
        are then stopped. Its retry strategy runs all the nodes again."""
        with failing_on_harness_error(parent):
            self._each(parent, JobStatus.PENDING)
            if not self._dependencies_succeeded(parent):
                self._each(parent, JobStatus.FAILED, parent.stop_reason or DEPENDENT_JOB_FAILED)
                return
            reason = never_fits(parent)
            self._each(parent, JobStatus.RUNNABLE, reason)
            if reason:
                logger.warning("job %s: %s", parent.id, reason)
                time_limits.watch(parent)
            while not self._nodes_attempt(parent):
                if not self._retrying(parent):  # nodes that never started fail with it
                    self._each(parent, JobStatus.FAILED, parent.status_reason)
                    return
                for node in parent.children:  # stopped when the main node ended
                    node.clear_stop()
                    node.transition(JobStatus.RUNNABLE)
            parent.transition(JobStatus.SUCCEEDED, ESSENTIAL_CONTAINER_EXITED)

    def _resume_nodes(self, parent: Job) -> None:
        """A multi-node job restored from saved state: one not yet started runs from the start;
        the nodes of one that ran are not followed again, so it fails saying so."""
        if parent.status not in (JobStatus.STARTING, JobStatus.RUNNING):
            self._run_nodes(parent)
            return
        for node in parent.children:
            if node.status in (JobStatus.STARTING, JobStatus.RUNNING):
                container = self._runner.leftover(node)
                if container is not None:
                    self._runner.discard(container)
        self._each(parent, JobStatus.FAILED, NODES_LOST)

    @staticmethod
    def _each(parent: Job, status: JobStatus, reason: str | None = None) -> None:
        """The multi-node job and its nodes to `status`; to a final one, only those not yet
        ended (they keep how they ended)."""
        for job in [parent, *parent.children]:
            if not job.is_done or status not in FINAL_STATES:
                job.transition(status, reason)

    def _nodes_attempt(self, parent: Job) -> bool:
        """One attempt of every node; True when the main node succeeded."""
        with self._starting(parent) as attempt:
            if attempt is None:
                return False
            main = parent.children[int((parent.node_properties or {})["mainNode"])]
            main_runs = threading.Event()

            def main_running() -> None:
                main.transition(JobStatus.RUNNING)
                parent.transition(JobStatus.RUNNING)
                main_runs.set()

            started = {main.id: self._node_thread(main, main_running)}
            main_ended = started[main.id]
            wait_until(
                lambda: main_runs.is_set() or not main_ended.is_alive() or None,
                timeout=math.inf,
                interval=STOP_CHECK_SECONDS,
            )
            if main_runs.is_set():
                for node in parent.children:
                    if node is not main:
                        running = functools.partial(node.transition, JobStatus.RUNNING)
                        started[node.id] = self._node_thread(node, running)
            main_ended.join()
            for node in parent.children:
                if node is not main and not node.is_done:
                    node.request_stop(MAIN_NODE_ENDED, terminate=True, requested=False)
            for thread in started.values():
                thread.join()
            main_attempt = main.attempts[-1]
            for field in ("started_at", "stopped_at", "exit_code", "reason", "status_reason"):
                setattr(attempt, field, getattr(main_attempt, field))
            return main.status == JobStatus.SUCCEEDED

    def _node_thread(self, node: Job, on_running: Callable[[], None]) -> threading.Thread:
        """Run one attempt of `node` in a thread of its own, from RUNNABLE to its end."""

        def run() -> None:
            with failing_on_harness_error(node):
                attempt = Attempt()
                node.attempts.append(attempt)
                node.transition(JobStatus.STARTING)
                if self._runner.run(node, attempt, on_running=on_running):
                    node.transition(JobStatus.SUCCEEDED, ESSENTIAL_CONTAINER_EXITED)
                else:
                    node.transition(JobStatus.FAILED, node.stop_reason or attempt.status_reason)

        thread = threading.Thread(target=run, name=f"job-{node.id}", daemon=True)
        thread.start()
        return thread

    def _run(self, job: Job) -> None:
        with failing_on_harness_error(job):
            job.transition(JobStatus.PENDING)
            if not self._dependencies_succeeded(job):
                job.transition(JobStatus.FAILED, job.stop_reason or DEPENDENT_JOB_FAILED)
                return
            reason = never_fits(job)
            job.transition(JobStatus.RUNNABLE, reason)
            if reason:
                logger.warning("job %s: %s", job.id, reason)
                time_limits.watch(job)
            self._run_attempts(job)

    def _resume(self, job: Job) -> None:
        if job.status not in (JobStatus.STARTING, JobStatus.RUNNING):
            self._run(job)
            return
        with failing_on_harness_error(job):
            attempt = job.attempts[-1]  # an attempt is added before the job is STARTING
            container = self._runner.leftover(job)
            never_ran = (
                job.status == JobStatus.STARTING
                if container is None
                else container.status == "created"
            )
            if container is None and attempt.stopped_at is not None:
                # it ended, and was written so, before its container was removed
                logger.info("job %s: its attempt had ended (exit %s)", job.id, attempt.exit_code)
                succeeded = attempt.succeeded
            elif never_ran:
                logger.info("job %s: its attempt never ran; it runs anew", job.id)
                if container is not None:
                    self._runner.discard(container)
                job.attempts.pop()
                job.transition(JobStatus.RUNNABLE)
                self._run_attempts(job)
                return
            elif container is None:
                attempt.stopped_at = now_ms()
                attempt.status_reason = CONTAINER_LOST
                succeeded = False
            else:
                with self._capacity.held(job, job.vcpus):
                    if job.status == JobStatus.STARTING:
                        attempt.started_at = attempt.started_at or now_ms()
                        job.transition(JobStatus.RUNNING)
                    succeeded = self._runner.reattach(job, attempt, container)
            if succeeded:
                job.transition(JobStatus.SUCCEEDED, ESSENTIAL_CONTAINER_EXITED)
            elif self._retrying(job):
                self._run_attempts(job)

    def _run_attempts(self, job: Job) -> None:
        """Attempts, from RUNNABLE, until one succeeds or the job is not to be retried."""
        while not self._attempt(job):
            if not self._retrying(job):
                return
        job.transition(JobStatus.SUCCEEDED, ESSENTIAL_CONTAINER_EXITED)

    @staticmethod
    def _retrying(job: Job) -> bool:
        """After a failed attempt: back to RUNNABLE (True), or FAILED for good (False)."""
        if job.stopping.is_set():  # cancelled or terminated: never retried
            job.transition(JobStatus.FAILED, job.stop_reason)
            return False
        attempt = job.attempts[-1]
        if not should_retry(job.retry_strategy, attempt, len(job.attempts)):
            job.transition(JobStatus.FAILED, attempt.status_reason)
            return False
        logger.info("job %s attempt %d failed, retrying", job.id, len(job.attempts))
        job.transition(JobStatus.RUNNABLE)
        return True

    @staticmethod
    def _dependencies_succeeded(job: Job) -> bool:
        """Wait until every dependency SUCCEEDED (True), or one FAILED or the job was
        cancelled (False)."""
        depends = waits_for(job)

        def settled() -> bool | None:
            if job.stopping.is_set() or any(d.status == JobStatus.FAILED for d in depends):
                return False
            if all(d.status in FINAL_STATES for d in depends):
                return True
            return None

        return bool(wait_until(settled, timeout=math.inf, interval=STOP_CHECK_SECONDS))

    def _attempt(self, job: Job) -> bool:
        """One attempt; False when it failed or the job was stopped before it could start."""
        with self._starting(job) as attempt:
            if attempt is None:
                return False
            return self._runner.run(
                job, attempt, on_running=lambda: job.transition(JobStatus.RUNNING)
            )

    @contextlib.contextmanager
    def _starting(self, job: Job) -> Iterator[Attempt | None]:
        """With the job's vCPUs held: a new attempt, the job STARTING; None when the job was
        stopped while it waited for them."""
        with self._capacity.reserve(job, job.vcpus) as reserved:
            if not reserved or job.stopping.is_set():
                yield None
                return
            attempt = Attempt()
            job.attempts.append(attempt)
            job.transition(JobStatus.STARTING)
            yield attempt
