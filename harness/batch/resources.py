"""Batch's resources (compute environments, job queues, job definitions) as the stand-in
holds and describes them."""

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.batch import instance_types
from harness.batch.clock import now_ms
from harness.batch.errors import ClientException


def present(**fields: Any) -> dict[str, Any]:
    """The fields that have a value: Batch leaves unset fields out of its responses."""
    return {name: value for name, value in fields.items() if value is not None}


NamedT = TypeVar("NamedT", bound="ComputeEnvironment | JobQueue | ConsumableResource")


def named(kind: str, resources: list[NamedT], name_or_arn: str) -> NamedT:
    """The resource called `name_or_arn` (its name or its ARN), else AWS's ClientException."""
    for resource in resources:
        if name_or_arn in (resource.name, resource.arn):
            return resource
    raise ClientException(f"{kind} {name_or_arn} does not exist")


def matching(resources: list[NamedT], names: list[str] | None) -> list[NamedT]:
    """What a Describe* call lists: every resource, or those named by name or ARN."""
    if not names:
        return resources
    return [resource for resource in resources if {resource.name, resource.arn} & set(names)]


class Saved:
    """A dataclass of the engine's saved state: one saved by an older harness lacks the
    fields added since, which then take their defaults when it is restored (a plain default
    would be found on the class anyway; a default factory would not)."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        for added in dataclasses.fields(self):  # type: ignore[arg-type]
            if added.name in state:
                continue
            if added.default is not dataclasses.MISSING:
                state[added.name] = added.default
            elif added.default_factory is not dataclasses.MISSING:
                state[added.name] = added.default_factory()
        self.__dict__.update(state)


FARGATE_MAX_MEMORY_MIB = 120 * 1024  # 16 vCPUs and 120 GiB: the largest Fargate job


def vcpus_of(container_properties: dict[str, Any]) -> float:
    """VCPU in resourceRequirements, else the older `vcpus`, else 1."""
    for requirement in container_properties.get("resourceRequirements", []):
        if requirement["type"] == "VCPU":
            return float(requirement["value"])
    return float(container_properties.get("vcpus", 1))


def memory_mib_of(container_properties: dict[str, Any]) -> int | None:
    """MEMORY in resourceRequirements, else the older `memory`, else None (no limit)."""
    for requirement in container_properties.get("resourceRequirements", []):
        if requirement["type"] == "MEMORY":
            return int(requirement["value"])
    memory = container_properties.get("memory")
    return int(memory) if memory else None


def with_resource_overrides(
    container_properties: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """A job definition's container properties with a job's containerOverrides of resources
    applied: each overriding requirement replaces the definition's of its type; the older
    `vcpus`/`memory` overrides replace both forms of theirs."""
    requirements = {r["type"]: r for r in container_properties.get("resourceRequirements", [])}
    requirements.update({r["type"]: r for r in overrides.get("resourceRequirements", [])})
    properties = {k: v for k, v in container_properties.items() if k != "resourceRequirements"}
    for legacy, kind in (("vcpus", "VCPU"), ("memory", "MEMORY")):
        if legacy in overrides:
            properties[legacy] = overrides[legacy]
            requirements.pop(kind, None)
    if requirements:
        properties["resourceRequirements"] = list(requirements.values())
    return properties


@dataclass
class ComputeEnvironment(Saved):
    name: str
    arn: str
    compute_resources: dict[str, Any]
    type: str = "MANAGED"
    state: str = "ENABLED"
    service_role: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    eks_configuration: dict[str, Any] | None = None  # an environment of an EKS cluster

    @property
    def orchestration(self) -> str:
        """ECS or EKS: the kind of jobs the environment runs."""
        return "EKS" if self.eks_configuration else "ECS"

    @property
    def uuid(self) -> str:
        """Its unique identifier: the same for the same environment ARN."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.arn))

    @property
    def job_queue_type(self) -> str:
        """What AWS calls the queues of such an environment: EKS, ECS or ECS_FARGATE."""
        if self.eks_configuration:
            return "EKS"
        return "ECS" if self.runs_on_ec2 else "ECS_FARGATE"

    @property
    def ecs_cluster_arn(self) -> str:
        """The ECS cluster AWS Batch makes for the environment, named as AWS names it
        (`<name>_Batch_<uuid>`)."""
        prefix, _, _ = self.arn.partition(":compute-environment/")
        region_and_account = prefix.removeprefix("arn:aws:batch:")
        return f"arn:aws:ecs:{region_and_account}:cluster/{self.name}_Batch_{self.uuid}"

    @property
    def runs_on_ec2(self) -> bool:
        """EC2 or SPOT instances, where a job's container runs on a container instance."""
        return not str(self.compute_resources.get("type", "")).startswith("FARGATE")

    @property
    def max_vcpus(self) -> float:
        return float(self.compute_resources.get("maxvCpus", 256))

    @property
    def max_memory_mib_per_job(self) -> int | None:
        """The most memory one job can get: Fargate's 120 GiB; on EC2 the largest instance
        type's memory when every type's memory is known (instance_types.py), else None."""
        if not self.runs_on_ec2:
            return FARGATE_MAX_MEMORY_MIB
        return instance_types.largest_memory_mib(self.compute_resources.get("instanceTypes", []))

    def memory_fits(self, memory_mib: int | None) -> bool:
        """False when one job's memory is more than this environment ever gives a job."""
        most = self.max_memory_mib_per_job
        return memory_mib is None or most is None or memory_mib <= most

    def describe(self) -> dict[str, Any]:
        description = {
            "computeEnvironmentName": self.name,
            "computeEnvironmentArn": self.arn,
            "type": self.type,
            "state": self.state,
            "status": "VALID",
            "statusReason": "ComputeEnvironment Healthy",
            "computeResources": self.compute_resources,
            "containerOrchestrationType": self.orchestration,
            "uuid": self.uuid,
            "tags": self.tags,
        }
        if self.eks_configuration:
            description["eksConfiguration"] = self.eks_configuration
        else:
            description["ecsClusterArn"] = self.ecs_cluster_arn
        if self.service_role:
            description["serviceRole"] = self.service_role
        return description


@dataclass
class JobQueue(Saved):
    name: str
    arn: str
    priority: int
    compute_environment_order: list[dict[str, Any]]
    state: str = "ENABLED"
    tags: dict[str, str] = field(default_factory=dict)
    # A tuple, so that a queue of an older saved state, pickled without it, has it too.
    state_time_limit_actions: tuple[dict[str, Any], ...] = ()
    scheduling_policy: "SchedulingPolicy | None" = None  # None: first in, first out

    def describe(self) -> dict[str, Any]:
        return present(
            jobQueueName=self.name,
            jobQueueArn=self.arn,
            state=self.state,
            status="VALID",
            statusReason="JobQueue Healthy",
            priority=self.priority,
            computeEnvironmentOrder=self.compute_environment_order,
            jobStateTimeLimitActions=list(self.state_time_limit_actions) or None,
            schedulingPolicyArn=self.scheduling_policy.arn if self.scheduling_policy else None,
            tags=self.tags,
        )


DEFAULT_SHARE_WINDOW_SECONDS = 600  # AWS's, for shareDecaySeconds 0


@dataclass
class SchedulingPolicy(Saved):
    """A fair-share scheduling policy (harness/batch/scheduling.py says how it schedules)."""

    name: str
    arn: str
    share_decay_seconds: int = 0
    compute_reservation: int = 0
    share_distribution: dict[str, float] = field(default_factory=dict)  # identifier: weight
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def window_seconds(self) -> int:
        return self.share_decay_seconds or DEFAULT_SHARE_WINDOW_SECONDS

    def weight(self, share: str) -> float:
        """The share's weight factor: its own entry, else the longest prefix entry ("team*")
        that matches it, else AWS's default, 1."""
        if share in self.share_distribution:
            return self.share_distribution[share]
        prefixes = [
            entry
            for entry in self.share_distribution
            if entry.endswith("*") and share.startswith(entry[:-1])
        ]
        return self.share_distribution[max(prefixes, key=len)] if prefixes else 1.0

    def describe(self) -> dict[str, Any]:
        distribution = [
            {"shareIdentifier": share, "weightFactor": weight}
            for share, weight in self.share_distribution.items()
        ]
        return present(
            name=self.name,
            arn=self.arn,
            fairsharePolicy={
                "shareDecaySeconds": self.share_decay_seconds,
                "computeReservation": self.compute_reservation,
                "shareDistribution": distribution,
            },
            tags=self.tags,
        )


@dataclass
class ConsumableResource(Saved):
    """What jobs hold in a limited quantity while they run (a licence, a rate-limited
    service: REPLENISHABLE) or use up (NON_REPLENISHABLE: never given back)."""

    name: str
    arn: str
    total: int
    replenishable: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    created_at: int = field(default_factory=now_ms)
    in_use: int = 0  # held by running jobs, or used up

    @property
    def available(self) -> int:
        return max(self.total - self.in_use, 0)

    def summary(self) -> dict[str, Any]:
        return {
            "consumableResourceName": self.name,
            "consumableResourceArn": self.arn,
            "totalQuantity": self.total,
            "inUseQuantity": self.in_use,
            "resourceType": "REPLENISHABLE" if self.replenishable else "NON_REPLENISHABLE",
        }

    def describe(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "availableQuantity": self.available,
            "createdAt": self.created_at,
            "tags": self.tags,
        }


@dataclass
class JobDefinition(Saved):
    name: str
    revision: int
    arn: str
    container_properties: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    retry_strategy: dict[str, Any] | None = None
    timeout: dict[str, Any] | None = None
    platform_capabilities: list[str] = field(default_factory=lambda: ["EC2"])
    status: str = "ACTIVE"
    type: str = "container"
    tags: dict[str, str] = field(default_factory=dict)
    scheduling_priority: int | None = None  # its jobs' in a fair-share queue
    consumable_resource_properties: dict[str, Any] | None = None
    node_properties: dict[str, Any] | None = None  # type multinode: its nodes' containers
    eks_properties: dict[str, Any] | None = None  # a pod's, for EKS compute environments

    @property
    def orchestration(self) -> str:
        return "EKS" if self.eks_properties else "ECS"

    def describe(self) -> dict[str, Any]:
        description = {
            "jobDefinitionName": self.name,
            "jobDefinitionArn": self.arn,
            "revision": self.revision,
            "status": self.status,
            "type": self.type,
            "parameters": self.parameters,
            "platformCapabilities": self.platform_capabilities,
            "tags": self.tags,
        }
        if self.node_properties:
            description["nodeProperties"] = self.node_properties
        elif self.eks_properties:
            description["eksProperties"] = self.eks_properties
        else:
            description["containerProperties"] = self.container_properties
        description["containerOrchestrationType"] = self.orchestration
        if self.retry_strategy:
            description["retryStrategy"] = self.retry_strategy
        if self.timeout:
            description["timeout"] = self.timeout
        if self.scheduling_priority is not None:
            description["schedulingPriority"] = self.scheduling_priority
        if self.consumable_resource_properties:
            description["consumableResourceProperties"] = self.consumable_resource_properties
        return description
