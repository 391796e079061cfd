"""The embedded engine's changes to moto, in-process against the pinned moto (no server).

The seam check runs first: if a moto upgrade moved something the engine relies on, it fails
here in seconds. The change-set tests drive CloudFormation through boto3 with the engine's
patches and Batch models installed, as the CDK CLI does on a deploy and a redeploy.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from harness.batch.backend import BatchBackend
from harness.engine.moto import cloudformation, internals, patches

STACK = "unit-stack"
ASSETS = "unit-assets"


def test_every_internal_the_engine_relies_on_exists_in_the_pinned_moto():
    internals.check()


def test_a_missing_internal_names_the_moto_version_and_what_is_missing():
    gone = internals.Internal("moto.cloudformation.parsing", "no_such_function")
    changed = internals.Internal("moto.cloudformation.parsing", "clean_json", ("renamed",))

    with pytest.raises(internals.MotoInternalsChanged) as raised:
        internals.check((gone, changed))

    message = str(raised.value)
    assert f"moto {internals.MOTO_VERSION}" in message
    assert "moto.cloudformation.parsing.no_such_function does not exist" in message
    assert "moto.cloudformation.parsing.clean_json no longer takes renamed" in message


class OneBackend:
    """What the Batch CloudFormation models need of the Batch service: a backend per region."""

    def __init__(self) -> None:
        self.batch = BatchBackend("123456789012", "us-east-1", start_job=lambda job: None)

    def backend(self, region: str) -> BatchBackend:
        return self.batch


@pytest.fixture
def engine() -> Iterator[dict[str, Any]]:
    """moto in-process with the engine's patches, undone after the test."""
    service = OneBackend()
    with patches.MotoPatches(batch=service), mock_aws():  # type: ignore[arg-type]
        boto3.client("s3").create_bucket(Bucket=ASSETS)
        yield {"cfn": boto3.client("cloudformation"), "ssm": boto3.client("ssm"), **vars(service)}


def template(image: str = "processor:1", extra: dict[str, Any] | None = None) -> str:
    """A queue, a job definition, and a parameter whose value is the definition's ARN."""
    resources: dict[str, Any] = {
        "Compute": {
            "Type": "AWS::Batch::ComputeEnvironment",
            "Properties": {
                "Type": "MANAGED",
                "ComputeResources": {"Type": "FARGATE", "MaxvCpus": 4},
            },
        },
        "Queue": {
            "Type": "AWS::Batch::JobQueue",
            "Properties": {
                "JobQueueName": "unit-queue",
                "Priority": 1,
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": {"Ref": "Compute"}}],
            },
        },
        "Definition": {
            "Type": "AWS::Batch::JobDefinition",
            "Properties": {
                "JobDefinitionName": "unit-processor",
                "Type": "container",
                "ContainerProperties": {"Image": image},
            },
        },
        "DefinitionArn": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/unit/definition",
                "Type": "String",
                "Value": {"Ref": "Definition"},
            },
        },
        **(extra or {}),
    }
    return json.dumps(
        {
            "Parameters": {
                "BootstrapVersion": {
                    "Type": "AWS::SSM::Parameter::Value<String>",
                    "Default": "/cdk-bootstrap/unit/version",
                }
            },
            "Resources": resources,
            "Outputs": {"DefinitionArn": {"Value": {"Ref": "Definition"}}},
        }
    )


def deploy(cfn: Any, body: str, parameters: list[dict[str, Any]] | None = None) -> dict:
    """What the CDK CLI does: upload the template, delete the old change set, wait until it is
    gone, create a change set from the template's URL (path-style, on the local endpoint),
    execute it unless it has no changes."""
    key = f"{uuid.uuid4().hex}.json"
    boto3.client("s3").put_object(Bucket=ASSETS, Key=key, Body=body.encode())
    exists = any(s["StackName"] == STACK for s in cfn.list_stacks()["StackSummaries"])
    if exists:
        cfn.delete_change_set(StackName=STACK, ChangeSetName="cdk-deploy-change-set")
        with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
            cfn.describe_change_set(StackName=STACK, ChangeSetName="cdk-deploy-change-set")
    created = cfn.create_change_set(
        StackName=STACK,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateURL=f"http://127.0.0.1:4566/{ASSETS}/{key}",
        Parameters=parameters or [],
    )
    change_set = cfn.describe_change_set(StackName=created["StackId"], ChangeSetName=created["Id"])
    if change_set["Status"] == "FAILED":
        return change_set
    cfn.execute_change_set(StackName=created["StackId"], ChangeSetName=created["Id"])
    return change_set


def stack(cfn: Any) -> dict[str, Any]:
    (description,) = cfn.describe_stacks(StackName=STACK)["Stacks"]
    return description


@pytest.fixture
def deployed(engine) -> dict[str, Any]:
    engine["ssm"].put_parameter(Name="/cdk-bootstrap/unit/version", Value="30", Type="String")
    deploy(engine["cfn"], template())
    return engine


def test_a_missing_change_set_is_change_set_not_found_like_aws(engine):
    with pytest.raises(ClientError) as raised:
        engine["cfn"].describe_change_set(StackName="none", ChangeSetName="cdk-deploy-change-set")

    error = raised.value.response
    assert error["Error"]["Code"] == "ChangeSetNotFound"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"] == "ChangeSet [cdk-deploy-change-set] does not exist"


def test_an_update_makes_a_new_revision_and_every_reference_follows_it(deployed):
    cfn, ssm, batch = deployed["cfn"], deployed["ssm"], deployed["batch"]
    first = stack(cfn)["Outputs"][0]["OutputValue"]

    deploy(cfn, template(image="processor:2"))

    second = stack(cfn)["Outputs"][0]["OutputValue"]
    assert (first.rsplit(":", 1)[1], second.rsplit(":", 1)[1]) == ("1", "2")
    assert stack(cfn)["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm.get_parameter(Name="/unit/definition")["Parameter"]["Value"] == second
    statuses = {d.revision: d.status for d in batch.job_definitions.values()}
    assert statuses == {1: "INACTIVE", 2: "ACTIVE"}
    assert len(batch.job_queues) == 1, "an unchanged queue is neither replaced nor duplicated"


def test_an_unchanged_template_with_use_previous_value_is_no_change(deployed):
    change_set = deploy(
        deployed["cfn"],
        template(),
        [{"ParameterKey": "BootstrapVersion", "UsePreviousValue": True}],
    )

    assert change_set["Status"] == "FAILED"
    assert change_set["StatusReason"].startswith("The submitted information didn't contain")


def test_added_resources_are_created_and_removed_ones_deleted(deployed):
    cfn, ssm = deployed["cfn"], deployed["ssm"]
    note = {"Name": "/unit/note", "Type": "String", "Value": "hi"}
    added = {"Note": {"Type": "AWS::SSM::Parameter", "Properties": note}}

    deploy(cfn, template(extra=added))
    assert ssm.get_parameter(Name="/unit/note")["Parameter"]["Value"] == "hi"
    deploy(cfn, template())

    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/unit/note")
    assert stack(cfn)["StackStatus"] == "UPDATE_COMPLETE"


def test_a_failing_resource_rolls_the_stack_back_and_names_itself_in_the_events(deployed):
    cfn, ssm, batch = deployed["cfn"], deployed["ssm"], deployed["batch"]
    before = ssm.get_parameter(Name="/unit/definition")["Parameter"]["Value"]

    deploy(cfn, template(image=""))  # the stand-in refuses a definition without an image

    assert stack(cfn)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    (failed,) = [e for e in events if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed["LogicalResourceId"] == "Definition"
    assert failed["ResourceStatusReason"] == "containerProperties.image is required"
    assert ssm.get_parameter(Name="/unit/definition")["Parameter"]["Value"] == before
    assert [d.status for d in batch.job_definitions.values()] == ["ACTIVE"]
    assert stack(cfn)["Outputs"][0]["OutputValue"] == before


def test_deleting_the_stack_deletes_its_resources(deployed):
    cfn, ssm, batch = deployed["cfn"], deployed["ssm"], deployed["batch"]

    cfn.delete_stack(StackName=STACK)

    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/unit/definition")
    assert (batch.job_queues, batch.compute_environments) == ({}, {})
    assert [d.status for d in batch.job_definitions.values()] == ["INACTIVE"]
    (deleted,) = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert deleted["StackName"] == STACK


def test_a_job_submitted_before_an_update_keeps_the_revision_it_was_submitted_with(deployed):
    batch = deployed["batch"]
    job = batch.submit_job("before-update", "unit-queue", "unit-processor")

    deploy(deployed["cfn"], template(image="processor:2"))

    assert (job.definition.revision, job.definition.container_properties["image"]) == (
        1,
        "processor:1",
    )
    assert batch.find_job_definition("unit-processor").revision == 2


def test_the_patches_are_undone_with_their_thread_pool():
    names = [
        ("moto.s3.notifications", "_invoke_awslambda"),
        ("moto.cloudformation.parsing", "resource_class_from_type"),
        ("moto.cloudformation.models", "CloudFormationBackend.create_change_set"),
        ("moto.settings", "moto_server_host"),
    ]
    before = [internals.get(module, path) for module, path in names]
    model_map = internals.get("moto.cloudformation.parsing", "get_model_map")()
    batch_model = model_map.get("AWS::Batch::JobQueue")

    with patches.MotoPatches(batch=OneBackend()) as installed:  # type: ignore[arg-type]
        during = [internals.get(module, path) for module, path in names]
        assert installed.invocations is not None
        pool = installed.invocations._pool
        assert model_map["AWS::Batch::JobQueue"] is cloudformation.JobQueueResource

    assert all(now is not then for now, then in zip(during, before, strict=True))
    assert [internals.get(module, path) for module, path in names] == before
    assert model_map.get("AWS::Batch::JobQueue") is batch_model
    assert pool is not None and pool._shutdown
