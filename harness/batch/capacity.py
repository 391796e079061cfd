"""vCPU capacity of compute environments: which RUNNABLE job starts next, and when.

A job waits in RUNNABLE until its job queue and its compute environment are ENABLED and the
environment has its vCPUs free. A job that wants more memory than a Fargate environment ever
gives one job waits for good, as in AWS. A DISABLED queue accepts no new jobs and starts none
of those it holds; they run once it is enabled again. Among the jobs waiting for one
environment, the first that fits goes first in the order Batch takes them: the higher queue
priority, then the earlier submission (queues that share an environment compete by priority).
In a queue with a scheduling policy, the share that used least for its weight goes first, and
computeReservation holds some of the environment's vCPUs back (scheduling.py). A job that
names consumable resources also waits for the quantity of each it asks for; it holds them
while it runs, and gives back the replenishable ones when its attempt ends.

`why_waiting` says, in words, which of those holds a RUNNABLE job back now; `never_fits` is
the reason AWS itself gives (statusReason, with its code) for a job no environment can run.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.batch.jobs import STOP_CHECK_SECONDS, Job
from harness.batch.resources import JobQueue
from harness.batch.scheduling import Run, ShareUsage


class CapacityPool:
    """`usage`: what each share of each fair-share queue ran (its clock is the pool's)."""

    def __init__(self, usage: ShareUsage | None = None) -> None:
        self._in_use: dict[str, float] = {}
        self._waiting: list[Job] = []
        self._changed = threading.Condition()
        self.usage = usage or ShareUsage()

    def _free(self, job: Job) -> bool:
        environment = job.compute_environment
        limit = environment.max_vcpus - self._reserved(job)
        if self._in_use.get(environment.arn, 0.0) + job.vcpus > limit:
            return False
        return all(resource.available >= quantity for resource, quantity in job.consumables)

    @staticmethod
    def _take(job: Job, held_again: bool = False) -> None:
        """Hold the job's consumable resources (`held_again`: those of a job an engine restart
        left running, whose used-up ones stayed counted)."""
        for resource, quantity in job.consumables:
            if resource.replenishable or not held_again:
                resource.in_use += quantity

    @staticmethod
    def _give_back(job: Job) -> None:
        for resource, quantity in job.consumables:
            if resource.replenishable:
                resource.in_use -= quantity

    def _reserved(self, job: Job) -> float:
        """The vCPUs a fair-share queue's computeReservation holds back from its active
        shares: (computeReservation/100)^active of the environment's."""
        policy = job.queue.scheduling_policy
        if policy is None or not policy.compute_reservation:
            return 0.0
        active = len(self._active_shares(job.queue))
        return float(
            job.compute_environment.max_vcpus * (policy.compute_reservation / 100) ** active
        )

    def _active_shares(self, queue: JobQueue) -> set[str]:
        """A fair-share queue's shares with a job waiting here or one run in its window."""
        assert queue.scheduling_policy is not None
        waiting = {
            job.share_identifier
            for job in self._waiting
            if job.queue is queue and job.share_identifier is not None
        }
        return waiting | self.usage.recent_shares(queue.arn, queue.scheduling_policy.window_seconds)

    def share_used(self, job: Job) -> float:
        """vCPU-seconds the job's share ran in its policy's window (0 in a FIFO queue)."""
        policy = job.queue.scheduling_policy
        if policy is None or job.share_identifier is None:
            return 0.0
        return self.usage.used(job.queue.arn, job.share_identifier, policy.window_seconds)

    def rank(self, job: Job) -> tuple[Any, ...]:
        """Batch's order: higher queue priority first; in a fair-share queue, the share with
        the least usage for its weight, then the higher scheduling priority; then the earlier
        submission."""
        policy = job.queue.scheduling_policy
        share = 0.0
        if policy is not None and job.share_identifier is not None:
            share = self.share_used(job) * policy.weight(job.share_identifier)
        priority = -(job.scheduling_priority or 0)
        return (-job.queue.priority, share, priority, job.sequence, job.array_index or 0)

    def _started(self, job: Job, vcpus: float) -> Run | None:
        if job.queue.scheduling_policy is None or job.share_identifier is None:
            return None
        return self.usage.started(job.queue.arn, job.share_identifier, vcpus)

    def _startable(self, job: Job) -> bool:
        return self._eligible(job) and self._free(job)

    @staticmethod
    def _eligible(job: Job) -> bool:
        """Its queue would start it and its environment could ever hold it."""
        return job.queue.state == "ENABLED" and job.compute_environment.memory_fits(job.memory_mib)

    def _rivals(self, job: Job) -> list[Job]:
        """The jobs waiting for the same compute environment that its queue would start."""
        return [
            waiting
            for waiting in self._waiting
            if waiting.compute_environment is job.compute_environment and self._eligible(waiting)
        ]

    @contextmanager
    def reserve(self, job: Job, vcpus: float) -> Iterator[bool]:
        """Hold the job's vCPUs while it runs; yields False (holding nothing) once the job is
        stopped before it could start."""
        environment = job.compute_environment

        def my_turn() -> bool:
            if environment.state != "ENABLED" or not self._startable(job):
                return False
            return min(filter(self._startable, self._rivals(job)), key=self.rank) is job

        run: Run | None = None
        with self._changed:
            self._waiting.append(job)
            try:
                while not self._changed.wait_for(my_turn, timeout=STOP_CHECK_SECONDS):
                    if job.stopping.is_set():
                        break
                reserved = not job.stopping.is_set() and my_turn()
                if reserved:
                    self._in_use[environment.arn] = self._in_use.get(environment.arn, 0.0) + vcpus
                    self._take(job)
                    run = self._started(job, vcpus)
            finally:
                self._waiting.remove(job)
                self._changed.notify_all()
        if not reserved:
            yield False
            return
        try:
            yield True
        finally:
            self._release(job, vcpus, run)

    @contextmanager
    def held(self, job: Job, vcpus: float) -> Iterator[None]:
        """Hold the vCPUs of a job whose container already runs (one an engine that crashed
        left running) at once: it uses them, whatever waits."""
        arn = job.compute_environment.arn
        with self._changed:
            self._in_use[arn] = self._in_use.get(arn, 0.0) + vcpus
            self._take(job, held_again=True)
            run = self._started(job, vcpus)
        try:
            yield
        finally:
            self._release(job, vcpus, run)

    def _release(self, job: Job, vcpus: float, run: Run | None) -> None:
        with self._changed:
            self._in_use[job.compute_environment.arn] -= vcpus
            self._give_back(job)
            if run is not None:
                self.usage.ended(run)
            self._changed.notify_all()

    def why_waiting(self, job: Job) -> str:
        """What holds the RUNNABLE `job` back now, in words."""
        environment = job.compute_environment
        with self._changed:
            if never := never_fits(job):
                return never
            if job.queue.state != "ENABLED":
                return f"job queue {job.queue.name} is DISABLED: it starts none of its jobs"
            if environment.state != "ENABLED":
                return f"compute environment {environment.name} is DISABLED: it starts no job"
            mine = self.rank(job)
            ahead = [other for other in self._rivals(job) if self.rank(other) < mine]
            used = self._in_use.get(environment.arn, 0.0)
            reserved = self._reserved(job)
            free = environment.max_vcpus - used
        parts = []
        if free - reserved < job.vcpus:
            held_back = (
                f", {reserved:g} of them held back for new shares (computeReservation)"
                if reserved
                else ""
            )
            parts.append(
                f"waiting for {counted(job.vcpus, 'vCPU')} in compute environment "
                f"{environment.name}, which has {max(free, 0):g} of {environment.max_vcpus:g} "
                f"free{held_back}"
            )
        if ahead:
            why = "(a higher queue priority, or submitted earlier)"
            policy = job.queue.scheduling_policy
            if policy is not None and job.share_identifier is not None:
                why = (
                    f"(by fair share: share {job.share_identifier}, weight "
                    f"{policy.weight(job.share_identifier):g}, ran "
                    f"{self.share_used(job):.0f} vCPU-seconds in the last "
                    f"{policy.window_seconds} s)"
                )
            parts.append(
                f"{counted(len(ahead), 'job')} there go{'es' if len(ahead) == 1 else ''} first "
                + why
            )
        parts += [
            f"waiting for {quantity} of consumable resource {resource.name}, which has "
            f"{resource.available} of {resource.total} available"
            for resource, quantity in job.consumables
            if resource.available < quantity
        ]
        return "; ".join(parts) or "starting: its vCPUs are free and it is first in line"


def counted(number: float, noun: str) -> str:
    return f"{number:g} {noun}{'' if number == 1 else 's'}"


COMPUTE_ENVIRONMENT_MAX_RESOURCE = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"
JOB_RESOURCE_REQUIREMENT = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"


def never_fits(job: Job) -> str | None:
    """The statusReason of a job that asks for more vCPUs or memory than its environment can
    ever provide (memory is known for Fargate and for EC2 types named in instance_types.py),
    with the code AWS gives it (a queue's jobStateTimeLimitActions match on it); None when
    it fits."""
    environment = job.compute_environment
    kind = environment.compute_resources.get("type")
    if job.vcpus > environment.max_vcpus:
        code = COMPUTE_ENVIRONMENT_MAX_RESOURCE
        needs = f"{job.vcpus:g} vCPUs and compute environment {environment.name} has at "
        needs += f"most {environment.max_vcpus:g} (maxvCpus)"
    elif not environment.memory_fits(job.memory_mib):
        code = JOB_RESOURCE_REQUIREMENT
        needs = f"{job.memory_mib} MiB of memory and compute environment "
        needs += f"{environment.name} ({kind}) gives a job at most "
        needs += f"{environment.max_memory_mib_per_job}"
    else:
        return None
    return (
        f"{code} - the job needs {needs}: it stays RUNNABLE, as in AWS, until the environment "
        "changes or the job is cancelled"
    )
