"""Resources an engine's CloudFormation skipped (LocalStack: Batch, ECR), resolved from the
app's real template and applied to the Batch stand-in through its API (served in-process,
jobs never start: no Docker)."""

from typing import Any

import boto3
import pytest

from harness.batch import cloudformation as batch_cfn
from harness.batch.backend import BatchBackend
from harness.batch.responses import BatchApp
from harness.engine.localstack.stand_in_resources import (
    COMPUTE_ENVIRONMENT,
    JOB_DEFINITION,
    JOB_QUEUE,
    Resolver,
    TemplateError,
    apply_compute_environment,
    apply_consumable_resource,
    apply_job_definition,
    apply_resources,
    apply_scheduling_policy,
    batch_resources,
    contains,
    delete_batch_resources,
    parse_template,
    resolved_properties,
)
from tests.unit.conftest import serving
from tests.unit.infra.test_stack import synthesize

# The tests that synthesize the app share one worker under `--dist loadgroup`: each worker
# that synthesizes starts a jsii runtime (about 5 s) and keeps its own synth cache.
pytestmark = pytest.mark.xdist_group("cdk")

PSEUDO = {
    "AWS::AccountId": "000000000000",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return synthesize()[1].to_json()


@pytest.fixture(scope="module")
def resolver(template) -> Resolver:
    physical = {logical: f"physical-{logical}" for logical in template["Resources"]}
    return Resolver(
        template, physical, PSEUDO, lambda role: f"arn:aws:iam::000000000000:role/{role}"
    )


@pytest.fixture
def batch(batch_api) -> Any:
    return batch_api


def resources_of(template: dict[str, Any], resource_type: str) -> list[tuple[str, dict]]:
    return [
        (logical, resource.get("Properties", {}))
        for logical, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    ]


def apply_all(batch: Any, template: dict[str, Any], resolver: Resolver) -> list[str]:
    return [
        f"{kind.rsplit(':', 1)[1]} {action}"
        for _, kind, action in apply_resources(template, resolver, {"batch": batch})
    ]


def test_the_job_definition_resolves_against_the_deployed_stack(template, resolver):
    ((_, properties),) = resources_of(template, JOB_DEFINITION)
    container = resolver.resolve(properties)["ContainerProperties"]

    image_tag = container["Image"].rsplit(":", 1)[1]
    assert container["Image"] == (
        "000000000000.dkr.ecr.us-east-1.amazonaws.com/"
        f"cdk-hnb659fds-container-assets-000000000000-us-east-1:{image_tag}"
    )
    assert container["JobRoleArn"].startswith("arn:aws:iam::000000000000:role/physical-")
    table = next(e["Value"] for e in container["Environment"] if e["Name"] == "TABLE_NAME")
    assert table.startswith("physical-StorageItems")


def test_created_then_unchanged_then_a_new_revision_when_the_definition_changes(
    template, resolver, batch
):
    assert apply_all(batch, template, resolver) == [
        "ComputeEnvironment created",
        "JobQueue created",
        "JobDefinition revision 1 registered",
    ]
    assert apply_all(batch, template, resolver) == [
        "ComputeEnvironment unchanged",
        "JobQueue unchanged",
        "JobDefinition unchanged",
    ]
    (queue,) = batch.describe_job_queues()["jobQueues"]
    (environment,) = batch.describe_compute_environments()["computeEnvironments"]
    assert (
        queue["computeEnvironmentOrder"][0]["computeEnvironment"]
        == (environment["computeEnvironmentArn"])
    )

    ((logical, properties),) = resources_of(template, JOB_DEFINITION)
    changed = {**properties, "RetryStrategy": {**properties["RetryStrategy"], "Attempts": 5}}
    _, action = apply_job_definition(batch, logical, resolver.resolve(changed))

    assert action == "revision 2 registered"
    name = properties["JobDefinitionName"]
    statuses = {
        d["revision"]: d["status"]
        for d in batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]
    }
    assert statuses == {1: "INACTIVE", 2: "ACTIVE"}


def test_a_disabled_environment_in_the_template_is_applied_as_an_update(template, resolver, batch):
    apply_all(batch, template, resolver)
    ((logical, resource),) = [
        (logical, resource)
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Batch::ComputeEnvironment"
    ]
    disabled = {**resource, "Properties": {**resource["Properties"], "State": "DISABLED"}}

    _, action = apply_compute_environment(batch, logical, resolved_properties(resolver, disabled))

    assert action == "updated"
    (environment,) = batch.describe_compute_environments()["computeEnvironments"]
    assert environment["state"] == "DISABLED"


YAML_TEMPLATE = """
Parameters:
  Qualifier: {Type: String, Default: hnb659fds}
  CustomName: {Type: String, Default: ""}
Conditions:
  HasCustomName: !Not [!Equals ["", !Ref CustomName]]
Resources:
  Repository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: !If
        - HasCustomName
        - !Ref CustomName
        - !Sub cdk-${Qualifier}-container-assets-${AWS::AccountId}-${AWS::Region}
"""


@pytest.mark.parametrize(
    ("custom", "expected"),
    [("", "cdk-hnb659fds-container-assets-000000000000-us-east-1"), ("mine", "mine")],
)
def test_yaml_short_forms_and_conditions_resolve(custom, expected):
    template = parse_template(YAML_TEMPLATE)
    parameters = {"Qualifier": "hnb659fds", "CustomName": custom}
    resolver = Resolver(template, {}, {**PSEUDO, **parameters}, lambda role: role)

    name = resolver.resolve(template["Resources"]["Repository"]["Properties"]["RepositoryName"])

    assert name == expected


def test_what_cannot_be_resolved_is_named():
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    resolver = Resolver(template, {"Topic": "arn:topic"}, PSEUDO, lambda role: role)

    with pytest.raises(TemplateError, match=r"Fn::GetAtt Topic\.TopicName"):
        resolver.resolve({"Fn::GetAtt": ["Topic", "TopicName"]})
    with pytest.raises(TemplateError, match="Ref Missing"):
        resolver.resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError, match="Fn::ImportValue is not supported"):
        resolver.resolve({"Fn::ImportValue": "x"})


def test_contains_ignores_the_services_defaults_but_not_differences():
    assert contains({"a": 1, "b": [{"c": "2", "d": 3}], "extra": 0}, {"a": 1, "b": [{"c": 2}]})
    assert not contains({"a": 1, "b": [{"c": 2}]}, {"a": 1, "b": [{"c": 2}, {"c": 3}]})
    assert not contains({"a": {"b": 1}}, {"a": {"b": 2}})


def test_both_paths_apply_a_compute_resources_change_alike(template, resolver, batch):
    """The one translation, sent in process (the embedded engine's CloudFormation) and over
    the API (LocalStack's skipped resources), leaves the same compute environment after an
    update of several computeResources fields."""
    ((logical, resource),) = [
        (logical, resource)
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Batch::ComputeEnvironment"
    ]
    created = resolved_properties(resolver, resource)
    changed = {
        **created,
        "ComputeResources": {
            **created["ComputeResources"],
            "MaxvCpus": 7,
            "SecurityGroupIds": ["sg-changed"],
        },
    }
    in_process = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)

    arn = batch_cfn.call(in_process, batch_cfn.create_compute_environment(logical, created))[
        "computeEnvironmentArn"
    ]
    batch_cfn.call(in_process, batch_cfn.update_compute_environment(arn, changed))
    apply_compute_environment(batch, logical, created)
    _, action = apply_compute_environment(batch, logical, changed)

    (over_api,) = batch.describe_compute_environments()["computeEnvironments"]
    (here,) = in_process.describe_compute_environments()
    assert action == "updated"
    assert over_api["computeResources"]["maxvCpus"] == 7
    assert over_api["computeResources"]["securityGroupIds"] == ["sg-changed"]
    assert here.describe() == over_api


def test_a_deleted_stacks_batch_resources_leave_the_stand_in(template, resolver):
    """What the LocalStack edge does on DeleteStack: the resources applied for the stack,
    named as CloudFormation names them, deleted in the reverse of their order."""
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    with serving(BatchApp(lambda region: backend)) as url:
        batch = boto3.client("batch", endpoint_url=url)
        list(apply_resources(template, resolver, {"batch": batch}, "copy-stack"))
    resources = batch_resources(template, resolver, "copy-stack")
    (environment,) = backend.describe_compute_environments()
    (queue,) = backend.describe_job_queues()
    (definition,) = backend.describe_job_definitions(status="ACTIVE")

    delete_batch_resources(backend, resources)

    assert resources == [
        (COMPUTE_ENVIRONMENT, environment.name),
        (JOB_QUEUE, queue.name),
        (JOB_DEFINITION, definition.name),
    ]
    assert backend.describe_compute_environments() == []
    assert backend.describe_job_queues() == []
    assert backend.describe_job_definitions(status="ACTIVE") == []


POLICY = {
    "Name": "shares",
    "FairsharePolicy": {"ShareDistribution": [{"ShareIdentifier": "a", "WeightFactor": 1}]},
}
LICENCE = {"ResourceType": "REPLENISHABLE", "TotalQuantity": 2}


def test_policies_and_consumable_resources_are_created_updated_in_place_or_refused(batch):
    assert apply_scheduling_policy(batch, "Shares", POLICY)[1] == "created"
    arn, licence_action = apply_consumable_resource(batch, "stack-Licence", LICENCE)
    assert licence_action == "created"
    assert apply_scheduling_policy(batch, "Shares", POLICY)[1] == "unchanged"
    assert apply_consumable_resource(batch, "stack-Licence", LICENCE) == (arn, "unchanged")

    half = {"ShareDistribution": [{"ShareIdentifier": "a", "WeightFactor": 0.5}]}
    weighted = {**POLICY, "FairsharePolicy": half}
    assert apply_scheduling_policy(batch, "Shares", weighted)[1] == "updated"
    assert apply_consumable_resource(batch, "stack-Licence", {**LICENCE, "TotalQuantity": 5}) == (
        arn,
        "updated",
    )
    (policy,) = batch.describe_scheduling_policies(
        arns=[e["arn"] for e in batch.list_scheduling_policies()["schedulingPolicies"]]
    )["schedulingPolicies"]
    assert policy["fairsharePolicy"]["shareDistribution"][0]["weightFactor"] == 0.5
    assert batch.describe_consumable_resource(consumableResource=arn)["totalQuantity"] == 5

    with pytest.raises(TemplateError, match="changing ResourceType of an AWS::Batch::Consum"):
        apply_consumable_resource(
            batch, "stack-Licence", {"ResourceType": "NON_REPLENISHABLE", "TotalQuantity": 5}
        )
    with pytest.raises(TemplateError, match="changing Tags of an AWS::Batch::SchedulingPolicy"):
        apply_scheduling_policy(batch, "Shares", {**weighted, "Tags": {"team": "x"}})
    assert batch.describe_consumable_resource(consumableResource=arn)["resourceType"] == (
        "REPLENISHABLE"
    )
