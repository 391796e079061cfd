"""What several integration test modules share: CSV bodies, the items and summaries of a run."""

import csv
import io
import json
import socket
import time
from typing import Any

from harness.pipeline import Pipeline, plain

HEADER = ["ProductId", "ProductName", "ProductDescription"]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def products(prefix: str, count: int) -> list[list[str]]:
    return [
        [f"{prefix}-{n:06}", f"Product {n}", f"Made for {prefix}, item {n}"] for n in range(count)
    ]


def items_with_prefix(pipeline: Pipeline, prefix: str) -> list[dict[str, str]]:
    pages = pipeline.dynamodb.get_paginator("scan").paginate(
        TableName=pipeline.outputs.table,
        FilterExpression="begins_with(ProductId, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": prefix}},
    )
    return [plain(item) for page in pages for item in page["Items"]]


def summary_of(pipeline: Pipeline, job_id: str) -> dict:
    lines = [json.loads(line) for line in pipeline.log_lines(job_id)]
    assert lines[-1]["event"] == "summary"
    return lines[-1]


def wait_for_job(batch: Any, job_id: str, timeout: float = 60) -> dict:
    """The job's description once it is SUCCEEDED or FAILED."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (job,) = batch.describe_jobs(jobs=[job_id])["jobs"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")


def free_port() -> int:
    """A port nothing listens on right now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
