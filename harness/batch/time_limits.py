"""A queue's jobStateTimeLimitActions: a job that stays RUNNABLE for a reason the queue names
(the code its statusReason starts with, capacity.never_fits) is cancelled once it has waited
maxTimeSeconds, with AWS's status reason. AWS acts on the job at the head of a blocked queue;
the stand-in lets other jobs pass one that can never run, so it acts on every such job."""

import threading

from harness.batch.clock import now_ms
from harness.batch.jobs import STOP_CHECK_SECONDS, Job
from harness.batch.states import JobStatus


def watch(job: Job) -> None:
    """Cancel the RUNNABLE `job` when a time limit of its queue matches its reason, in a
    thread of its own, for as long as it stays RUNNABLE with that reason."""
    threading.Thread(target=_watch, args=(job,), name=f"time-limit-{job.id}", daemon=True).start()


def _watch(job: Job) -> None:
    reason = job.status_reason or ""
    code = reason.split(" - ", 1)[0]
    while job.status == JobStatus.RUNNABLE and job.status_reason == reason:
        limits = [
            action["maxTimeSeconds"]
            for action in job.queue.state_time_limit_actions
            if action["reason"] == code
        ]
        if limits and (now_ms() - runnable_since(job)) / 1000 >= min(limits):
            job.request_stop(
                f"Canceled by JobStateTimeLimit action due to reason: {code}", terminate=False
            )
            return
        if job.stopping.wait(STOP_CHECK_SECONDS):
            return


def runnable_since(job: Job) -> int:
    """When (epoch ms) the job last became RUNNABLE."""
    return next(stamp for status, stamp in reversed(job.history) if status == JobStatus.RUNNABLE)
