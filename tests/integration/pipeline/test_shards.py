"""A big object through the deployed pipeline: the trigger sees its size, a planning job
writes the manifest of its ranges, an array job's children write one range each, and every
row of the file arrives exactly once. The deployed threshold is 256 MiB; the test lowers the
trigger's SHARD_BYTES for the duration, as a redeploy with another `shardMib` would."""

from collections.abc import Iterator
from contextlib import contextmanager

from harness.client import aws
from tests.integration.helpers import csv_bytes, items_with_prefix, products, summary_of


@contextmanager
def trigger_environment(pipeline, **variables: str) -> Iterator[None]:
    functions = aws.client("lambda", pipeline.endpoint)
    name = pipeline.outputs.function
    before = functions.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    functions.update_function_configuration(
        FunctionName=name, Environment={"Variables": {**before, **variables}}
    )
    try:
        yield
    finally:
        functions.update_function_configuration(
            FunctionName=name, Environment={"Variables": before}
        )


def test_a_big_file_is_planned_then_written_by_an_array_job_every_row_once(pipeline, unique):
    rows = products(unique, 2000)
    body = csv_bytes(rows)
    assert len(body) > 3 * 20_000, "big enough for four shards of 20,000 bytes"

    with trigger_environment(pipeline, SHARD_BYTES="20000", MAX_SHARDS="4"):
        upload = pipeline.upload_bytes(f"uploads/{unique}/big.csv", body)
        jobs = pipeline.wait_for_jobs(upload, count=2, timeout=240)

    (planning,) = [job for job in jobs if "arrayProperties" not in job]
    (array,) = [job for job in jobs if "arrayProperties" in job]
    assert (planning["status"], array["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert array["arrayProperties"]["size"] == 4
    assert array["dependsOn"] == [{"jobId": planning["jobId"]}]
    children = pipeline.children(array["jobId"])
    assert [child["status"] for child in children] == ["SUCCEEDED"] * 4
    assert min(child["startedAt"] for child in children) >= planning["stoppedAt"]
    written = [summary_of(pipeline, child["jobId"])["written"] for child in children]
    assert sum(written) == len(rows) and all(written), f"each child wrote its range: {written}"
    items = items_with_prefix(pipeline, unique)
    assert len(items) == len(rows)
    assert sorted(item["ProductId"] for item in items) == [row[0] for row in rows]
