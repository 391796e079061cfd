"""The whole flow on the local cloud: S3 upload -> Lambda -> Batch job -> container -> DynamoDB.

Real parts only: the engine process, the Docker engine, the processor image built by the
CDK deploy, the stack deployed by cdklocal. Every test uses its own keys (`unique`).
"""

import csv
import json

from harness.client.pipeline import plain
from harness.paths import REPO
from tests.integration.helpers import (
    HEADER,
    csv_bytes,
    items_with_prefix,
    products,
    summary_of,
)


def test_sample_upload_writes_every_row_with_its_attributes(pipeline, unique):
    sample = REPO / "samples" / "Sample.csv"
    upload = pipeline.upload(sample, key=f"uploads/{unique}/Sample.csv")

    (job,) = pipeline.wait_for_jobs(upload)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [0]
    # the function's own JSON lines (a failed invocation also leaves its traceback as text)
    lines = [json.loads(line) for line in pipeline.trigger_log_lines() if line.startswith("{")]
    (submitted,) = [
        entry
        for entry in lines
        if entry.get("event") == "job_submitted" and entry.get("jobId") == job["jobId"]
    ]
    assert submitted["key"] == upload.key
    with sample.open(newline="") as text:
        expected = list(csv.DictReader(text))
    assert len(expected) == 12
    for line, row in enumerate(expected, start=2):
        item = plain(pipeline.item(row["ProductId"]))
        assert {name: item[name] for name in HEADER} == row
        assert item["source_object"] == f"s3://{upload.bucket}/{upload.key}"
        assert item["source_etag"] == upload.etag
        assert item["source_line"] == str(line)


def test_five_files_at_once_make_five_jobs_and_keep_their_rows_apart(pipeline, unique):
    files = {f"uploads/{unique}/part-{n}.csv": products(f"{unique}{n}", 40) for n in range(5)}

    uploads = [pipeline.upload_bytes(key, csv_bytes(rows)) for key, rows in files.items()]
    jobs = [pipeline.wait_for_jobs(upload)[0] for upload in uploads]

    assert [job["status"] for job in jobs] == ["SUCCEEDED"] * 5
    assert len({job["jobId"] for job in jobs}) == 5
    for upload, rows in zip(uploads, files.values(), strict=True):
        items = items_with_prefix(pipeline, rows[0][0][: len(unique) + 1])
        assert sorted(item["ProductId"] for item in items) == [row[0] for row in rows]
        assert {item["source_object"] for item in items} == {f"s3://{upload.bucket}/{upload.key}"}


def test_the_same_object_uploaded_twice_is_processed_twice_into_the_same_items(pipeline, unique):
    rows = products(unique, 30)
    body = csv_bytes(rows)
    first = pipeline.upload_bytes(f"uploads/{unique}/again.csv", body)
    (first_job,) = pipeline.wait_for_jobs(first)
    second = pipeline.upload_bytes(f"uploads/{unique}/again.csv", body)

    (second_job,) = pipeline.wait_for_jobs(second)

    assert first_job["jobId"] != second_job["jobId"]
    assert [first_job["status"], second_job["status"]] == ["SUCCEEDED", "SUCCEEDED"]
    for job in (first_job, second_job):
        summary = summary_of(pipeline, job["jobId"])
        assert (summary["written"], summary["duplicate_keys"]) == (30, 0)
    items = {item["ProductId"]: item for item in items_with_prefix(pipeline, unique)}
    assert sorted(items) == [row[0] for row in rows]
    for line, row in enumerate(rows, start=2):
        assert (items[row[0]]["source_etag"], items[row[0]]["source_line"]) == (
            second.etag,
            str(line),
        )


def test_keys_that_are_not_csv_under_the_prefix_start_no_job(pipeline, unique):
    ignored = [
        pipeline.upload_bytes(f"uploads/{unique}/notes.txt", csv_bytes(products(unique, 2))),
        pipeline.upload_bytes(f"elsewhere/{unique}.csv", csv_bytes(products(unique, 2))),
    ]
    marker = pipeline.upload_bytes(
        f"uploads/{unique}/marker.csv", csv_bytes(products(f"{unique}m", 1))
    )

    # S3 sends its events in upload order and the marker's job has run to its end: an
    # invocation for an ignored key, queued before the marker's, would have ended by now.
    pipeline.wait_for_jobs(marker)

    assert [pipeline.jobs_for(upload) for upload in ignored] == [[], []]
    seen_by_trigger = [
        line
        for line in pipeline.trigger_log_lines()
        if any(upload.key in line for upload in ignored)
    ]
    assert seen_by_trigger == [], "S3's prefix and suffix filter let the trigger see them"
    assert [item["ProductId"] for item in items_with_prefix(pipeline, unique)] == [
        f"{unique}m-000000"
    ]


def test_rejected_rows_fail_the_job_but_keep_valid_rows_and_report_lines(pipeline, unique):
    body = (
        f"ProductId,ProductName,ProductDescription\n"
        f"{unique}-1,Kettle,Steel\n"
        f"{unique}-2,Too,many,columns\n"
        f"{unique}-3,Jug,Glass\n"
        f",No key,Lost\n"
        f"{unique}-5,Tray,Wood\n"
    ).encode()
    upload = pipeline.upload_bytes(f"uploads/{unique}/bad-rows.csv", body)

    (job,) = pipeline.wait_for_jobs(upload)

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Essential container in task exited"
    assert job["container"]["exitCode"] == 1
    assert len(job["attempts"]) == 1, "rejected rows are not retried (evaluateOnExit EXIT)"
    assert sorted(i["ProductId"] for i in items_with_prefix(pipeline, unique)) == [
        f"{unique}-1",
        f"{unique}-3",
        f"{unique}-5",
    ]
    summary = summary_of(pipeline, job["jobId"])
    assert (summary["rows_read"], summary["written"], summary["rejected"]) == (5, 3, 2)
    assert summary["rejected_lines"] == [3, 5]


def test_an_empty_csv_gets_its_job_which_fails_saying_the_object_is_empty(pipeline, unique):
    upload = pipeline.upload_bytes(f"uploads/{unique}/empty.csv", b"")

    (job,) = pipeline.wait_for_jobs(upload)

    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 2
    assert len(job["attempts"]) == 1, "bad input is not retried (evaluateOnExit EXIT)"
    summary = summary_of(pipeline, job["jobId"])
    assert summary["message"] == "the object is empty: expected a header row"
    assert (summary["rows_read"], summary["written"]) == (0, 0)
