"""The edge under load (either engine): hundreds of clients are answered while a job writes
100,000 rows. A module of its own, so that CI runs it beside the other lanes' tests."""

import time

import pytest

from harness.client import aws
from harness.waiting import wait_until
from tests.integration.engine.raw_http import Edge, read_response
from tests.integration.helpers import csv_bytes, products, summary_of, wait_for_job


@pytest.fixture
def edge(local_cloud) -> Edge:
    return Edge(local_cloud.endpoint)


@pytest.fixture
def own_table(pipeline, unique):
    """A table shaped like the stack's, for a job whose 100,000 rows would otherwise make every
    later test's scan of the stack's table slow; deleted after the test."""
    dynamodb = pipeline.dynamodb
    shape = dynamodb.describe_table(TableName=pipeline.outputs.table)["Table"]
    name = f"edge-{unique}"
    indexes = [
        {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
        for index in shape.get("GlobalSecondaryIndexes", [])
    ]
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=shape["KeySchema"],
        AttributeDefinitions=shape["AttributeDefinitions"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
    yield name
    dynamodb.delete_table(TableName=name)


# slow: the load is a job writing 100,000 rows (about a minute here).
@pytest.mark.slow
def test_hundreds_of_connections_are_answered_while_a_100000_row_job_writes(
    edge, pipeline, unique, own_table
):
    """The 100,000-row file arrives whole, and 300 clients that connect while its job writes
    are each answered within a second. The job is submitted as the trigger submits it, with
    the table overridden (containerOverrides)."""
    key = f"large/{unique}.csv"
    pipeline.upload_bytes(key, csv_bytes(products(unique, 100_000)))
    batch = aws.client("batch", pipeline.endpoint)
    job_id = batch.submit_job(
        jobName=f"edge-{unique}",
        jobQueue=pipeline.outputs.job_queue,
        jobDefinition=pipeline.outputs.job_definition,
        parameters={"bucket": pipeline.outputs.bucket, "key": key},
        containerOverrides={"environment": [{"name": "TABLE_NAME", "value": own_table}]},
    )["jobId"]
    running = wait_until(
        lambda: batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "RUNNING" or None,
        timeout=120,
        interval=0.2,
    )
    assert running, "the job did not start"
    connections = [edge.connect() for _ in range(300)]
    request = f"GET /_harness/health HTTP/1.1\r\nHost: {edge.host}\r\n\r\n".encode()
    seconds = []
    try:
        sent_at = {}
        for connection in connections:
            sent_at[connection] = time.monotonic()
            connection.sendall(request)
        for connection in connections:
            answer = read_response(connection)
            seconds.append(time.monotonic() - sent_at[connection])
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    finally:
        for connection in connections:
            connection.close()
    job = wait_for_job(batch, job_id, timeout=900)
    pages = pipeline.dynamodb.get_paginator("scan").paginate(TableName=own_table, Select="COUNT")

    assert max(seconds) < 1.0, f"slowest answer {max(seconds):.2f} s"
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert summary_of(pipeline, job_id)["written"] == 100_000
    assert sum(page["Count"] for page in pages) == 100_000
