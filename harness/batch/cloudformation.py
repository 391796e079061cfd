"""CloudFormation for AWS::Batch::*: a template's properties applied to the stand-in's backend.

Engine-neutral, like a resource provider that lives beside its service: the embedded
engine's CloudFormation models (harness/engine/moto/cloudformation.py) call these, and so can
any engine that leaves a template's Batch resources to the stand-in.

A changed job definition is a new revision and the previous one becomes INACTIVE, as in
CloudFormation; jobs already submitted keep the revision they were submitted with.
"""

from typing import Any

from harness.batch.backend import BatchBackend
from harness.batch.resources import ComputeEnvironment, JobDefinition, JobQueue
from harness.batch.validation import (
    check_compute_environment,
    check_job_definition,
    check_job_queue,
    check_tags,
)


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property names -> the API's camelCase, recursively."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def create_compute_environment(
    backend: BatchBackend, name: str, properties: dict[str, Any]
) -> ComputeEnvironment:
    check_compute_environment(camel_keys(properties))
    check_tags(properties.get("Tags") or {})
    environment = backend.create_compute_environment(
        name=properties.get("ComputeEnvironmentName", name),
        compute_resources=camel_keys(properties.get("ComputeResources", {})),
        type=properties.get("Type", "MANAGED").upper(),
        state=properties.get("State", "ENABLED"),
        service_role=properties.get("ServiceRole"),
    )
    backend.tag_resource(environment.arn, properties.get("Tags") or {})
    return environment


def update_compute_environment(
    backend: BatchBackend, arn: str, properties: dict[str, Any]
) -> ComputeEnvironment:
    check_compute_environment(camel_keys(properties))
    environment = backend.update_compute_environment(arn, properties.get("State", "ENABLED"))
    environment.compute_resources = camel_keys(properties.get("ComputeResources", {}))
    return environment


def delete_compute_environment(backend: BatchBackend, arn: str) -> None:
    """As CloudFormation does it: disable, then delete."""
    backend.update_compute_environment(arn, state="DISABLED")
    backend.delete_compute_environment(arn)


def create_job_queue(backend: BatchBackend, name: str, properties: dict[str, Any]) -> JobQueue:
    check_job_queue(camel_keys(properties))
    check_tags(properties.get("Tags") or {})
    queue = backend.create_job_queue(
        name=properties.get("JobQueueName", name),
        priority=int(properties.get("Priority", 1)),
        compute_environment_order=camel_keys(properties["ComputeEnvironmentOrder"]),
        state=properties.get("State", "ENABLED"),
    )
    backend.tag_resource(queue.arn, properties.get("Tags") or {})
    return queue


def update_job_queue(backend: BatchBackend, arn: str, properties: dict[str, Any]) -> JobQueue:
    check_job_queue(camel_keys(properties))
    return backend.update_job_queue(
        arn,
        state=properties.get("State", "ENABLED"),
        priority=properties.get("Priority"),
        compute_environment_order=camel_keys(properties.get("ComputeEnvironmentOrder")),
    )


def delete_job_queue(backend: BatchBackend, arn: str) -> None:
    """As CloudFormation does it: disable, then delete (its remaining jobs are terminated)."""
    backend.update_job_queue(arn, state="DISABLED")
    backend.delete_job_queue(arn)


def register_job_definition(
    backend: BatchBackend, name: str, properties: dict[str, Any]
) -> JobDefinition:
    check_job_definition(camel_keys(properties))
    check_tags(properties.get("Tags") or {})
    definition = backend.register_job_definition(
        name=properties.get("JobDefinitionName", name),
        type=properties.get("Type", "container").lower(),
        container_properties=camel_keys(properties.get("ContainerProperties", {})),
        parameters=properties.get("Parameters", {}),
        retry_strategy=camel_keys(properties.get("RetryStrategy")),
        timeout=camel_keys(properties.get("Timeout")),
        platform_capabilities=properties.get("PlatformCapabilities"),
    )
    backend.tag_resource(definition.arn, properties.get("Tags") or {})
    return definition


def replace_job_definition(
    backend: BatchBackend, previous_arn: str, name: str, properties: dict[str, Any]
) -> JobDefinition:
    """The next revision, registered before the previous one is deregistered."""
    replacement = register_job_definition(backend, name, properties)
    backend.deregister_job_definition(previous_arn)
    return replacement
