"""The inner loop: edit the app, deploy again on the running cloud, upload again.

Every test edits one copy of the app (never the repository's files), deployed as a stack of
its own under a prefix of its own, so the other tests keep theirs. The edits accumulate in
the order the tests run; each test asserts only its own change, and after each one that the
rows and objects written before it are still there.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import project
from harness.client import aws
from harness.client.pipeline import Pipeline, Upload
from harness.cloud.lifecycle import STATE_DIR, LocalCloud
from harness.deploy import fast_path
from harness.deploy.cdk import DeployError
from harness.project import CdkApp
from tests.integration.helpers import (
    copy_app,
    csv_bytes,
    items_with_prefix,
    products,
    summary_of,
)

# slow: every test deploys a copy of the CDK app (a synth and a change set, 15 to 25 s each).
pytestmark = pytest.mark.slow


@dataclass
class EditableApp:
    cloud: LocalCloud
    app: CdkApp

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.app.directory / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}: update this test"
        path.write_text(text.replace(old, new, 1))

    def deploy(self) -> Pipeline:
        log = STATE_DIR / f"deploy-{self.app.stack_name}.log"
        return Pipeline(self.cloud.endpoint, self.cloud.deploy(self.app, log=log))

    def upload_and_wait(self, pipeline: Pipeline, name: str, rows: list[list[str]]) -> dict:
        upload = pipeline.upload_bytes(f"uploads/{name}.csv", csv_bytes(rows))
        (job,) = pipeline.wait_for_jobs(upload)
        assert job["status"] == "SUCCEEDED", job.get("statusReason")
        return job


@pytest.fixture(scope="module")
def editable(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    directory: Path = tmp_path_factory.mktemp("app")
    copy_app(directory)
    app = EditableApp(
        local_cloud, project.load(directory, {"PIPELINE_PREFIX": f"it{uuid.uuid4().hex[:8]}"})
    )
    yield app
    aws.client("cloudformation", local_cloud.endpoint).delete_stack(StackName=app.app.stack_name)


@pytest.fixture(scope="module")
def before(editable: EditableApp) -> dict:
    """A first deploy of the copy and an upload through it: what every edit must keep."""
    pipeline = editable.deploy()
    token = uuid.uuid4().hex[:8]
    rows = products(f"before{token}", 20)
    upload = pipeline.upload_bytes(f"uploads/before-{token}.csv", csv_bytes(rows))
    (job,) = pipeline.wait_for_jobs(upload)
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    return {"upload": upload, "rows": rows, "job": job}


def assert_still_there(pipeline: Pipeline, before: dict) -> None:
    upload: Upload = before["upload"]
    stored = pipeline.s3.head_object(Bucket=upload.bucket, Key=upload.key)
    assert stored["ETag"].strip('"') == upload.etag
    prefix = before["rows"][0][0][:-7]
    assert sorted(i["ProductId"] for i in items_with_prefix(pipeline, prefix)) == [
        row[0] for row in before["rows"]
    ]
    assert pipeline.describe([before["job"]["jobId"]])[0]["status"] == "SUCCEEDED"


def active_revision(pipeline: Pipeline) -> dict:
    definitions = pipeline.batch.describe_job_definitions(
        jobDefinitionName=pipeline.outputs.job_definition,
        status="ACTIVE",
    )["jobDefinitions"]
    (active,) = definitions
    return active


def test_a_processor_change_runs_in_the_next_job(editable, before, unique):
    editable.edit(
        "batch/processor/cli.py",
        '"summary",\n',
        f'"summary",\n        edited="{unique}",\n',
    )

    pipeline = editable.deploy()
    job = editable.upload_and_wait(pipeline, f"after-{unique}", products(unique, 5))

    assert summary_of(pipeline, job["jobId"])["edited"] == unique
    assert "edited" not in summary_of(pipeline, before["job"]["jobId"])
    assert job["jobDefinition"] == active_revision(pipeline)["jobDefinitionArn"]
    assert job["jobDefinition"] != before["job"]["jobDefinition"]
    assert_still_there(pipeline, before)


def test_a_trigger_change_shows_in_its_next_log_line(editable, before, unique):
    editable.edit(
        "lambda/trigger/handler.py",
        'logger.info("job_submitted", extra={"fields": job})',
        f'logger.info("job_submitted", extra={{"fields": {{**job, "edited": "{unique}"}}}})',
    )

    pipeline = editable.deploy()
    job = editable.upload_and_wait(pipeline, f"trigger-{unique}", products(unique, 3))

    lines = [json.loads(line) for line in pipeline.trigger_log_lines() if line.startswith("{")]
    (submitted,) = [line for line in lines if line.get("jobId") == job["jobId"]]
    assert submitted["edited"] == unique
    assert_still_there(pipeline, before)


def test_a_setting_change_makes_a_new_revision_of_the_job_definition(editable, before):
    old = active_revision(editable.deploy())
    settings = json.loads((editable.app.directory / "cdk.json").read_text())
    settings["context"]["jobAttempts"] = 5
    (editable.app.directory / "cdk.json").write_text(json.dumps(settings))

    pipeline = editable.deploy()
    new = active_revision(pipeline)

    assert (old["retryStrategy"]["attempts"], new["retryStrategy"]["attempts"]) == (3, 5)
    assert new["revision"] > old["revision"]
    (previous,) = pipeline.batch.describe_job_definitions(jobDefinitions=[old["jobDefinitionArn"]])[
        "jobDefinitions"
    ]
    assert previous["status"] == "INACTIVE"
    assert_still_there(pipeline, before)


def test_a_resource_added_appears_and_removed_goes(editable, before, unique):
    stack_file = "infra/pipeline_stack.py"
    original = (editable.app.directory / stack_file).read_text()
    editable.edit(
        stack_file,
        "        for name, value in outputs.items():",
        f"        from aws_cdk import aws_ssm\n"
        f'        aws_ssm.StringParameter(self, "Added", parameter_name="/{unique}/added",'
        f' string_value="{unique}")\n'
        f"        for name, value in outputs.items():",
    )
    ssm = aws.client("ssm", editable.cloud.endpoint)

    editable.deploy()
    added = ssm.get_parameter(Name=f"/{unique}/added")["Parameter"]["Value"]
    (editable.app.directory / stack_file).write_text(original)
    pipeline = editable.deploy()

    assert added == unique
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=f"/{unique}/added")
    assert_still_there(pipeline, before)


def test_a_processor_change_without_a_synth_ends_where_a_full_deploy_does(editable, before, unique):
    pipeline = editable.deploy()  # as watch mode starts: the last synth matches the sources
    assembly = editable.cloud.assembly(editable.app)
    assert fast_path.unavailable(editable.app, assembly) is None
    editable.edit(
        "batch/processor/cli.py",
        '"summary",\n',
        f'"summary",\n        fast="{unique}",\n',
    )

    fast_path.redeploy(
        pipeline.endpoint,
        editable.app,
        assembly,
        after_deploy=editable.cloud.engine.after_deploy,
    )
    revision = active_revision(pipeline)
    job = editable.upload_and_wait(pipeline, f"fast-{unique}", products(unique, 3))
    editable.deploy()  # a full deploy of the same sources

    assert summary_of(pipeline, job["jobId"])["fast"] == unique
    assert job["jobDefinition"] == revision["jobDefinitionArn"]
    assert active_revision(pipeline)["jobDefinitionArn"] == revision["jobDefinitionArn"], (
        "the full deploy found a difference: the no-synth path did not end where it would"
    )
    assert_still_there(pipeline, before)


def test_a_broken_processor_fails_the_deploy_and_the_previous_one_keeps_running(
    editable, before, unique
):
    pipeline = editable.deploy()
    revision = active_revision(pipeline)["jobDefinitionArn"]
    path = editable.app.directory / "batch/processor/rows.py"
    working = path.read_text()
    path.write_text(working + "\ndef broken(:\n")

    try:
        with pytest.raises(DeployError) as raised:
            editable.deploy()
    finally:
        path.write_text(working)
    job = editable.upload_and_wait(pipeline, f"still-{unique}", products(unique, 4))

    message = str(raised.value)
    assert "SyntaxError" in message
    assert "before CloudFormation changed anything" in message
    assert "the previous deployment keeps working" in message
    assert job["jobDefinition"] == revision
    assert summary_of(pipeline, job["jobId"])["written"] == 4
    assert_still_there(pipeline, before)
