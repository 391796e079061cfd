"""The same AWS::Batch::* resources through each engine's real CloudFormation path: created,
their computeResources updated, then the stack deleted, with the stand-in's Describe answers
compared at each step.

The embedded engine's CloudFormation sends the translation's requests in process; LocalStack's
skips these types and the harness applies them after each deploy, and its edge deletes them
with the stack. The test runs where the session's engine is LocalStack (CI's LocalStack half)
and starts an embedded engine beside it to compare with.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.engine.moto.engine import MotoEngine
from tests.integration.helpers import free_port


def template(unique: str, max_vcpus: int, security_group: str) -> dict[str, Any]:
    """A compute environment, a queue on it and a job definition, each named."""
    return {
        "Resources": {
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
        if update:
            self.cloudformation.update_stack(StackName=stack, TemplateBody=json.dumps(body))
            waiter = "stack_update_complete"
        else:
            self.cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(body))
            waiter = "stack_create_complete"
        self.cloudformation.get_waiter(waiter).wait(
            StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        self.after_deploy(stack)

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
        }


@pytest.fixture(scope="module")
def targets(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if local_cloud.engine.name != "localstack":
        pytest.skip(
            "compares LocalStack's path with the embedded engine's: runs on LocalStack "
            "(HARNESS_ENGINE=localstack, CI's LocalStack half)"
        )
    embedded = MotoEngine(tmp_path_factory.mktemp("compared-engine"), port=free_port())
    embedded.start()
    try:
        yield {
            "localstack": Target(local_cloud.endpoint, local_cloud.engine.after_deploy),
            "moto": Target(embedded.endpoint, embedded.after_deploy),
        }
    finally:
        embedded.stop()


def test_both_engines_create_update_and_delete_batch_resources_alike(targets, unique):
    stack, name = f"cmp-{unique}", f"cmp-{unique}"
    answers: dict[str, list[dict[str, Any]]] = {engine: [] for engine in targets}

    for engine, target in targets.items():
        target.deploy(stack, template(unique, 4, "sg-0a"), update=False)
        answers[engine].append(target.described(name))
        target.deploy(stack, template(unique, 8, "sg-0b"), update=True)
        answers[engine].append(target.described(name))
        target.delete(stack)
        answers[engine].append(target.described(name))

    created, updated, deleted = answers["localstack"]
    assert answers["moto"] == answers["localstack"]
    assert created["computeEnvironments"][0]["computeResources"]["maxvCpus"] == 4
    resources = updated["computeEnvironments"][0]["computeResources"]
    assert (resources["maxvCpus"], resources["securityGroupIds"]) == (8, ["sg-0b"])
    assert (deleted["computeEnvironments"], deleted["jobQueues"]) == ([], [])
    assert [d["status"] for d in deleted["jobDefinitions"]] == ["INACTIVE"]
