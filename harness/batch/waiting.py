"""Why a job that has not started waits, in words, from the scheduler's own state: what
`harness jobs` shows for each waiting job. AWS says why only for a job that can never run
(its statusReason, capacity.never_fits); the stand-in knows more, and says it."""

from harness.batch.capacity import CapacityPool
from harness.batch.dependencies import waits_for
from harness.batch.executor import CHILDREN_AT_ONCE
from harness.batch.jobs import Job
from harness.batch.states import FINAL_STATES, JobStatus

MAX_NAMED = 3  # dependencies named in a reason; the rest are counted


def why_waiting(job: Job, capacity: CapacityPool) -> str | None:
    """What holds `job` back now; None once it is STARTING, RUNNING or ended."""
    if job.status in (JobStatus.STARTING, JobStatus.RUNNING, *FINAL_STATES):
        return None
    if job.node_index is not None and job.parent is not None:
        return f"a node of {job.parent.id}: its nodes start together, the main node first"
    if job.array_size:
        ended = sum(child.is_done for child in job.children)
        running = sum(child.status == JobStatus.RUNNING for child in job.children)
        return f"an array job: {ended} of its {job.array_size} children ended, {running} running"
    if job.status == JobStatus.SUBMITTED:
        if job.parent is not None and scheduled(job.parent) >= CHILDREN_AT_ONCE:
            return (
                f"waiting for a place among its array's children: at most {CHILDREN_AT_ONCE} "
                "are scheduled at once"
            )
        return "submitted: the scheduler takes it next"
    if job.status == JobStatus.PENDING:
        return pending_on(job)
    return capacity.why_waiting(job)


def scheduled(parent: Job) -> int:
    """How many of an array's children the stand-in has taken in and not yet ended."""
    return sum(
        child.status not in (JobStatus.SUBMITTED, *FINAL_STATES) for child in parent.children
    )


def pending_on(job: Job) -> str:
    """The dependencies a PENDING job waits for, with their states."""
    unfinished = [other for other in waits_for(job) if other.status != JobStatus.SUCCEEDED]
    if not unfinished:
        return "its dependencies succeeded: it becomes RUNNABLE next"
    named = ", ".join(f"{other.id} ({other.status})" for other in unfinished[:MAX_NAMED])
    more = len(unfinished) - MAX_NAMED
    return f"waiting on {named}" + (f" and {more} more" if more > 0 else "")
