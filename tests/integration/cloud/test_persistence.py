"""Saved state: after `harness down` and `harness up` the local cloud comes back as it was,
the deploy finds nothing to change, and the flow runs again without a redeploy; `harness state
export`, `reset` and `import` round-trip. On a cloud of its own (its own port and state), so
the session's local cloud is untouched."""

import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from harness.client import aws
from harness.client.pipeline import Pipeline, plain
from harness.cloud import snapshots
from harness.cloud.lifecycle import LocalCloud
from harness.cloud.reset import reset_data
from harness.control.client import Faults
from harness.engine.moto.engine import MotoEngine
from harness.waiting import wait_until
from tests.integration.helpers import csv_bytes, free_port, items_with_prefix, products


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


# A cloud of its own (its own port and folders): under `make test` it runs beside the session's.
pytestmark = pytest.mark.xdist_group("own-cloud")

ENGINE_STATE_ONLY = (
    "needs the embedded engine, which keeps its whole state (PIPELINE_TARGET=moto); "
    "LocalStack's free runtime keeps nothing across a restart, and test_kept_on_localstack.py "
    "checks what the harness keeps there"
)


@pytest.fixture(scope="module")
def own_cloud(target, harness_app, tmp_path_factory) -> Iterator[Callable[[], LocalCloud]]:
    """A local cloud with saved state, on a port of its own, and the app deployed."""
    if target != "moto":
        pytest.skip(ENGINE_STATE_ONLY)
    folder = tmp_path_factory.mktemp("own-cloud")
    port = free_port()

    def cloud() -> LocalCloud:
        engine = MotoEngine(folder / "run", port=port, kept=folder / "kept")
        return LocalCloud(engine=engine, state_dir=folder / "run", app=harness_app)

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
    rule = Faults(first.endpoint).add(service="sqs", error="ServiceUnavailable", count=3)
    first.down()
    assert not first.engine.healthy()

    second = own_cloud()
    second.up(deploy_log=tmp_path / "second-deploy.log")
    again = Pipeline(second.endpoint, second.outputs())

    assert "(no changes)" in (tmp_path / "second-deploy.log").read_text()
    assert second.status().saved_state == second.engine.saved_state  # as its health says
    assert what_the_cloud_holds(again, stack, [job["jobId"]]) == before
    assert before["logs"][job["jobId"]]
    assert Faults(second.endpoint).listed() == [rule]
    Faults(second.endpoint).clear()
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


def test_a_killed_engine_loses_no_acknowledged_write_and_its_jobs_end_truthfully(
    own_cloud, tmp_path: Path, unique
):
    """kill -9 during ten simultaneous uploads (and a stream of DynamoDB writes); then `up`:
    every write the engine acknowledged is there, counted from the clients' side, each
    upload's rows are in the table exactly once and every job ended SUCCEEDED or saying why."""
    first = own_cloud()
    pipeline = Pipeline(first.endpoint, first.outputs())
    rows = {f"uploads/{unique}-{n}.csv": products(f"{unique}-{n}", 300) for n in range(10)}
    acknowledged_items: list[str] = []
    writing = threading.Event()
    writing.set()

    def write_items() -> None:
        dynamodb = aws.client("dynamodb", first.endpoint)
        n = 0
        while writing.is_set():
            key = f"{unique}-direct-{n:06}"
            try:
                dynamodb.put_item(TableName=pipeline.outputs.table, Item={"ProductId": {"S": key}})
            except (BotoCoreError, ClientError):
                return  # the engine is gone: this one was not acknowledged
            acknowledged_items.append(key)
            n += 1

    writer = threading.Thread(target=write_items)
    writer.start()
    with ThreadPoolExecutor(10) as uploads:
        acknowledged = list(
            uploads.map(lambda key: pipeline.upload_bytes(key, csv_bytes(rows[key])), rows)
        )
    # some jobs submitted, some running, some events not yet delivered
    wait_until(lambda: len(pipeline.jobs_for(acknowledged[0])) or None, timeout=30, interval=0.2)
    running = [job["jobId"] for job in pipeline.jobs() if job["status"] == "RUNNING"]
    killed(first)
    writer.join(timeout=30)
    writing.clear()

    again = restarted(own_cloud(), tmp_path)

    for upload in acknowledged:
        jobs = again.wait_for_jobs(upload, timeout=300)
        for job in jobs:
            assert job["status"] == "SUCCEEDED" or job["statusReason"], job
        assert any(job["status"] == "SUCCEEDED" for job in jobs), how_they_ended(jobs)
        prefix = upload.key.removeprefix("uploads/").removesuffix(".csv") + "-"
        keys = [item["ProductId"] for item in items_with_prefix(again, prefix)]
        assert sorted(keys) == [row[0] for row in rows[upload.key]]  # each once
    stored = {item["ProductId"] for item in items_with_prefix(again, f"{unique}-direct-")}
    assert acknowledged_items and set(acknowledged_items) <= stored
    followed_to_their_end(again, running)


@pytest.mark.slow  # a 100,000-row job, which the engine's crash interrupts
def test_a_100000_row_job_survives_a_killed_engine_with_every_row_once(
    own_cloud, tmp_path: Path, unique
):
    first = own_cloud()
    pipeline = Pipeline(first.endpoint, first.outputs())
    table = pipeline.outputs.table

    def items() -> int:
        return int(pipeline.dynamodb.describe_table(TableName=table)["Table"]["ItemCount"])

    before = items()
    upload = pipeline.upload_bytes(f"uploads/{unique}.csv", csv_bytes(products(unique, 100_000)))
    jobs = wait_until(lambda: pipeline.jobs_for(upload) or None, timeout=120, interval=0.2)
    assert jobs, "no job for the upload"
    writing = wait_until(lambda: items() >= before + 10_000 or None, timeout=120, interval=0.2)
    assert writing, "the job wrote no rows"
    killed(first)  # with 10,000 of its rows written and 90,000 to go

    again = restarted(own_cloud(), tmp_path)
    jobs = again.wait_for_jobs(upload, timeout=600)

    # its S3 event may be delivered again (its function had not ended): at least once, as AWS
    assert any(job["status"] == "SUCCEEDED" for job in jobs), how_they_ended(jobs)
    followed_to_their_end(again, [jobs[0]["jobId"]])
    assert len(items_with_prefix(again, f"{unique}-")) == 100_000


def killed(cloud: LocalCloud) -> None:
    os.kill(int(cloud.engine.pid_file.read_text()), signal.SIGKILL)
    assert wait_until(lambda: not cloud.engine.healthy() or None, timeout=10, interval=0.2)


def restarted(cloud: LocalCloud, tmp_path: Path) -> Pipeline:
    cloud.up(deploy_log=tmp_path / "deploy.log")
    return Pipeline(cloud.endpoint, cloud.outputs())


def how_they_ended(jobs: list[dict]) -> list[tuple]:
    """What a failure message needs of each job: its status, reason and attempts' ends."""
    return [
        (
            job["jobId"],
            job["status"],
            job.get("statusReason"),
            [(a.get("statusReason"), a["container"].get("exitCode")) for a in job["attempts"]],
        )
        for job in jobs
    ]


def followed_to_their_end(pipeline: Pipeline, job_ids: list[str]) -> None:
    """Jobs RUNNING when the engine was killed: the attempt that ran then ended with its
    container's real exit code (the new engine followed the container the old one left)."""
    for job in pipeline.describe(job_ids):
        assert job["attempts"][0]["container"].get("exitCode") is not None, job
