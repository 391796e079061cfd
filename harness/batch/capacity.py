"""vCPU capacity of compute environments: which RUNNABLE job starts next, and when.

A job waits in RUNNABLE until its job queue and its compute environment are ENABLED and the
environment has its vCPUs free. A job that wants more memory than a Fargate environment ever
gives one job waits for good, as in AWS. A DISABLED queue accepts no new jobs and starts none
of those it holds; they run once it is enabled again. Among the jobs waiting for one
environment, the first that fits goes first in the order Batch takes them: the higher queue
priority, then the earlier submission (queues that share an environment compete by priority).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.batch.jobs import STOP_CHECK_SECONDS, Job


class CapacityPool:
    def __init__(self) -> None:
        self._in_use: dict[str, float] = {}
        self._waiting: list[Job] = []
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, job: Job, vcpus: float) -> Iterator[bool]:
        """Hold the job's vCPUs while it runs; yields False (holding nothing) once the job is
        stopped before it could start."""
        environment = job.compute_environment

        def free(other: Job) -> bool:
            used = self._in_use.get(environment.arn, 0.0)
            return used + other.vcpus <= environment.max_vcpus

        def startable(other: Job) -> bool:
            fits = environment.memory_fits(other.memory_mib)
            return other.queue.state == "ENABLED" and fits and free(other)

        def my_turn() -> bool:
            if environment.state != "ENABLED" or not startable(job):
                return False
            rivals = [
                w for w in self._waiting if w.compute_environment is environment and startable(w)
            ]
            return min(rivals, key=rank) is job

        with self._changed:
            self._waiting.append(job)
            try:
                while not self._changed.wait_for(my_turn, timeout=STOP_CHECK_SECONDS):
                    if job.stopping.is_set():
                        break
                reserved = not job.stopping.is_set() and my_turn()
                if reserved:
                    self._in_use[environment.arn] = self._in_use.get(environment.arn, 0.0) + vcpus
            finally:
                self._waiting.remove(job)
                self._changed.notify_all()
        if not reserved:
            yield False
            return
        try:
            yield True
        finally:
            self._release(environment.arn, vcpus)

    @contextmanager
    def held(self, job: Job, vcpus: float) -> Iterator[None]:
        """Hold the vCPUs of a job whose container already runs (one an engine that crashed
        left running) at once: it uses them, whatever waits."""
        arn = job.compute_environment.arn
        with self._changed:
            self._in_use[arn] = self._in_use.get(arn, 0.0) + vcpus
        try:
            yield
        finally:
            self._release(arn, vcpus)

    def _release(self, arn: str, vcpus: float) -> None:
        with self._changed:
            self._in_use[arn] -= vcpus
            self._changed.notify_all()


def rank(job: Job) -> tuple[Any, ...]:
    """Batch's order: higher queue priority first, then submission order."""
    return (-job.queue.priority, job.sequence, job.array_index or 0)
