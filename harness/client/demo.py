"""`make demo`: upload a CSV, follow its job, check its rows, and time the way to the last row.

The time is the job's own: from the upload to the job's end (its container exits after its
last row is written), from the engine's job record; the count that checks the rows
afterwards is timed apart, because it measures the check, not the pipeline."""

import csv
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.client.pipeline import JobWaitTimeout, Pipeline, Upload


def data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as text:
        return sum(1 for row in csv.reader(text) if row) - 1


def rows_from(pipeline: Pipeline, upload: Upload) -> int:
    pages = pipeline.dynamodb.get_paginator("scan").paginate(
        TableName=pipeline.outputs.table,
        Select="COUNT",
        FilterExpression="source_object = :uri AND source_etag = :etag",
        ExpressionAttributeValues={
            ":uri": {"S": f"s3://{upload.bucket}/{upload.key}"},
            ":etag": {"S": upload.etag},
        },
    )
    return sum(page["Count"] for page in pages)


def print_state(job: dict[str, Any]) -> None:
    stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    reason = f" ({job['statusReason']})" if job.get("statusReason") else ""
    print(f"{stamp}  job {job['jobName']}  {job['status']}{reason}", flush=True)


def run_demo(pipeline: Pipeline, path: Path, timeout: float = 180) -> int:
    expected = data_rows(path)
    uploaded_at = time.time()
    upload = pipeline.upload(path)
    print(f"uploaded {path} to s3://{upload.bucket}/{upload.key} ({expected} rows)", flush=True)
    try:
        (job,) = pipeline.wait_for_jobs(upload, timeout=timeout, on_change=print_state)
    except JobWaitTimeout as error:
        print(f"{error}\nthe trigger's log: .venv/bin/harness logs --trigger")
        return 1
    counting = time.monotonic()
    written = rows_from(pipeline, upload)
    counted_in = time.monotonic() - counting
    print(f"{written} of {expected} rows from {upload.key} are in table {pipeline.outputs.table}")
    if job["status"] != "SUCCEEDED" or written != expected:
        print(f"the job ended {job['status']}: see `.venv/bin/harness logs {job['jobId']}`")
        return 1
    to_end = job["stoppedAt"] / 1000 - uploaded_at
    ran = (job["stoppedAt"] - job["startedAt"]) / 1000
    print(
        f"seconds from upload to the last row written: {to_end:.1f} (the job's end; its "
        f"container ran {ran:.1f}); counting the rows afterwards took {counted_in:.1f}"
    )
    return 0
