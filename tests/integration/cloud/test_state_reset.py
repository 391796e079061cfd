"""`harness state reset` on the session's cloud: the data goes, the deployed stack stays and
the next upload runs at once."""

import subprocess
import sys

from harness.client import aws
from harness.contracts import BATCH_LOG_GROUP
from tests.integration.helpers import csv_bytes, items_with_prefix, products


def test_a_reset_empties_objects_items_jobs_and_logs_and_keeps_the_stack(pipeline, unique):
    before = pipeline.upload_bytes(f"uploads/{unique}/before.csv", csv_bytes(products(unique, 5)))
    (job,) = pipeline.wait_for_jobs(before)
    assert job["status"] == "SUCCEEDED"

    done = subprocess.run(
        [sys.executable, "-m", "harness", "state", "reset"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "the stack stays deployed" in done.stdout
    s3 = aws.client("s3", pipeline.endpoint)
    assert s3.list_object_versions(Bucket=pipeline.outputs.bucket).get("Versions", []) == []
    assert pipeline.count() == 0
    assert pipeline.jobs() == []
    streams = aws.client("logs", pipeline.endpoint).describe_log_streams(
        logGroupName=BATCH_LOG_GROUP
    )["logStreams"]
    assert streams == []

    after = pipeline.upload_bytes(f"uploads/{unique}/after.csv", csv_bytes(products(unique, 3)))
    (job,) = pipeline.wait_for_jobs(after)
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert len(items_with_prefix(pipeline, unique)) == 3
