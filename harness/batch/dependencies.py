"""Job dependencies (dependsOn) and array jobs: what a job waits for, checked as AWS checks it.

- A dependency on a job: wait until it SUCCEEDED (an array parent succeeds when all its
  children do); if it FAILED, this job fails with "Dependent Job failed".
- N_TO_N between two array jobs of the same size: child i waits for child i of the other.
- SEQUENTIAL (no job id) on an array job: child i waits for child i-1 of the same array.
"""

from typing import Any

from harness.batch.errors import ClientException

MAX_DEPENDENCIES = 20
ARRAY_SIZE = (2, 10_000)
DEPENDENT_JOB_FAILED = "Dependent Job failed"


def check_array_size(array_properties: dict[str, Any] | None) -> int | None:
    if not array_properties:
        return None
    size = array_properties.get("size")
    low, high = ARRAY_SIZE
    if not isinstance(size, int) or not low <= size <= high:
        raise ClientException(f"arrayProperties.size must be between {low} and {high}: {size!r}")
    return size


def resolve(
    depends_on: list[dict[str, Any]] | None, jobs: dict[str, Any], array_size: int | None
) -> list[tuple[Any, str | None]]:
    """(job, type) per dependency; job is None for SEQUENTIAL. Raises ClientException."""
    depends_on = depends_on or []
    if len(depends_on) > MAX_DEPENDENCIES:
        raise ClientException(f"a job can depend on at most {MAX_DEPENDENCIES} jobs")
    resolved: list[tuple[Any, str | None]] = []
    for entry in depends_on:
        kind = entry.get("type")
        if kind not in (None, "N_TO_N", "SEQUENTIAL"):
            raise ClientException(f"dependsOn type must be N_TO_N or SEQUENTIAL, not {kind!r}")
        if kind and array_size is None:
            raise ClientException(f"a {kind} dependency is for array jobs only")
        if kind == "SEQUENTIAL":
            if entry.get("jobId"):
                raise ClientException("a SEQUENTIAL dependency names no job id")
            resolved.append((None, kind))
            continue
        job = jobs.get(entry.get("jobId", ""))
        if job is None:
            raise ClientException(f"dependsOn: job {entry.get('jobId')!r} does not exist")
        if kind == "N_TO_N" and job.array_size != array_size:
            raise ClientException(
                f"an N_TO_N dependency needs an array job of the same size ({array_size}): "
                f"{job.id} is {'an array of ' + str(job.array_size) if job.array_size else 'not'}"
                " an array job"
            )
        resolved.append((job, kind))
    return resolved


def waits_for(job: Any) -> list[Any]:
    """The jobs that must succeed before `job` may run."""
    declared = job.parent.dependencies if job.parent else job.dependencies
    index = job.array_index
    jobs = []
    for dependency, kind in declared:
        if kind == "SEQUENTIAL":
            if index:
                jobs.append(job.parent.children[index - 1])
        elif kind == "N_TO_N" and index is not None:
            jobs.append(dependency.children[index])
        elif dependency is not None:
            jobs.append(dependency)
    return jobs
