"""Which documented AWS Batch request fields the stand-in honours, accepts or rejects.

Every field AWS documents for SubmitJob and RegisterJobDefinition (and the same properties of
AWS::Batch::JobDefinition) is in exactly one group: honoured; accepted without a local effect,
with a warning in the engine log (and a row in docs/batch-stand-in.md); or rejected with
ClientException, so that a team never believes it tested what the stand-in silently dropped.
"""

import logging
import re
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
    "shareIdentifier",
    "schedulingPriorityOverride",
    "consumableResourcePropertiesOverride",
    "nodeOverrides",
    "eksPropertiesOverride",
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
    "schedulingPriority",
    "consumableResourceProperties",
    "nodeProperties",
    "eksProperties",
}
DEFINITION_NO_EFFECT = {
    "propagateTags": "there are no ECS tasks to tag",
}
# jobRoleArn: the job's credentials where the engine enforces IAM (BatchService's
# job_credentials), else the engine's test credentials (docs/faults-and-iam.md).
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
    "eksConfiguration",
}
COMPUTE_ENVIRONMENT_NO_EFFECT = {
    "unmanagedvCpus": "the stand-in counts a fair-share queue's capacity in maxvCpus",
    "context": "there are no instances to pass it to",
    "updatePolicy": "there are no instances to update",
}
COMPUTE_RESOURCES_HONOURED = {"maxvCpus", "type", "instanceTypes"}
JOB_QUEUE_HONOURED = {
    "jobQueueName",
    "jobQueue",
    "state",
    "priority",
    "computeEnvironmentOrder",
    "jobStateTimeLimitActions",
    "schedulingPolicyArn",
    "tags",
}
TIME_LIMIT_FIELDS = ("reason", "state", "maxTimeSeconds", "action")
TIME_LIMIT_SECONDS = (600, 86_400)
JOB_QUEUE_NO_EFFECT: dict[str, str] = {}
SCHEDULING_POLICY_HONOURED = {"name", "arn", "fairsharePolicy", "tags"}


def check_compute_environment(request: dict[str, Any]) -> None:
    """Create/UpdateComputeEnvironment, or a template's properties in the API's camelCase."""
    check_fields(
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
    check_fields("job queue", request, JOB_QUEUE_HONOURED, JOB_QUEUE_NO_EFFECT)


def check_scheduling_policy(request: dict[str, Any]) -> None:
    """Create/UpdateSchedulingPolicy: fair-share policies (quota share policies, for
    SageMaker training queues, are refused by name)."""
    check_fields("scheduling policy", request, SCHEDULING_POLICY_HONOURED, {})


def check_consumable_resource_properties(properties: Any) -> list[dict[str, Any]]:
    """consumableResourceProperties (or its override): each entry names a resource and a
    quantity of at least 1; the entries, [] for none."""
    if not properties:
        return []
    entries = properties.get("consumableResourceList") if isinstance(properties, dict) else None
    if not isinstance(entries, list) or set(properties) != {"consumableResourceList"}:
        raise ClientException(
            "consumableResourceProperties holds consumableResourceList and nothing else: "
            f"{properties!r}"
        )
    checked = []
    for entry in entries:
        name = entry.get("consumableResource") if isinstance(entry, dict) else None
        quantity = entry.get("quantity", 1) if isinstance(entry, dict) else 0
        if not isinstance(name, str) or not name or int(quantity) < 1:
            raise ClientException(
                "consumableResourceList: each entry names a consumableResource and a quantity "
                f"of at least 1: {entry!r}"
            )
        checked.append({"consumableResource": name, "quantity": int(quantity)})
    return checked


def check_state_time_limit_actions(actions: Any) -> tuple[dict[str, Any], ...]:
    """A queue's jobStateTimeLimitActions, as AWS takes them for a queue of ECS, EKS or
    Fargate compute environments: CANCEL a job RUNNABLE for `reason` after maxTimeSeconds."""
    if not isinstance(actions, list):
        raise ClientException(f"jobStateTimeLimitActions must be a list, not {actions!r}")
    checked = []
    for action in actions:
        given = set(action) if isinstance(action, dict) else set()
        if given != set(TIME_LIMIT_FIELDS):
            raise ClientException(
                f"jobStateTimeLimitActions: each action has {', '.join(TIME_LIMIT_FIELDS)} "
                f"and nothing else: {action!r}"
            )
        if action["state"] != "RUNNABLE":
            raise ClientException(
                f"jobStateTimeLimitActions.state must be RUNNABLE, not {action['state']!r}"
            )
        if action["action"] != "CANCEL":
            raise ClientException(
                "jobStateTimeLimitActions.action must be CANCEL on a queue of ECS, EKS or "
                f"Fargate compute environments, not {action['action']!r}"
            )
        seconds = int(action["maxTimeSeconds"])
        low, high = TIME_LIMIT_SECONDS
        if not low <= seconds <= high:
            raise ClientException(
                f"jobStateTimeLimitActions.maxTimeSeconds must be between {low} and {high}: "
                f"{seconds}"
            )
        if not isinstance(action["reason"], str) or not action["reason"]:
            raise ClientException("jobStateTimeLimitActions.reason must be a non-empty string")
        checked.append({**action, "maxTimeSeconds": seconds})
    return tuple(checked)


def check_submit_job(request: dict[str, Any]) -> None:
    check_fields("SubmitJob", request, SUBMIT_JOB_HONOURED, SUBMIT_JOB_NO_EFFECT)
    node_overrides = (request.get("nodeOverrides") or {}).get("nodePropertyOverrides") or []
    for overrides in [
        request.get("containerOverrides") or {},
        *((entry or {}).get("containerOverrides") or {} for entry in node_overrides),
    ]:
        check_fields("SubmitJob containerOverrides", overrides, CONTAINER_OVERRIDES_HONOURED, {})
        check_resource_requirements("containerOverrides", overrides)
        check_environment_names("containerOverrides", overrides)


def check_job_definition(request: dict[str, Any]) -> None:
    """A RegisterJobDefinition request, or a template's properties in the API's camelCase:
    its containerProperties, or the container of each of its node ranges."""
    check_fields("job definition", request, DEFINITION_HONOURED, DEFINITION_NO_EFFECT)
    node_ranges = (request.get("nodeProperties") or {}).get("nodeRangeProperties") or []
    for container in [
        request.get("containerProperties") or {},
        *((entry or {}).get("container") or {} for entry in node_ranges),
    ]:
        check_fields("containerProperties", container, CONTAINER_HONOURED, CONTAINER_NO_EFFECT)
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


def check_fields(
    where: str, request: dict[str, Any], honoured: set[str], no_effect: dict[str, str]
) -> None:
    """ClientException naming every given field neither honoured nor in `no_effect`; a
    warning in the engine log for each given field of `no_effect`."""
    given = {name for name, value in request.items() if value not in (None, {}, [])}
    rejected = sorted(given - honoured - set(no_effect))
    if rejected:
        raise ClientException(
            f"{where}: {', '.join(rejected)} not supported by the local Batch stand-in "
            "(docs/batch-stand-in.md lists its fields); remove them to run this locally"
        )
    for name in sorted(given & set(no_effect)):
        logger.warning("%s: %s accepted without effect locally: %s", where, name, no_effect[name])


VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")

MIN_ATTEMPT_SECONDS = 60  # AWS Batch's minimum attempt timeout


def check_timeout(timeout: dict[str, Any] | None) -> dict[str, Any] | None:
    seconds = (timeout or {}).get("attemptDurationSeconds")
    if seconds is not None and int(seconds) < MIN_ATTEMPT_SECONDS:
        raise ClientException(
            f"timeout.attemptDurationSeconds must be at least {MIN_ATTEMPT_SECONDS}: {seconds}"
        )
    return timeout


MAX_TAGS = 50


def check_tags(given: dict[str, str] | None) -> dict[str, str]:
    """A copy of the tags (none: empty) when they keep AWS's rules: at most 50 per resource,
    keys of 1 to 128 characters not starting with `aws:`, values of at most 256."""
    tags = dict(given or {})
    if len(tags) > MAX_TAGS:
        raise ClientException(f"a resource has at most {MAX_TAGS} tags, not {len(tags)}")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise ClientException(
                f"tag key {key!r} is invalid: 1 to 128 characters, not starting with 'aws:'"
            )
        if len(value) > 256:
            raise ClientException(f"the value of tag {key!r} is longer than 256 characters")
    return tags


def check_state(state: str) -> str:
    if state not in ("ENABLED", "DISABLED"):
        raise ClientException(f"state must be ENABLED or DISABLED, not {state!r}")
    return state


def check_name(kind: str, name: str) -> None:
    if not VALID_NAME.match(name or ""):
        raise ClientException(
            f"{kind} name {name!r} is invalid: up to 128 letters, numbers, hyphens and "
            "underscores, starting with a letter or number"
        )
