"""The states an AWS Batch job moves through, in order, and the two it ends in."""

from enum import StrEnum


class JobStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    RUNNABLE = "RUNNABLE"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


FINAL_STATES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})
