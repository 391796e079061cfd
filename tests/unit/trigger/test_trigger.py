"""The trigger Lambda against a stubbed Batch client (botocore Stubber)."""

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from processor.logs import log
from trigger.events import ObjectCreated
from trigger.handler import Settings, handler, submit_jobs
from trigger.jobs import job_name, shard_count
from trigger.logs import get_logger

SETTINGS = Settings(job_queue="queue", job_definition="definition", key_prefix="uploads/")
VALID_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def record(key: str, etag: str = "e1", event_name: str = "ObjectCreated:Put", **extra: Any):
    obj = {"key": key, "size": 10, "eTag": etag, "sequencer": "0A", **extra}
    return {
        "eventSource": "aws:s3",
        "eventName": event_name,
        "s3": {"bucket": {"name": "bucket"}, "object": obj},
    }


def obj(key: str, etag: str | None = "e1", version_id: str | None = None) -> ObjectCreated:
    return ObjectCreated("ObjectCreated:Put", "bucket", key, 1, etag, version_id, None)


@pytest.fixture
def batch() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("batch", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_submit(stubber: Stubber, key: str, job_id: str, **parameters: str) -> None:
    stubber.add_response(
        "submit_job",
        {"jobId": job_id, "jobName": "ignored", "jobArn": f"arn:aws:batch:::job/{job_id}"},
        {
            "jobName": job_name(obj(key, parameters.get("etag"), parameters.get("versionId"))),
            "jobQueue": "queue",
            "jobDefinition": "definition",
            "parameters": {"bucket": "bucket", "key": key, **parameters},
        },
    )


def test_every_record_gets_its_own_job_with_a_distinct_name(batch):
    client, stubber = batch
    keys = ["uploads/a.csv", "uploads/b.csv", "uploads/c.csv"]
    for n, key in enumerate(keys):
        expect_submit(stubber, key, f"job-{n}", etag="e1")

    result = submit_jobs({"Records": [record(key) for key in keys]}, SETTINGS, client)

    assert result["jobIds"] == ["job-0", "job-1", "job-2"]
    assert len({job["jobName"] for job in result["jobs"]}) == 3


def test_keys_are_url_decoded_and_version_ids_passed_on(batch):
    client, stubber = batch
    expect_submit(stubber, "uploads/Q1 sales (final).csv", "j", versionId="v7", etag="e1")
    event = {"Records": [record("uploads/Q1+sales+%28final%29.csv", versionId="v7")]}

    result = submit_jobs(event, SETTINGS, client)

    assert result["jobs"][0]["key"] == "uploads/Q1 sales (final).csv"


@pytest.mark.parametrize(
    "event_name",
    ["ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload", "ObjectCreated:Copy"],
)
def test_all_create_events_submit(batch, event_name):
    client, stubber = batch
    expect_submit(stubber, "uploads/a.csv", "j", etag="e1")

    result = submit_jobs(
        {"Records": [record("uploads/a.csv", event_name=event_name)]}, SETTINGS, client
    )

    assert result["jobIds"] == ["j"]


def test_keys_outside_prefix_or_suffix_and_other_events_submit_nothing(batch):
    client, _ = batch  # no responses queued: any submit_job call would fail the test
    event = {
        "Records": [
            record("uploads/notes.txt"),
            record("elsewhere/a.csv"),
            record("uploads/A.CSV"),
            record("uploads/a.csv", event_name="ObjectRemoved:Delete"),
        ]
    }

    result = submit_jobs(event, SETTINGS, client)

    assert result["jobIds"] == []
    assert result["skipped"] == ["uploads/notes.txt", "elsewhere/a.csv", "uploads/A.CSV"]


def test_s3_test_event_submits_nothing(batch):
    client, _ = batch
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "bucket"}

    assert submit_jobs(test_event, SETTINGS, client)["jobIds"] == []


def test_a_failed_submit_fails_the_invocation(batch, capsys):
    client, stubber = batch
    expect_submit(stubber, "uploads/a.csv", "j1", etag="e1")
    stubber.add_client_error("submit_job", "ClientException", "queue is disabled")
    event = {"Records": [record("uploads/a.csv"), record("uploads/b.csv")]}

    with pytest.raises(ClientError, match="queue is disabled"):
        submit_jobs(event, SETTINGS, client)

    failure = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert failure["event"] == "submit_failed"
    assert failure["key"] == "uploads/b.csv"


def test_handler_requires_queue_and_definition(monkeypatch):
    monkeypatch.delenv("JOB_QUEUE", raising=False)
    monkeypatch.setenv("JOB_DEFINITION", "definition")

    with pytest.raises(RuntimeError, match="missing environment variables: JOB_QUEUE"):
        handler({"Records": []}, None)


def test_job_names_are_valid_for_any_key():
    keys = ["uploads/" + "ü/ä?*" * 60 + ".csv", "uploads/.csv", "uploads/__.csv", "x" * 300]

    names = [job_name(obj(key)) for key in keys]

    assert all(VALID_JOB_NAME.match(name) for name in names), names


def test_job_names_are_deterministic_per_upload():
    assert job_name(obj("uploads/a.csv")) == job_name(obj("uploads/a.csv"))
    assert job_name(obj("uploads/a.csv", etag="e1")) != job_name(obj("uploads/a.csv", etag="e2"))
    assert job_name(obj("uploads/a.csv")).startswith("csv-a-")


def test_an_object_over_shard_bytes_gets_a_planning_job_then_an_array_depending_on_it(batch):
    client, stubber = batch
    settings = Settings(
        job_queue="queue",
        job_definition="definition",
        key_prefix="uploads/",
        shard_bytes=1000,
        max_shards=3,
    )
    big = record("uploads/big.csv", size=2500)
    parameters = {"bucket": "bucket", "key": "uploads/big.csv", "etag": "e1", "shards": "3"}
    created = obj("uploads/big.csv")
    stubber.add_response(
        "submit_job",
        {"jobId": "plan-1", "jobName": "p", "jobArn": "arn:aws:batch:::job/p"},
        {
            "jobName": job_name(created, "csv-plan"),
            "jobQueue": "queue",
            "jobDefinition": "definition",
            "parameters": {**parameters, "mode": "plan"},
        },
    )
    stubber.add_response(
        "submit_job",
        {"jobId": "array-1", "jobName": "a", "jobArn": "arn:aws:batch:::job/a"},
        {
            "jobName": job_name(created),
            "jobQueue": "queue",
            "jobDefinition": "definition",
            "parameters": {**parameters, "mode": "shard"},
            "arrayProperties": {"size": 3},
            "dependsOn": [{"jobId": "plan-1"}],
        },
    )

    result = submit_jobs({"Records": [big]}, settings, client)

    assert result["jobIds"] == ["plan-1", "array-1"]
    assert result["jobs"][1]["arraySize"] == 3


@pytest.mark.parametrize(
    ("size", "shard_bytes", "expected"),
    [
        (10, 1000, 1),
        (1000, 1000, 1),
        (1001, 1000, 2),
        (2500, 1000, 3),
        (10**9, 1000, 100),
        (10**9, 0, 1),
    ],
)
def test_the_number_of_shards_follows_the_size(size, shard_bytes, expected):
    assert shard_count(size, shard_bytes, max_shards=100) == expected


def test_the_trigger_and_the_processor_log_lines_of_one_shape(capsys):
    get_logger("trigger.test").info("job_submitted", extra={"fields": {"jobId": "j1"}})
    log("summary", level="ERROR", exit_code=75)

    trigger, processor = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert list(trigger)[:3] == list(processor)[:3] == ["ts", "level", "event"]
    assert (trigger["level"], trigger["event"], trigger["jobId"]) == ("INFO", "job_submitted", "j1")
    assert (processor["level"], processor["event"], processor["exit_code"]) == (
        "ERROR",
        "summary",
        75,
    )
