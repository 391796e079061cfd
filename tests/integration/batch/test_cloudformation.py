"""The same AWS::Batch::* resources through each engine's real CloudFormation path: created,
updated (a compute environment's computeResources, a scheduling policy's weights, a consumable
resource's total), then the stack deleted, with the stand-in's Describe answers compared at
each step.

The embedded engine's CloudFormation sends the translation's requests in process; LocalStack's
skips these types and the harness applies them after each deploy, and its edge deletes them
with the stack. Where the session's engine is LocalStack (CI's LocalStack half) the test starts
an embedded engine beside it to compare with; on the embedded engine it checks that path alone.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.engine.moto.engine import MotoEngine
from tests.integration.helpers import free_port


def template(
    unique: str,
    max_vcpus: int,
    security_group: str,
    weight: float = 1.0,
    licences: int = 2,
    licence_type: str = "REPLENISHABLE",
) -> dict[str, Any]:
    """A compute environment, a fair-share queue on it, a job definition that needs one unit
    of a consumable resource, the policy and the resource, each named."""
    return {
        "Resources": {
            "Policy": {
                "Type": "AWS::Batch::SchedulingPolicy",
                "Properties": {
                    "Name": f"cmp-{unique}",
                    "FairsharePolicy": {
                        "ShareDecaySeconds": 60,
                        "ShareDistribution": [{"ShareIdentifier": "a", "WeightFactor": weight}],
                    },
                },
            },
            "Licence": {
                "Type": "AWS::Batch::ConsumableResource",
                "Properties": {
                    "ConsumableResourceName": f"cmp-{unique}",
                    "ResourceType": licence_type,
                    "TotalQuantity": licences,
                },
            },
            "Compute": {
                "Type": "AWS::Batch::ComputeEnvironment",
                "Properties": {
                    "ComputeEnvironmentName": f"cmp-{unique}",
                    "Type": "MANAGED",
                    "ComputeResources": {
                        "Type": "FARGATE",
                        "MaxvCpus": max_vcpus,
                        "Subnets": ["subnet-0a"],
                        "SecurityGroupIds": [security_group],
                    },
                },
            },
            "Queue": {
                "Type": "AWS::Batch::JobQueue",
                "Properties": {
                    "JobQueueName": f"cmp-{unique}",
                    "Priority": 1,
                    "SchedulingPolicyArn": {"Fn::GetAtt": ["Policy", "Arn"]},
                    "ComputeEnvironmentOrder": [
                        {"Order": 1, "ComputeEnvironment": {"Ref": "Compute"}}
                    ],
                },
            },
            "Definition": {
                "Type": "AWS::Batch::JobDefinition",
                "Properties": {
                    "JobDefinitionName": f"cmp-{unique}",
                    "Type": "container",
                    "PlatformCapabilities": ["FARGATE"],
                    "ConsumableResourceProperties": {
                        "ConsumableResourceList": [
                            {"ConsumableResource": {"Ref": "Licence"}, "Quantity": 1}
                        ]
                    },
                    "ContainerProperties": {
                        "Image": "busybox:latest",
                        "Command": ["true"],
                        "ResourceRequirements": [
                            {"Type": "VCPU", "Value": "1"},
                            {"Type": "MEMORY", "Value": "512"},
                        ],
                    },
                },
            },
        }
    }


class Target:
    """One engine: its endpoint and what follows a deploy there (Engine.after_deploy)."""

    def __init__(self, endpoint: str, after_deploy: Callable[[str], None]) -> None:
        self.cloudformation = aws.client("cloudformation", endpoint)
        self.batch = aws.client("batch", endpoint)
        self.after_deploy = after_deploy

    def deploy(self, stack: str, body: dict[str, Any], update: bool) -> None:
        """Create or update the stack through a change set, as the CDK CLI does."""
        name = f"deploy-{uuid.uuid4().hex[:8]}"
        self.cloudformation.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType="UPDATE" if update else "CREATE",
            TemplateBody=json.dumps(body),
        )
        self.cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        self.cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
        waiter = "stack_update_complete" if update else "stack_create_complete"
        self.cloudformation.get_waiter(waiter).wait(
            StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        self.after_deploy(stack)

    def deploy_refused(self, stack: str, body: dict[str, Any]) -> str:
        """Deploy an update the engine must refuse; what it said."""
        try:
            self.deploy(stack, body, update=True)
        except Exception as error:  # the waiter's failure (embedded), the harness's (LocalStack)
            reasons = self.cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
            return " ".join([str(error), *(e.get("ResourceStatusReason", "") for e in reasons)])
        raise AssertionError("the update was deployed")

    def delete(self, stack: str) -> None:
        self.cloudformation.delete_stack(StackName=stack)
        self.cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )

    def described(self, name: str) -> dict[str, Any]:
        """What the stand-in says of the resources named `name`."""
        definitions = self.batch.describe_job_definitions(jobDefinitionName=name)
        return {
            "computeEnvironments": self.batch.describe_compute_environments(
                computeEnvironments=[name]
            )["computeEnvironments"],
            "jobQueues": self.batch.describe_job_queues(jobQueues=[name])["jobQueues"],
            "jobDefinitions": sorted(
                definitions["jobDefinitions"], key=lambda definition: definition["revision"]
            ),
            "schedulingPolicies": [
                policy
                for policy in self.batch.describe_scheduling_policies(arns=self.policy_arns())[
                    "schedulingPolicies"
                ]
                if policy["name"] == name
            ],
            "consumableResources": [
                {key: value for key, value in resource.items() if key != "createdAt"}
                for resource in self.batch.list_consumable_resources(
                    filters=[{"name": "CONSUMABLE_RESOURCE_NAME", "values": [name]}]
                )["consumableResources"]
            ],
        }

    def policy_arns(self) -> list[str]:
        listed = self.batch.list_scheduling_policies()["schedulingPolicies"]
        return [policy["arn"] for policy in listed] or ["none"]


@pytest.fixture(scope="module")
def targets(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    session = Target(local_cloud.endpoint, local_cloud.engine.after_deploy)
    if local_cloud.engine.name != "localstack":
        yield {"moto": session}
        return
    embedded = MotoEngine(tmp_path_factory.mktemp("compared-engine"), port=free_port())
    embedded.start()
    try:
        yield {
            "localstack": session,
            "moto": Target(embedded.endpoint, embedded.after_deploy),
        }
    finally:
        embedded.stop()


def test_both_engines_create_update_and_delete_batch_resources_alike(targets, unique):
    stack, name = f"cmp-{unique}", f"cmp-{unique}"
    answers: dict[str, list[dict[str, Any]]] = {engine: [] for engine in targets}
    refusals: dict[str, str] = {}

    for engine, target in targets.items():
        target.deploy(stack, template(unique, 4, "sg-0a"), update=False)
        answers[engine].append(target.described(name))
        target.deploy(stack, template(unique, 8, "sg-0b", weight=0.5, licences=3), update=True)
        answers[engine].append(target.described(name))
        replaced = template(unique, 8, "sg-0b", 0.5, 3, licence_type="NON_REPLENISHABLE")
        refusals[engine] = target.deploy_refused(stack, replaced)
        target.delete(stack)
        answers[engine].append(target.described(name))

    created, updated, deleted = answers["moto"]
    if "localstack" in answers:
        assert answers["localstack"] == answers["moto"]
    assert created["computeEnvironments"][0]["computeResources"]["maxvCpus"] == 4
    resources = updated["computeEnvironments"][0]["computeResources"]
    assert (resources["maxvCpus"], resources["securityGroupIds"]) == (8, ["sg-0b"])
    (policy,) = created["schedulingPolicies"]
    assert created["jobQueues"][0]["schedulingPolicyArn"] == policy["arn"]
    shares = updated["schedulingPolicies"][0]["fairsharePolicy"]["shareDistribution"]
    assert shares == [{"shareIdentifier": "a", "weightFactor": 0.5}]
    licence = created["consumableResources"][0]
    needs = created["jobDefinitions"][0]["consumableResourceProperties"]
    assert needs == {
        "consumableResourceList": [
            {"consumableResource": licence["consumableResourceArn"], "quantity": 1}
        ]
    }
    assert (licence["totalQuantity"], updated["consumableResources"][0]["totalQuantity"]) == (2, 3)
    for engine, said in refusals.items():
        assert "changing ResourceType of an AWS::Batch::ConsumableResource replaces it" in said, (
            engine
        )
    assert (deleted["computeEnvironments"], deleted["jobQueues"]) == ([], [])
    assert (deleted["schedulingPolicies"], deleted["consumableResources"]) == ([], [])
    assert [d["status"] for d in deleted["jobDefinitions"]] == ["INACTIVE"]
