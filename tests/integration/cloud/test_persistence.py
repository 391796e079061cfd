"""Saved state: after `harness down` and `harness up` the local cloud comes back as it was,
the deploy finds nothing to change, and the flow runs again without a redeploy; `harness state
export`, `reset` and `import` round-trip. On a cloud of its own (its own port and state), so
the session's local cloud is untouched."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.client import aws
from harness.client.pipeline import Pipeline, plain
from harness.cloud import snapshots
from harness.cloud.lifecycle import LocalCloud
from harness.cloud.reset import reset_data
from harness.engine.moto.engine import MotoEngine
from tests.integration.helpers import csv_bytes, free_port, products


def what_the_cloud_holds(pipeline: Pipeline, stack: str, job_ids: list[str]) -> dict[str, Any]:
    outputs = pipeline.outputs
    cloudformation = aws.client("cloudformation", pipeline.endpoint)
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    objects = pipeline.s3.list_objects_v2(Bucket=outputs.bucket).get("Contents", [])
    definitions = pipeline.batch.describe_job_definitions(
        jobDefinitionName=outputs.job_definition, status="ACTIVE"
    )["jobDefinitions"]
    return {
        "objects": sorted((o["Key"], o["ETag"], o["Size"]) for o in objects),
        "items": sorted(sorted(plain(item).items()) for item in pipeline.items()),
        "definitions": sorted(d["jobDefinitionArn"] for d in definitions),
        "jobs": [
            {key: job.get(key) for key in ("jobId", "status", "createdAt", "stoppedAt", "attempts")}
            for job in pipeline.describe(job_ids)
        ],
        "logs": {job_id: list(pipeline.log_lines(job_id)) for job_id in job_ids},
        "stack": {key: described.get(key) for key in ("StackId", "StackStatus", "Outputs")},
        "stack_updated": described.get("LastUpdatedTime"),
    }


@pytest.fixture(scope="module")
def own_cloud(moto_cloud, tmp_path_factory) -> Iterator[Callable[[], LocalCloud]]:
    """A second local cloud with saved state, on a port of its own, and the app deployed."""
    folder = tmp_path_factory.mktemp("own-cloud")
    port = free_port()

    def cloud() -> LocalCloud:
        engine = MotoEngine(folder / "run", port=port, saved_state=folder / "engine.state")
        return LocalCloud(engine=engine, state_dir=folder / "run", app=moto_cloud.app)

    first = cloud()
    first.up(deploy_log=folder / "deploy.log")
    yield cloud
    cloud().down()


def uploaded(cloud: LocalCloud, key: str, rows: list[list[str]]) -> tuple[Pipeline, dict]:
    pipeline = Pipeline(cloud.endpoint, cloud.outputs())
    (job,) = pipeline.wait_for_jobs(pipeline.upload_bytes(key, csv_bytes(rows)))
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    return pipeline, job


def test_down_and_up_bring_the_cloud_back_as_it_was(own_cloud, tmp_path: Path, unique):
    first = own_cloud()
    stack = first.app.stack_name
    pipeline, job = uploaded(first, f"uploads/{unique}.csv", products(unique, 20))
    before = what_the_cloud_holds(pipeline, stack, [job["jobId"]])
    items_before = pipeline.count()
    first.down()
    assert not first.engine.healthy()

    second = own_cloud()
    second.up(deploy_log=tmp_path / "second-deploy.log")
    again = Pipeline(second.endpoint, second.outputs())

    assert "(no changes)" in (tmp_path / "second-deploy.log").read_text()
    assert second.status().saved_state == second.engine.saved_state  # as its health says
    assert what_the_cloud_holds(again, stack, [job["jobId"]]) == before
    assert before["logs"][job["jobId"]]
    uploaded(second, f"uploads/{unique}-2.csv", products(unique + "b", 5))
    assert again.count() == items_before + 5


def test_export_reset_and_import_round_trip(own_cloud, tmp_path: Path, unique):
    cloud = own_cloud()
    stack = cloud.app.stack_name
    pipeline, job = uploaded(cloud, f"uploads/{unique}.csv", products(unique, 10))
    before = what_the_cloud_holds(pipeline, stack, [job["jobId"]])
    exported = tmp_path / "seeded.state"

    header = snapshots.export(cloud, exported)
    reset_data(cloud.endpoint, stack)
    assert pipeline.count() == 0 and pipeline.jobs() == []
    assert snapshots.import_(cloud, exported) == header

    assert (
        what_the_cloud_holds(Pipeline(cloud.endpoint, cloud.outputs()), stack, [job["jobId"]])
        == before
    )
