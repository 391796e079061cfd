"""Lambda entry point: S3 ObjectCreated event -> one Batch job per matching object.

Configuration (environment):
  JOB_QUEUE       job queue name or ARN (required)
  JOB_DEFINITION  job definition name or ARN (required)
  KEY_PREFIX      only keys starting with this are processed (default: "")
  KEY_SUFFIX      only keys ending with this are processed (default: ".csv")
  JOB_NAME_PREFIX first part of every job name (default: "csv")
  SHARD_BYTES     objects larger than this are processed by an array job, one child per
                  SHARD_BYTES, after a planning job (default: 268435456; 0: never)
  MAX_SHARDS      the most children of one array job (default: 100)

A failed SubmitJob raises, so the invocation fails and Lambda's asynchronous retry of the
S3 event applies. Jobs already submitted for earlier records of the same event may then
be submitted again; processing is an idempotent upsert, so that only costs a re-run.
"""

import functools
import os
from dataclasses import dataclass
from typing import Any

import boto3

from trigger.events import ObjectCreated, object_created_records
from trigger.jobs import job_name, job_parameters, matches, shard_count
from trigger.logs import get_logger

logger = get_logger("trigger")

DEFAULT_SHARD_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_SHARDS = 100


@dataclass(frozen=True)
class Settings:
    job_queue: str
    job_definition: str
    key_prefix: str = ""
    key_suffix: str = ".csv"
    job_name_prefix: str = "csv"
    shard_bytes: int = DEFAULT_SHARD_BYTES
    max_shards: int = DEFAULT_MAX_SHARDS

    @classmethod
    def from_environment(cls) -> "Settings":
        missing = [name for name in ("JOB_QUEUE", "JOB_DEFINITION") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            job_queue=os.environ["JOB_QUEUE"],
            job_definition=os.environ["JOB_DEFINITION"],
            key_prefix=os.environ.get("KEY_PREFIX", ""),
            key_suffix=os.environ.get("KEY_SUFFIX", ".csv"),
            job_name_prefix=os.environ.get("JOB_NAME_PREFIX", "csv"),
            shard_bytes=int(os.environ.get("SHARD_BYTES", DEFAULT_SHARD_BYTES)),
            max_shards=int(os.environ.get("MAX_SHARDS", DEFAULT_MAX_SHARDS)),
        )


@functools.cache
def batch_client() -> Any:
    """One client per execution environment, reused by every invocation."""
    return boto3.client("batch")


def submit_jobs(event: dict[str, Any], settings: Settings, batch: Any) -> dict[str, Any]:
    """Submit a job for every matching object in the event; return what was submitted."""
    submitted = []
    skipped = []
    for obj in object_created_records(event):
        if not matches(obj.key, settings.key_prefix, settings.key_suffix):
            skipped.append(obj.key)
            logger.info("key_skipped", extra={"fields": {"bucket": obj.bucket, "key": obj.key}})
            continue
        shards = shard_count(obj.size, settings.shard_bytes, settings.max_shards)
        if shards == 1:
            submitted.append(submit(batch, settings, obj, job_name(obj, settings.job_name_prefix)))
            continue
        # A big object: a planning job writes the manifest of its ranges, then an array job
        # whose children each write one range runs once the plan has succeeded.
        sharding = {"shards": str(shards)}
        planning = submit(
            batch,
            settings,
            obj,
            job_name(obj, f"{settings.job_name_prefix}-plan"),
            {**sharding, "mode": "plan"},
        )
        submitted.append(planning)
        array = submit(
            batch,
            settings,
            obj,
            job_name(obj, settings.job_name_prefix),
            {**sharding, "mode": "shard"},
            arrayProperties={"size": shards},
            dependsOn=[{"jobId": planning["jobId"]}],
        )
        submitted.append(array)
    return {"jobs": submitted, "jobIds": [job["jobId"] for job in submitted], "skipped": skipped}


def submit(
    batch: Any,
    settings: Settings,
    obj: ObjectCreated,
    name: str,
    extra_parameters: dict[str, str] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """SubmitJob for the object; a failure is logged and raised (Lambda retries the event)."""
    try:
        response = batch.submit_job(
            jobName=name,
            jobQueue=settings.job_queue,
            jobDefinition=settings.job_definition,
            parameters={**job_parameters(obj), **(extra_parameters or {})},
            **options,
        )
    except Exception:
        fields = {"jobName": name, "bucket": obj.bucket, "key": obj.key}
        logger.exception("submit_failed", extra={"fields": fields})
        raise
    job = {"jobId": response["jobId"], "jobName": name, "bucket": obj.bucket, "key": obj.key}
    if "arrayProperties" in options:
        job["arraySize"] = options["arrayProperties"]["size"]
    logger.info("job_submitted", extra={"fields": job})
    return job


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return submit_jobs(event, Settings.from_environment(), batch_client())
