"""`harness down` then `harness up` with saved state: the local cloud comes back as it was, the
deploy finds nothing to change, and the flow runs again without a redeploy. On an engine of
its own (its own port and state), so the session's local cloud is untouched."""

from pathlib import Path
from typing import Any

from harness.client import aws
from harness.client.pipeline import Pipeline, plain
from harness.cloud.lifecycle import LocalCloud
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


def test_down_and_up_bring_the_cloud_back_as_it_was(moto_cloud, tmp_path: Path, unique):
    port = free_port()
    stack = moto_cloud.app.stack_name

    def cloud() -> LocalCloud:
        engine = MotoEngine(tmp_path / "run", port=port, saved_state=tmp_path / "engine.state")
        return LocalCloud(engine=engine, state_dir=tmp_path / "run", app=moto_cloud.app)

    first = cloud()
    pipeline = Pipeline(first.endpoint, first.up(deploy_log=tmp_path / "first-deploy.log"))
    try:
        upload = pipeline.upload_bytes(f"uploads/{unique}.csv", csv_bytes(products(unique, 20)))
        (job,) = pipeline.wait_for_jobs(upload)
        assert job["status"] == "SUCCEEDED", job.get("statusReason")
        before = what_the_cloud_holds(pipeline, stack, [job["jobId"]])
    finally:
        first.down()
    assert not first.engine.healthy()

    second = cloud()
    try:
        outputs = second.up(deploy_log=tmp_path / "second-deploy.log")
        again = Pipeline(second.endpoint, outputs)

        assert "(no changes)" in (tmp_path / "second-deploy.log").read_text()
        assert what_the_cloud_holds(again, stack, [job["jobId"]]) == before
        assert len(before["items"]) == 20 and before["logs"][job["jobId"]]
        upload = again.upload_bytes(f"uploads/{unique}-2.csv", csv_bytes(products(unique + "b", 5)))
        (later,) = again.wait_for_jobs(upload)
        assert later["status"] == "SUCCEEDED", later.get("statusReason")
        assert again.count() == 25
    finally:
        second.down()
