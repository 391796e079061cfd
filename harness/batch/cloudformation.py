"""AWS::Batch::* as Batch API requests: the one translation from a template's properties to
the requests that create, update and delete each resource.

Both engines use it. The embedded engine's CloudFormation sends the requests to the stand-in
in process (`call`, harness/engine/moto/cloudformation.py); LocalStack's CloudFormation skips
these types, so after each deploy the harness sends the same requests over the Batch API
(harness/engine/localstack/stand_in_resources.py). Either way they reach the operations the
REST API serves (responses.py), which check every field, and the backend's create calls,
which check the tags.

A changed job definition is a new revision and the previous one becomes INACTIVE, as in
CloudFormation; jobs already submitted keep the revision they were submitted with.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException
from harness.batch.responses import OPERATIONS

logger = logging.getLogger("harness.batch")

Request = tuple[str, dict[str, Any]]  # (the API operation, its body)

# Properties of the resource types that only CloudFormation has: accepted with a warning and
# left out of the API requests.
CLOUDFORMATION_ONLY = {
    "ReplaceComputeEnvironment": "there are no instances to replace",
    "ResourceRetentionPolicy": "nothing is retained outside the engine's memory",
}

# Properties whose keys the template's author chose: kept as written.
AUTHORED_KEYS = ("Tags", "Parameters")
# Fields of CreateComputeEnvironment's computeResources that UpdateComputeEnvironment does not
# take (ComputeResourceUpdate); CloudFormation replaces the environment to change them.
NOT_UPDATABLE_COMPUTE_RESOURCES = ("spotIamFleetRole",)


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property names -> the API's camelCase, recursively; the
    keys of Tags and Parameters are the author's own and stay as they are."""
    if isinstance(value, dict):
        return {
            key[:1].lower() + key[1:]: item if key in AUTHORED_KEYS else camel_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def api_fields(properties: dict[str, Any], *leave_out: str) -> dict[str, Any]:
    """The properties in the API's names, but for `leave_out` and CloudFormation's own."""
    for name in sorted(set(properties) & set(CLOUDFORMATION_ONLY)):
        logger.warning("%s accepted without effect locally: %s", name, CLOUDFORMATION_ONLY[name])
    dropped = (*leave_out, *CLOUDFORMATION_ONLY)
    return camel_keys({key: value for key, value in properties.items() if key not in dropped})


# -- compute environments ------------------------------------------------------------------


def create_compute_environment(name: str, properties: dict[str, Any]) -> Request:
    """UpdatePolicy is for updates only (CreateComputeEnvironment has no such field)."""
    body = api_fields(properties, "ComputeEnvironmentName", "UpdatePolicy")
    body["computeEnvironmentName"] = properties.get("ComputeEnvironmentName", name)
    body["type"] = str(body.get("type", "MANAGED")).upper()
    return "CreateComputeEnvironment", body


def update_compute_environment(name_or_arn: str, properties: dict[str, Any]) -> Request:
    """The fields UpdateComputeEnvironment takes, all of them as the template now says."""
    body = api_fields(properties, "ComputeEnvironmentName", "Type", "Tags", "EksConfiguration")
    body["computeEnvironment"] = name_or_arn
    body["state"] = body.get("state", "ENABLED")
    resources = body.get("computeResources")
    if resources:
        body["computeResources"] = {
            key: value
            for key, value in resources.items()
            if key not in NOT_UPDATABLE_COMPUTE_RESOURCES
        }
    return "UpdateComputeEnvironment", body


def delete_compute_environment(name_or_arn: str) -> list[Request]:
    """As CloudFormation does it: disable, then delete."""
    return [
        ("UpdateComputeEnvironment", {"computeEnvironment": name_or_arn, "state": "DISABLED"}),
        ("DeleteComputeEnvironment", {"computeEnvironment": name_or_arn}),
    ]


# -- job queues ----------------------------------------------------------------------------


def create_job_queue(name: str, properties: dict[str, Any]) -> Request:
    body = api_fields(properties, "JobQueueName")
    body["jobQueueName"] = properties.get("JobQueueName", name)
    body["priority"] = int(body.get("priority", 1))
    return "CreateJobQueue", body


def update_job_queue(name_or_arn: str, properties: dict[str, Any]) -> Request:
    body = api_fields(properties, "JobQueueName", "Tags")
    body["jobQueue"] = name_or_arn
    body["state"] = body.get("state", "ENABLED")
    body["priority"] = int(body.get("priority", 1))
    return "UpdateJobQueue", body


def delete_job_queue(name_or_arn: str) -> list[Request]:
    """As CloudFormation does it: disable, then delete (its remaining jobs are terminated)."""
    return [
        ("UpdateJobQueue", {"jobQueue": name_or_arn, "state": "DISABLED"}),
        ("DeleteJobQueue", {"jobQueue": name_or_arn}),
    ]


# -- job definitions -----------------------------------------------------------------------


def register_job_definition(name: str, properties: dict[str, Any]) -> Request:
    body = api_fields(properties, "JobDefinitionName")
    body["jobDefinitionName"] = properties.get("JobDefinitionName", name)
    body["type"] = str(body.get("type", "container")).lower()
    return "RegisterJobDefinition", body


def deregister_job_definition(arn: str) -> Request:
    return "DeregisterJobDefinition", {"jobDefinition": arn}


# -- scheduling policies and consumable resources -------------------------------------------
#
# Changing one of REPLACED_BY's properties makes CloudFormation replace the resource (a new
# one, then the old one deleted once nothing refers to it). The local engines update
# resources in place, so such a change is refused with what to do instead.

SCHEDULING_POLICY = "AWS::Batch::SchedulingPolicy"
CONSUMABLE_RESOURCE = "AWS::Batch::ConsumableResource"
REPLACED_BY: dict[str, dict[str, str]] = {  # type -> {property: its field in the API}
    SCHEDULING_POLICY: {"Name": "name", "Tags": "tags"},
    CONSUMABLE_RESOURCE: {
        "ConsumableResourceName": "consumableResourceName",
        "ResourceType": "resourceType",
        "Tags": "tags",
    },
}


class ReplacementRefused(ClientException):
    pass


def refuse_replacement(resource_type: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Raise ReplacementRefused when a property CloudFormation replaces the resource for
    differs between `before` and `after` (both in the API's shape, as created or described)."""
    changed = [
        prop
        for prop, field in REPLACED_BY[resource_type].items()
        if (before.get(field) or None) != (after.get(field) or None)
    ]
    if changed:
        raise ReplacementRefused(
            f"changing {' and '.join(changed)} of an {resource_type} replaces it in "
            "CloudFormation, which the local engine does not do: give the resource a new "
            "logical id (a new resource), or delete the stack and deploy again"
        )


def create_scheduling_policy(name: str, properties: dict[str, Any]) -> Request:
    body = api_fields(properties, "Name")
    body["name"] = properties.get("Name", name)
    return "CreateSchedulingPolicy", body


def update_scheduling_policy(arn: str, after: dict[str, Any]) -> Request:
    """Only the fair-share policy changes in place."""
    return "UpdateSchedulingPolicy", {
        "arn": arn,
        "fairsharePolicy": after.get("fairsharePolicy", {}),
    }


def delete_scheduling_policy(arn: str) -> Request:
    return "DeleteSchedulingPolicy", {"arn": arn}


def create_consumable_resource(name: str, properties: dict[str, Any]) -> Request:
    body = api_fields(properties, "ConsumableResourceName")
    body["consumableResourceName"] = properties.get("ConsumableResourceName", name)
    return "CreateConsumableResource", body


def update_consumable_resource(arn: str, after: dict[str, Any]) -> Request:
    """Only the total changes in place."""
    return "UpdateConsumableResource", {
        "consumableResource": arn,
        "operation": "SET",
        "quantity": int(after.get("totalQuantity", 0)),
    }


def delete_consumable_resource(arn: str) -> Request:
    return "DeleteConsumableResource", {"consumableResource": arn}


@dataclass(frozen=True)
class UpdatedInPlace:
    """A resource type whose requests take (its logical name or the template's, properties)
    to create, (ARN, the create body it would now have) to update, and its ARN to delete;
    its create answer names it by `arn_key` and `name_key`."""

    resource_type: str
    create: Callable[[str, dict[str, Any]], Request]
    update: Callable[[str, dict[str, Any]], Request]
    delete: Callable[[str], Request]
    arn_key: str
    name_key: str

    def changed(
        self, arn: str, before: dict[str, Any], name: str, properties: dict[str, Any]
    ) -> tuple[Request, dict[str, Any]]:
        """The update to `properties` of the resource whose create body was `before` (as
        created, or as described), and the body it then has; ReplacementRefused for a
        change CloudFormation would replace it for."""
        _, after = self.create(name, properties)
        refuse_replacement(self.resource_type, before, after)
        return self.update(arn, after), after


SCHEDULING_POLICIES = UpdatedInPlace(
    SCHEDULING_POLICY,
    create_scheduling_policy,
    update_scheduling_policy,
    delete_scheduling_policy,
    "arn",
    "name",
)
CONSUMABLE_RESOURCES = UpdatedInPlace(
    CONSUMABLE_RESOURCE,
    create_consumable_resource,
    update_consumable_resource,
    delete_consumable_resource,
    "consumableResourceArn",
    "consumableResourceName",
)


# -- in process ------------------------------------------------------------------------------


def call(backend: BatchBackend, request: Request) -> dict[str, Any]:
    """Send `request` to `backend` through the operation the REST API serves it with."""
    operation, body = request
    return OPERATIONS[operation.lower()](backend, body)
