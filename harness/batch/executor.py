"""Drive a submitted job through Batch's states, one attempt after another."""

import logging
import threading

from harness.batch.capacity import CapacityPool
from harness.batch.models import Attempt, Job
from harness.batch.retry import should_retry
from harness.batch.runner import ContainerRunner

logger = logging.getLogger("harness.batch")


class JobExecutor:
    def __init__(self, runner: ContainerRunner, capacity: CapacityPool | None = None) -> None:
        self._runner = runner
        self._capacity = capacity or CapacityPool()

    def start(self, job: Job) -> None:
        threading.Thread(target=self._run, args=(job,), name=f"job-{job.id}", daemon=True).start()

    def _run(self, job: Job) -> None:
        try:
            job.transition("PENDING")
            job.transition("RUNNABLE")
            while not self._attempt(job):
                if job.stopping.is_set():  # cancelled or terminated: never retried
                    job.transition("FAILED", job.stop_reason)
                    return
                attempt = job.attempts[-1]
                if not should_retry(job.retry_strategy, attempt, len(job.attempts)):
                    job.transition("FAILED", attempt.status_reason)
                    return
                logger.info("job %s attempt %d failed, retrying", job.id, len(job.attempts))
                job.transition("RUNNABLE")
            job.transition("SUCCEEDED", "Essential container in task exited")
        except Exception as error:  # the job must not stay RUNNING if the harness fails
            logger.exception("job %s: harness error", job.id)
            job.transition("FAILED", f"Local Batch stand-in error: {error}")

    def _attempt(self, job: Job) -> bool:
        """One attempt; False when it failed or the job was stopped before it could start."""
        vcpus = job.definition.vcpus
        with self._capacity.reserve(job.compute_environment, vcpus, job.stopping) as reserved:
            if not reserved or job.stopping.is_set():
                return False
            job.transition("STARTING")
            attempt = Attempt()
            job.attempts.append(attempt)
            return self._runner.run(job, attempt, on_running=lambda: job.transition("RUNNING"))
