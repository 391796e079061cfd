"""Faults on purpose (harness/faults/): the pipeline's retry paths run, and no row is lost or
written twice. Each test injects at the engine's edge and checks the table against the file."""

from harness.client.pipeline import Upload
from harness.waiting import wait_until
from tests.integration.helpers import (
    csv_bytes,
    items_with_prefix,
    products,
    summary_of,
    wait_for_job,
)

ROWS = 300


def upload_and_wait(
    pipeline, unique: str, count: int = ROWS
) -> tuple[dict, list[list[str]], Upload]:
    rows = products(unique, count)
    upload = pipeline.upload_bytes(f"uploads/{unique}/faulty.csv", csv_bytes(rows))
    (job,) = pipeline.wait_for_jobs(upload, timeout=240)
    return job, rows, upload


def assert_every_row_once(pipeline, unique: str, rows: list) -> None:
    items = items_with_prefix(pipeline, unique)
    assert sorted(item["ProductId"] for item in items) == sorted(row[0] for row in rows)
    assert {item["source_object"].rsplit("/", 1)[1] for item in items} == {"faulty.csv"}


def test_a_fifth_of_batch_writes_throttled_loses_no_row(pipeline, faults, unique):
    rule = faults.add(
        service="dynamodb",
        operation="BatchWriteItem",
        probability=0.2,
        error="ProvisionedThroughputExceededException",
    )

    # 2,000 rows are 80+ calls: none of them throttled at 20 % would be a 1-in-10^7 chance
    # (300 rows, about 14 calls, missed every throttle about one run in twenty)
    job, rows, _ = upload_and_wait(pipeline, unique, count=2000)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert_every_row_once(pipeline, unique, rows)
    (listed,) = [r for r in faults.listed() if r["id"] == rule["id"]]
    assert listed["injected"] >= 1, "the fault was injected at least once"


def test_thirty_percent_of_items_unprocessed_on_every_call_loses_no_row(pipeline, faults, unique):
    rule = faults.add(service="dynamodb", operation="BatchWriteItem", unprocessed=0.3)

    job, rows, _ = upload_and_wait(pipeline, unique)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [0], "no job retry needed"
    assert_every_row_once(pipeline, unique, rows)
    (listed,) = [r for r in faults.listed() if r["id"] == rule["id"]]
    assert listed["injected"] >= ROWS // 25, "every BatchWriteItem call held items back"


def test_s3_getobject_503_twice_is_absorbed_by_the_sdks_retries(pipeline, faults, unique):
    # botocore retries SlowDown (503) itself: the job's first attempt succeeds
    faults.add(service="s3", operation="GetObject", error="SlowDown", count=2, match=unique)

    job, rows, _ = upload_and_wait(pipeline, unique)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [0]
    assert_every_row_once(pipeline, unique, rows)
    assert [r["injected"] for r in faults.listed()] == [2]


def test_submitjob_failing_once_is_retried_by_lambdas_async_invocation(pipeline, faults, unique):
    # a ClientException is not retried by the SDK: the invocation fails, and Lambda's
    # asynchronous retry invokes the trigger again
    faults.add(service="batch", operation="SubmitJob", error="ClientException", count=1)

    job, rows, upload = upload_and_wait(pipeline, unique)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert len(pipeline.jobs_for(upload)) == 1, "one job, not two"
    failures = [
        line for line in pipeline.trigger_log_lines() if "submit_failed" in line and unique in line
    ]
    assert len(failures) == 1, "the first invocation failed on the injected fault"
    assert_every_row_once(pipeline, unique, rows)
    assert [r["injected"] for r in faults.listed()] == [1]


def test_a_spot_reclaim_mid_job_is_retried_and_every_row_arrives_once(pipeline, faults, unique):
    faults.add(service="dynamodb", operation="BatchWriteItem", latency_ms=100)  # a longer job
    rows = products(unique, 5000)
    upload = pipeline.upload_bytes(f"uploads/{unique}/faulty.csv", csv_bytes(rows))

    def running() -> dict | None:
        return next((j for j in pipeline.jobs_for(upload) if j["status"] == "RUNNING"), None)

    job = wait_until(running, timeout=60, interval=0.2)
    assert job is not None, "the job never ran"
    reason = faults.reclaim(job["jobId"])
    faults.clear()
    (job,) = pipeline.wait_for_jobs(upload, timeout=240)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert [a.get("statusReason") for a in job["attempts"]][:1] == [reason], job["attempts"]
    assert reason.startswith("Host EC2 (instance i-") and reason.endswith(") terminated.")
    assert len(job["attempts"]) == 2, "retried once, per the definition's onStatusReason rule"
    assert_every_row_once(pipeline, unique, rows)


def test_dynamodb_failing_for_good_fails_the_job_after_every_attempt_keeping_what_was_written(
    pipeline, faults, unique
):
    # The app's definition, with the SDK trying each call twice instead of ten times (the
    # SDKs' own AWS_MAX_ATTEMPTS), so that three failing attempts take seconds, not minutes.
    (app,) = pipeline.batch.describe_job_definitions(
        jobDefinitionName=pipeline.outputs.job_definition, status="ACTIVE"
    )["jobDefinitions"][-1:]
    container = app["containerProperties"]
    environment = [*container.get("environment", []), {"name": "AWS_MAX_ATTEMPTS", "value": "2"}]
    definition = pipeline.batch.register_job_definition(
        jobDefinitionName=f"impatient-{unique}",
        type="container",
        parameters=app["parameters"],
        retryStrategy=app["retryStrategy"],
        containerProperties={**container, "environment": environment},
    )["jobDefinitionArn"]
    rows = products(unique, 5000)
    key = f"uploads/{unique}/doomed.data"  # not .csv: the trigger leaves it to this test
    pipeline.upload_bytes(key, csv_bytes(rows))
    faults.add(service="dynamodb", operation="BatchWriteItem", latency_ms=100)
    job_id = pipeline.batch.submit_job(
        jobName=f"doomed-{unique}",
        jobQueue=pipeline.outputs.job_queue,
        jobDefinition=definition,
        parameters={"bucket": pipeline.outputs.bucket, "key": key},
    )["jobId"]

    def first_row_written() -> dict | None:
        return pipeline.dynamodb.get_item(
            TableName=pipeline.outputs.table, Key={"ProductId": {"S": rows[0][0]}}
        ).get("Item")

    assert wait_until(first_row_written, timeout=60, interval=0.2), "nothing was ever written"
    faults.clear()  # the first rule that matches a call decides: the delay goes
    faults.add(service="dynamodb", operation="BatchWriteItem", error="InternalServerError")
    job = wait_for_job(pipeline.batch, job_id, timeout=180)

    attempts = app["retryStrategy"]["attempts"]
    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [75] * attempts
    summary = summary_of(pipeline, job_id)
    assert "InternalServerError" in summary["message"]
    written = {item["ProductId"]: item for item in items_with_prefix(pipeline, unique)}
    expected = {row[0]: row for row in rows}
    assert 0 < len(written) < len(rows), "some rows were written before DynamoDB failed"
    for product_id, item in written.items():  # intact: each item is its row of the file
        assert [product_id, item["ProductName"], item["ProductDescription"]] == expected[product_id]
        assert item["source_object"].endswith(key)
