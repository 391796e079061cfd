"""A Batch job as the harness's tools show it (`harness jobs --json`, the console): flat, with
why it waits when it has not started, times in ISO 8601 UTC."""

from datetime import UTC, datetime
from typing import Any

RECORD_SCHEMA = (
    "{jobId, jobName, status, statusReason, waitingReason, exitCode, createdAt, startedAt, "
    "stoppedAt, arraySize, arrayIndex} (waitingReason: why a job not yet started waits, as the "
    "stand-in's scheduler says; times ISO 8601 UTC, absent values null)"
)


def iso(milliseconds: int | None) -> str | None:
    """An AWS epoch-milliseconds time as ISO 8601 in UTC (machine output)."""
    if milliseconds is None:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="milliseconds")


def job_record(job: dict[str, Any], waiting: dict[str, str]) -> dict[str, Any]:
    """A ListJobs or DescribeJobs job as RECORD_SCHEMA says; `waiting`: BatchJobs.waiting()."""
    array = job.get("arrayProperties", {})
    return {
        "jobId": job["jobId"],
        "jobName": job["jobName"],
        "status": job["status"],
        "statusReason": job.get("statusReason"),
        "waitingReason": waiting.get(job["jobId"]),
        "exitCode": job.get("container", {}).get("exitCode"),
        "createdAt": iso(job.get("createdAt")),
        "startedAt": iso(job.get("startedAt")),
        "stoppedAt": iso(job.get("stoppedAt")),
        "arraySize": array.get("size"),
        "arrayIndex": array.get("index"),
    }
