"""The `harness` command's --json output, on real data from the session's local cloud: each
command that lists or reports prints the shape its --help documents (and `logs --follow`
of an ended job prints its log and ends)."""

import json
import subprocess
import sys
from dataclasses import fields
from datetime import datetime
from typing import Any

from harness.client.job_records import job_record
from harness.contracts import StackOutputs
from harness.waiting import wait_until
from tests.integration.helpers import a_job_waiting_on_another, csv_bytes, products


def harness(*arguments: str) -> Any:
    """What `harness ARGUMENTS --json` prints, parsed (the session's HARNESS_PORT applies)."""
    done = subprocess.run(
        [sys.executable, "-m", "harness", *arguments, "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_status_jobs_rows_logs_and_faults_print_their_documented_json(pipeline, faults, unique):
    upload = pipeline.upload_bytes(f"uploads/{unique}/json.csv", csv_bytes(products(unique, 3)))
    (job,) = pipeline.wait_for_jobs(upload)
    rule = faults.add(service="s3", operation="GetObject", error="SlowDown", match=f"{unique}/x")

    status = harness("status")
    assert set(status) == {"engine", "endpoint", "engine_running", "stack", "saved_state", "kept"}
    assert status["engine_running"] is True
    assert set(status["stack"]) == {field.name for field in fields(StackOutputs)}

    (listed,) = [record for record in harness("jobs") if record["jobId"] == job["jobId"]]
    assert set(listed) == set(job_record(job, {}))
    assert listed["waitingReason"] is None
    assert (listed["status"], listed["exitCode"]) == ("SUCCEEDED", 0)
    assert datetime.fromisoformat(listed["stoppedAt"]) >= datetime.fromisoformat(
        listed["createdAt"]
    )

    assert harness("rows", "--count")["count"] >= 3
    (item,) = harness("rows", "--limit", "1")
    assert "ProductId" in item

    lines = harness("logs", job["jobId"])
    assert lines and all(isinstance(line, str) for line in lines)
    assert any('"summary"' in line for line in lines), "the processor's last line"
    followed = subprocess.run(
        [sys.executable, "-m", "harness", "logs", job["jobId"], "--follow"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert followed.stdout.splitlines() == lines, "an ended job's log, then the end"

    (listed_rule,) = [r for r in harness("faults", "list") if r["id"] == rule["id"]]
    assert listed_rule["injected"] == 0


def test_jobs_says_why_a_job_not_yet_started_waits(pipeline, unique):
    """A job that depends on a running one: `harness jobs` names the job it waits on."""
    with a_job_waiting_on_another(pipeline, f"sleeper-{unique}") as (first, waiting):

        def reasons() -> dict[str, Any] | None:
            listed = {job["jobId"]: job for job in harness("jobs")}
            running = listed[first]["status"] == "RUNNING"
            return listed if running and listed[waiting]["status"] == "PENDING" else None

        listed = wait_until(reasons, timeout=60, interval=0.5)

    assert listed, "the first job did not reach RUNNING"
    assert listed[waiting]["waitingReason"] == f"waiting on {first} (RUNNING)"
    assert listed[first]["waitingReason"] is None
