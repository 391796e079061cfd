"""The processor image run directly with testcontainers, against the engine's S3 and DynamoDB."""

import json

from testcontainers.core.container import DockerContainer

from harness.client import aws
from tests.integration.helpers import csv_bytes, items_with_prefix, products


def test_processor_image_streams_an_object_into_the_table(
    local_cloud, pipeline, unique, processor_image
):
    key = f"direct/{unique}.csv"
    pipeline.upload_bytes(key, csv_bytes(products(unique, 50)))
    container = (
        DockerContainer(processor_image)
        .with_command(["--bucket", pipeline.outputs.bucket, "--key", key])
        .with_kwargs(**local_cloud.network.container_options())
        .with_env("TABLE_NAME", pipeline.outputs.table)
    )
    for name, value in aws.environment(local_cloud.container_endpoint).items():
        container.with_env(name, value)

    with container:
        exit_code = container.get_wrapped_container().wait(timeout=60)["StatusCode"]
        stdout, _ = container.get_logs()

    assert exit_code == 0
    summary = json.loads(stdout.decode().splitlines()[-1])
    assert (summary["rows_read"], summary["written"], summary["rejected"]) == (50, 50, 0)
    assert len(items_with_prefix(pipeline, unique)) == 50
