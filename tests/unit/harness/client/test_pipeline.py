"""The harness's view of a queue's jobs, against a stubbed Batch client (botocore Stubber)."""

import boto3
import pytest
from botocore.stub import Stubber

from harness.batch.states import JobStatus
from harness.client.pipeline import LogGone, Pipeline, is_multi_node, log_stream
from harness.contracts import StackOutputs

OUTPUTS = StackOutputs("bucket", "table", "queue", "definition", "function", "uploads/")


def summary(job_id: str, status: str, created: int) -> dict:
    return {
        "jobId": job_id,
        "jobArn": f"arn:aws:batch:::job/{job_id}",
        "jobName": job_id,
        "status": status,
        "createdAt": created,
    }


def test_a_job_that_moves_on_while_the_states_are_listed_is_listed_once():
    pipeline = Pipeline(None, OUTPUTS)
    pipeline.batch = boto3.client("batch", region_name="us-east-1")
    listed = {
        JobStatus.RUNNABLE: [summary("moving", "RUNNABLE", 1)],
        JobStatus.RUNNING: [summary("moving", "RUNNING", 1)],
        JobStatus.SUCCEEDED: [summary("done", "SUCCEEDED", 2)],
    }

    with Stubber(pipeline.batch) as stubber:
        for status in JobStatus:
            stubber.add_response(
                "list_jobs",
                {"jobSummaryList": listed.get(status, [])},
                {"jobQueue": "queue", "jobStatus": status},
            )
        jobs = pipeline.jobs()

    assert [(job["jobId"], job["status"]) for job in jobs] == [
        ("done", "SUCCEEDED"),
        ("moving", "RUNNING"),
    ]


def list_jobs_in_every_state(stubber: Stubber, jobs: list[dict]) -> None:
    for status in JobStatus:
        in_state = [job for job in jobs if job["status"] == status]
        stubber.add_response(
            "list_jobs", {"jobSummaryList": in_state}, {"jobQueue": "queue", "jobStatus": status}
        )


def test_the_job_of_an_earlier_upload_of_the_same_bytes_in_the_same_second_is_not_this_ones():
    pipeline = Pipeline(None, OUTPUTS)
    pipeline.batch = boto3.client("batch", region_name="us-east-1")
    pipeline.s3 = boto3.client("s3", region_name="us-east-1")
    second = 1_789_983_200_000  # the engine's Date header has whole seconds
    first_job = summary("first", "SUCCEEDED", second + 200)
    second_job = summary("second", "RUNNABLE", second + 700)
    date = {"date": "Mon, 21 Sep 2026 09:33:20 GMT"}
    put = {"ETag": '"abc"', "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": date}}
    parameters = {"bucket": "bucket", "key": "uploads/a.csv", "etag": "abc"}

    with Stubber(pipeline.batch) as batch, Stubber(pipeline.s3) as s3:
        list_jobs_in_every_state(batch, [first_job])
        s3.add_response(
            "put_object", put, {"Bucket": "bucket", "Key": "uploads/a.csv", "Body": b"x"}
        )
        upload = pipeline.upload_bytes("uploads/a.csv", b"x")
        list_jobs_in_every_state(batch, [first_job, second_job])
        described = {
            **second_job,
            "jobQueue": "queue",
            "jobDefinition": "definition",
            "startedAt": 0,
            "parameters": parameters,
        }
        batch.add_response("describe_jobs", {"jobs": [described]}, {"jobs": ["second"]})
        jobs = pipeline.jobs_for(upload)

    assert upload.at_ms == second
    assert [job["jobId"] for job in jobs] == ["second"]


def test_an_array_jobs_log_is_its_childrens_each_line_labelled(monkeypatch):
    pipeline = Pipeline(None, OUTPUTS)
    jobs = {
        "parent": {"jobId": "parent", "arrayProperties": {"size": 2}},
        "parent:0": {"jobId": "parent:0", "arrayProperties": {"index": 0}},
        "parent:1": {"jobId": "parent:1", "arrayProperties": {"index": 1}},
    }
    lines = {"parent:0": ["first"], "parent:1": ["second", "third"]}
    monkeypatch.setattr(pipeline, "describe", lambda ids: [jobs[i] for i in ids])
    monkeypatch.setattr(pipeline, "children", lambda _: [jobs["parent:0"], jobs["parent:1"]])
    monkeypatch.setattr(pipeline, "_stream_lines", lambda job: iter(lines[job["jobId"]]))

    assert list(pipeline.log_lines("parent")) == ["[0] first", "[1] second", "[1] third"]


def test_following_a_log_prints_lines_as_they_come_until_the_job_ends(monkeypatch):
    pipeline = Pipeline(None, OUTPUTS)
    polls = iter(
        [
            ({"status": "RUNNING", "container": {"logStreamName": "s"}}, ["one"]),
            ({"status": "RUNNING", "container": {"logStreamName": "s"}}, []),
            ({"status": "SUCCEEDED", "container": {"logStreamName": "s"}}, ["two", "three"]),
        ]
    )
    pending: list[list[str]] = []

    def described(job_id):
        job, lines = next(polls)
        pending.append(lines)
        return job

    monkeypatch.setattr(pipeline, "described", described)
    monkeypatch.setattr(pipeline, "_events_after", lambda stream, token: (pending.pop(), token))

    assert list(pipeline.follow_log("job", poll_seconds=0)) == ["one", "two", "three"]


def test_a_log_the_engine_no_longer_has_is_said_to_be_gone(monkeypatch):
    pipeline = Pipeline(None, OUTPUTS)
    job = {"jobId": "old", "container": {"logStreamName": "definition/default/abc"}}
    monkeypatch.setattr(pipeline, "described", lambda job_id: job)

    with Stubber(pipeline.logs) as logs:
        logs.add_client_error(
            "get_log_events",
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
        with pytest.raises(LogGone, match=r"job old wrote its log to .* no longer has"):
            list(pipeline.log_lines("old"))


def test_a_jobs_log_stream_is_its_latest_attempts_with_or_without_a_container():
    attempts = [{"container": {"logStreamName": f"d/default/{n}"}} for n in (1, 2)]
    ecs = {"container": {"logStreamName": "d/default/2"}, "attempts": attempts}
    eks = {"attempts": [{"container": {"logStreamName": "pod/default/1"}}]}  # no `container`
    assert [log_stream(job) for job in (ecs, eks, {"attempts": []})] == [
        "d/default/2",
        "pod/default/1",
        None,
    ]


def test_a_multi_node_job_is_told_from_its_nodes():
    assert is_multi_node({"nodeProperties": {"numNodes": 3}})
    assert not is_multi_node(
        {"nodeProperties": {"numNodes": 3, "nodeIndex": 0, "isMainNode": True}}
    )
    assert not is_multi_node({"arrayProperties": {"size": 2}})
