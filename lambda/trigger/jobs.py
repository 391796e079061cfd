"""What the function submits for an object: a job name and the job's parameters."""

import hashlib
import math
import re

from trigger.events import ObjectCreated

MAX_JOB_NAME = 128
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]+")


def job_name(obj: ObjectCreated, prefix: str = "csv") -> str:
    """A valid Batch job name that is the same every time the same upload is seen.

    Readable part: the object's file name with disallowed characters replaced; unique
    part: a hash of bucket, key, version and ETag, so two uploads never share a name.
    """
    identity = "\n".join([obj.bucket, obj.key, obj.version_id or "", obj.etag or ""])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    stem = obj.key.rsplit("/", 1)[-1].removesuffix(".csv")
    readable = _NOT_ALLOWED.sub("-", stem).strip("-_")
    room = MAX_JOB_NAME - len(prefix) - len(digest) - 2
    parts = [prefix, readable[:room].strip("-_"), digest]
    return "-".join(part for part in parts if part)


def job_parameters(obj: ObjectCreated) -> dict[str, str]:
    """Parameters substituted into the job definition's Ref:: placeholders.

    versionId and etag are only sent when the event has them; the job definition gives
    both a default of "-" (absent).
    """
    parameters = {"bucket": obj.bucket, "key": obj.key}
    if obj.version_id:
        parameters["versionId"] = obj.version_id
    if obj.etag:
        parameters["etag"] = obj.etag
    return parameters


def matches(key: str, prefix: str, suffix: str) -> bool:
    """The same test as the bucket's notification filter (case-sensitive)."""
    return key.startswith(prefix) and key.endswith(suffix)


def shard_count(size: int, shard_bytes: int, max_shards: int) -> int:
    """How many array children process an object of `size` bytes: 1 (one plain job) up to
    `shard_bytes`, or when sharding is off (0); else one per `shard_bytes`, at most
    `max_shards`."""
    if shard_bytes <= 0 or size <= shard_bytes:
        return 1
    return max(2, min(math.ceil(size / shard_bytes), max_shards))
