"""The harness's view of a queue's jobs, against a stubbed Batch client (botocore Stubber)."""

import boto3
from botocore.stub import Stubber

from harness.batch.states import JobStatus
from harness.deploy import StackOutputs
from harness.pipeline import Pipeline

OUTPUTS = StackOutputs("bucket", "table", "queue", "definition", "function", "uploads/")


def summary(job_id: str, status: str, created: int) -> dict:
    return {"jobId": job_id, "jobArn": f"arn:aws:batch:::job/{job_id}", "jobName": job_id,
            "status": status, "createdAt": created}  # fmt: skip


def test_a_job_that_moves_on_while_the_states_are_listed_is_listed_once():
    pipeline = Pipeline(None, OUTPUTS)
    pipeline.batch = boto3.client("batch", region_name="us-east-1")
    listed = {JobStatus.RUNNABLE: [summary("moving", "RUNNABLE", 1)],
              JobStatus.RUNNING: [summary("moving", "RUNNING", 1)],
              JobStatus.SUCCEEDED: [summary("done", "SUCCEEDED", 2)]}  # fmt: skip

    with Stubber(pipeline.batch) as stubber:
        for status in JobStatus:
            stubber.add_response("list_jobs", {"jobSummaryList": listed.get(status, [])},
                                 {"jobQueue": "queue", "jobStatus": status})  # fmt: skip
        jobs = pipeline.jobs()

    assert [(job["jobId"], job["status"]) for job in jobs] == [
        ("done", "SUCCEEDED"),
        ("moving", "RUNNING"),
    ]
