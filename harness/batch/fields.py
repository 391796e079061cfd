"""Which documented AWS Batch request fields the stand-in honours, accepts or rejects.

Every field AWS documents for SubmitJob and RegisterJobDefinition (and the same properties of
AWS::Batch::JobDefinition) is in exactly one group: honoured; accepted without a local effect,
with a warning in the engine log (and a row in the README); or rejected with ClientException,
so that a team never believes it tested what the stand-in silently dropped.
"""

import logging
from typing import Any

from harness.batch.errors import ClientException
from harness.batch.instance_types import memory_mib

logger = logging.getLogger("harness.batch")

RESERVED_ENVIRONMENT_PREFIX = "AWS_BATCH_"

SUBMIT_JOB_HONOURED = {
    "jobName",
    "jobQueue",
    "jobDefinition",
    "parameters",
    "containerOverrides",
    "retryStrategy",
    "timeout",
    "arrayProperties",
    "dependsOn",
    "tags",
}
SUBMIT_JOB_NO_EFFECT = {
    "propagateTags": "there are no ECS tasks to tag",
}
CONTAINER_OVERRIDES_HONOURED = {"command", "environment", "resourceRequirements", "vcpus", "memory"}

DEFINITION_HONOURED = {
    "jobDefinitionName",
    "type",
    "parameters",
    "containerProperties",
    "retryStrategy",
    "timeout",
    "platformCapabilities",
    "tags",
}
DEFINITION_NO_EFFECT = {
    "propagateTags": "there are no ECS tasks to tag",
    "schedulingPriority": "the stand-in has no fair-share scheduling",
    "resourceRetentionPolicy": "nothing is retained outside the engine's memory",
}
# jobRoleArn: the job's credentials where the engine enforces IAM (BatchService's
# job_credentials), else the engine's test credentials (README: "IAM enforced at run time").
CONTAINER_HONOURED = {
    "image",
    "command",
    "environment",
    "resourceRequirements",
    "vcpus",
    "memory",
    "readonlyRootFilesystem",
    "user",
    "jobRoleArn",
}
CONTAINER_NO_EFFECT = {
    "executionRoleArn": "images come from the local Docker engine and logs go to the engine",
    "networkConfiguration": "jobs run on the harness's container network",
    "fargatePlatformConfiguration": "jobs run on the local Docker engine, not Fargate",
    "runtimePlatform": "jobs run on the local Docker engine's platform",
    "logConfiguration": "output always goes to CloudWatch Logs in /aws/batch/job",
}


COMPUTE_ENVIRONMENT_HONOURED = {
    "computeEnvironmentName",
    "computeEnvironment",
    "type",
    "state",
    "computeResources",
    "serviceRole",
    "tags",
}
COMPUTE_ENVIRONMENT_NO_EFFECT = {
    "unmanagedvCpus": "the stand-in has no fair-share scheduling",
    "context": "there are no instances to pass it to",
    "updatePolicy": "there are no instances to update",
    "replaceComputeEnvironment": "there are no instances to replace",
}
COMPUTE_RESOURCES_HONOURED = {"maxvCpus", "type", "instanceTypes"}
JOB_QUEUE_HONOURED = {
    "jobQueueName",
    "jobQueue",
    "state",
    "priority",
    "computeEnvironmentOrder",
    "tags",
}
JOB_QUEUE_NO_EFFECT = {
    "schedulingPolicyArn": "the stand-in has no fair-share scheduling",
}


def check_compute_environment(request: dict[str, Any]) -> None:
    """Create/UpdateComputeEnvironment, or a template's properties in the API's camelCase."""
    _check(
        "compute environment", request, COMPUTE_ENVIRONMENT_HONOURED, COMPUTE_ENVIRONMENT_NO_EFFECT
    )
    resources = request.get("computeResources") or {}
    placement = sorted(set(resources) - COMPUTE_RESOURCES_HONOURED)
    if placement:
        logger.warning(
            "computeResources: %s accepted without effect locally: jobs run as containers on "
            "the local Docker engine (maxvCpus is the limit that applies)",
            ", ".join(placement),
        )
    unknown = [t for t in resources.get("instanceTypes") or [] if memory_mib(t) is None]
    if unknown:
        logger.warning(
            "computeResources.instanceTypes: the memory of %s is not known locally, so a job "
            "asking for more memory than these instances have is not flagged (it would stay "
            "RUNNABLE in AWS)",
            ", ".join(unknown),
        )


def check_job_queue(request: dict[str, Any]) -> None:
    """Create/UpdateJobQueue, or a template's properties in the API's camelCase."""
    _check("job queue", request, JOB_QUEUE_HONOURED, JOB_QUEUE_NO_EFFECT)


def check_submit_job(request: dict[str, Any]) -> None:
    _check("SubmitJob", request, SUBMIT_JOB_HONOURED, SUBMIT_JOB_NO_EFFECT)
    overrides = request.get("containerOverrides") or {}
    _check("SubmitJob containerOverrides", overrides, CONTAINER_OVERRIDES_HONOURED, {})
    check_resource_requirements("containerOverrides", overrides)
    check_environment_names("containerOverrides", overrides)


def check_job_definition(request: dict[str, Any]) -> None:
    """A RegisterJobDefinition request, or a template's properties in the API's camelCase."""
    _check("job definition", request, DEFINITION_HONOURED, DEFINITION_NO_EFFECT)
    container = request.get("containerProperties") or {}
    _check("containerProperties", container, CONTAINER_HONOURED, CONTAINER_NO_EFFECT)
    check_resource_requirements("containerProperties", container)
    check_environment_names("containerProperties", container)


def check_resource_requirements(where: str, container: dict[str, Any]) -> None:
    kinds = {str(r.get("type")) for r in container.get("resourceRequirements") or []}
    unsupported = sorted(kinds - {"VCPU", "MEMORY"})
    if unsupported:
        raise ClientException(
            f"{where}.resourceRequirements: {', '.join(unsupported)} not supported "
            "by the local Batch stand-in (VCPU and MEMORY are)"
        )


def check_environment_names(where: str, container: dict[str, Any]) -> None:
    """AWS Batch sets the AWS_BATCH_* variables itself; a definition or an override cannot."""
    reserved = sorted(
        str(item.get("name"))
        for item in container.get("environment") or []
        if str(item.get("name", "")).startswith(RESERVED_ENVIRONMENT_PREFIX)
    )
    if reserved:
        raise ClientException(
            f"{where}.environment: {', '.join(reserved)}: the {RESERVED_ENVIRONMENT_PREFIX} "
            "prefix is reserved for the variables AWS Batch sets"
        )


def _check(
    where: str, request: dict[str, Any], honoured: set[str], no_effect: dict[str, str]
) -> None:
    given = {name for name, value in request.items() if value not in (None, {}, [])}
    rejected = sorted(given - honoured - set(no_effect))
    if rejected:
        raise ClientException(
            f"{where}: {', '.join(rejected)} not supported by the local Batch stand-in "
            "(see the README's Batch table); remove them to run this locally"
        )
    for name in sorted(given & set(no_effect)):
        logger.warning("%s: %s accepted without effect locally: %s", where, name, no_effect[name])
