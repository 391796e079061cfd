"""The Batch stand-in's backend: the resources of one account and region and the jobs
submitted to them, behind one lock."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from harness.batch import dependencies, eks, nodes
from harness.batch.errors import ClientException, ObjectAlreadyExists
from harness.batch.jobs import Job
from harness.batch.resources import (
    ComputeEnvironment,
    ConsumableResource,
    JobDefinition,
    JobQueue,
    SchedulingPolicy,
    matching,
    named,
)
from harness.batch.scheduling import MAX_SHARES, check_fairshare_policy, check_scheduling_priority
from harness.batch.states import JobStatus
from harness.batch.validation import (
    check_consumable_resource_properties,
    check_name,
    check_state,
    check_tags,
    check_timeout,
)
from harness.waiting import wait_until

Tagged = ComputeEnvironment | JobQueue | JobDefinition | SchedulingPolicy | ConsumableResource | Job
ResourceT = TypeVar("ResourceT", bound=Tagged)
QUANTITY_UPDATES = ("SET", "ADD", "REMOVE")


# Called with each submitted job; runs it to a final state (see executor.py).
JobStarter = Callable[[Job], None]
NODES_NEED_A_BRIDGE = (
    "a multi-node parallel job needs an address for each of its nodes, and this Batch "
    "stand-in runs jobs on the host network with no other network for the nodes "
    "(BatchService's node_network)"
)


class BatchBackend:
    """The resources of one account and region, and the jobs submitted to them."""

    def __init__(
        self,
        account_id: str,
        region: str,
        start_job: JobStarter,
        nodes_have_addresses: bool = False,
    ) -> None:
        """`nodes_have_addresses`: job containers run on a bridge network, where each gets an
        address of its own (multi-node parallel jobs need that)."""
        self.account_id = account_id
        self.region = region
        self._start_job = start_job
        self.nodes_have_addresses = nodes_have_addresses
        self._lock = threading.RLock()
        self.compute_environments: dict[str, ComputeEnvironment] = {}
        self.job_queues: dict[str, JobQueue] = {}
        self.job_definitions: dict[str, JobDefinition] = {}  # by ARN
        self.scheduling_policies: dict[str, SchedulingPolicy] = {}  # by name
        self.consumable_resources: dict[str, ConsumableResource] = {}  # by name
        self.jobs: dict[str, Job] = {}

    def _arn(self, resource: str) -> str:
        return f"arn:aws:batch:{self.region}:{self.account_id}:{resource}"

    # -- tags ----------------------------------------------------------------------------------

    def tagged(self, arn: str) -> Tagged:
        """The resource with tags at `arn`: a compute environment, job queue, job definition
        revision, scheduling policy or job (not an array job's child, as in AWS)."""
        with self._lock:
            resources: list[Tagged] = [
                *self.compute_environments.values(),
                *self.job_queues.values(),
                *self.job_definitions.values(),
                *self.scheduling_policies.values(),
                *self.consumable_resources.values(),
                *self.jobs.values(),
            ]
        resource = next((r for r in resources if r.arn == arn), None)
        if resource is None:
            raise ClientException(f"resource {arn} does not exist")
        if isinstance(resource, Job) and resource.parent is not None:
            raise ClientException(
                f"{arn} is a child of an array job or a node of a multi-node job; tag that job"
            )
        return resource

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        resource = self.tagged(arn)
        check_tags({**resource.tags, **tags})
        resource.tags.update(tags)

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        resource = self.tagged(arn)
        for key in keys:
            resource.tags.pop(key, None)

    # -- compute environments ----------------------------------------------------------------

    def create_compute_environment(
        self,
        name: str,
        compute_resources: dict[str, Any],
        type: str = "MANAGED",
        state: str = "ENABLED",
        service_role: str | None = None,
        tags: dict[str, str] | None = None,
        eks_configuration: dict[str, Any] | None = None,
    ) -> ComputeEnvironment:
        check_name("Compute environment", name)
        tags = check_tags(tags)
        if eks_configuration is not None:
            eks.check_eks_configuration(eks_configuration, compute_resources)
        with self._lock:
            if name in self.compute_environments:
                raise ObjectAlreadyExists()
            environment = ComputeEnvironment(
                name,
                self._arn(f"compute-environment/{name}"),
                compute_resources,
                type=type,
                state=check_state(state),
                service_role=service_role,
                tags=tags,
                eks_configuration=eks_configuration,
            )
            self.compute_environments[name] = environment
            return environment

    def update_compute_environment(
        self,
        name_or_arn: str,
        state: str | None = None,
        compute_resources: dict[str, Any] | None = None,
        service_role: str | None = None,
    ) -> ComputeEnvironment:
        """The fields given change; those of computeResources one by one, as AWS updates
        them (ComputeResourceUpdate)."""
        with self._lock:
            environment = self.find_compute_environment(name_or_arn)
            if state is not None:
                environment.state = check_state(state)
            if compute_resources:
                environment.compute_resources = {
                    **environment.compute_resources,
                    **compute_resources,
                }
            if service_role is not None:
                environment.service_role = service_role
            return environment

    def delete_compute_environment(self, name_or_arn: str) -> None:
        """As in AWS: only a DISABLED environment that no job queue uses."""
        with self._lock:
            environment = self.find_compute_environment(name_or_arn)
            if environment.state != "DISABLED":
                raise ClientException(
                    f"Cannot delete compute environment {environment.name}: it is "
                    f"{environment.state}; disable it with UpdateComputeEnvironment first"
                )
            users = [
                q.name
                for q in self.job_queues.values()
                if any(
                    e["computeEnvironment"] == environment.arn for e in q.compute_environment_order
                )
            ]
            if users:
                raise ClientException(
                    f"Cannot delete compute environment {environment.name}: job queues "
                    f"{', '.join(users)} use it"
                )
            self.compute_environments.pop(environment.name)

    def find_compute_environment(self, name_or_arn: str) -> ComputeEnvironment:
        return named("compute environment", self._snapshot(self.compute_environments), name_or_arn)

    # -- job queues --------------------------------------------------------------------------

    def create_job_queue(
        self,
        name: str,
        priority: int,
        compute_environment_order: list[dict[str, Any]],
        state: str = "ENABLED",
        tags: dict[str, str] | None = None,
        state_time_limit_actions: tuple[dict[str, Any], ...] = (),
        scheduling_policy_arn: str | None = None,
    ) -> JobQueue:
        check_name("Job queue", name)
        tags = check_tags(tags)
        with self._lock:
            if name in self.job_queues:
                raise ObjectAlreadyExists()
            order = self._order(name, compute_environment_order)
            queue = JobQueue(
                name,
                self._arn(f"job-queue/{name}"),
                priority,
                order,
                check_state(state),
                tags=tags,
                state_time_limit_actions=state_time_limit_actions,
                scheduling_policy=(
                    self.find_scheduling_policy(scheduling_policy_arn)
                    if scheduling_policy_arn
                    else None
                ),
            )
            self.job_queues[name] = queue
            return queue

    def update_job_queue(
        self,
        name_or_arn: str,
        state: str | None = None,
        priority: int | None = None,
        compute_environment_order: list[dict[str, Any]] | None = None,
        state_time_limit_actions: tuple[dict[str, Any], ...] | None = None,
        scheduling_policy_arn: str | None = None,
    ) -> JobQueue:
        with self._lock:
            queue = self.find_job_queue(name_or_arn)
            if scheduling_policy_arn:
                if queue.scheduling_policy is None:
                    raise ClientException(
                        f"job queue {queue.name} is first in, first out: a scheduling policy "
                        "can't be added to it (create a queue with one)"
                    )
                queue.scheduling_policy = self.find_scheduling_policy(scheduling_policy_arn)
            if state_time_limit_actions is not None:
                queue.state_time_limit_actions = state_time_limit_actions
            if state is not None:
                queue.state = check_state(state)
            if priority is not None:
                queue.priority = int(priority)
            if compute_environment_order is not None:
                queue.compute_environment_order = self._order(queue.name, compute_environment_order)
            return queue

    def delete_job_queue(self, name_or_arn: str) -> None:
        """As in AWS: only a DISABLED queue; the jobs it still holds are terminated."""
        with self._lock:
            queue = self.find_job_queue(name_or_arn)
            if queue.state != "DISABLED":
                raise ClientException(
                    f"Cannot delete job queue {queue.name}: it is {queue.state}; disable it "
                    "with UpdateJobQueue first"
                )
            self.job_queues.pop(queue.name)
            for job in self.jobs.values():
                if job.queue is queue:
                    job.request_stop("Job queue deleted", terminate=True)

    def reclaim_host(self, job_id: str) -> str:
        job = self.jobs.get(job_id)
        if job is None:
            raise ClientException(f"job {job_id} does not exist")
        return job.reclaim_host()

    def forget_jobs(self, reason: str, timeout: float = 60) -> int:
        """Terminate every job not yet ended, wait (up to `timeout` s) for them to end, then
        drop the job history; how many jobs it held. Queues, environments and definitions
        stay."""
        jobs = self._snapshot(self.jobs)
        for job in jobs:
            job.request_stop(reason, terminate=True)
        wait_until(lambda: all(job.is_done for job in jobs) or None, timeout, interval=0.1)
        with self._lock:
            self.jobs.clear()
        return len(jobs)

    # -- saved state ---------------------------------------------------------------------------

    def saved(self) -> dict[str, Any]:
        """The resources and jobs, for the engine's saved state (pickled together, so a job
        and its queue stay one object)."""
        with self._lock:
            return {
                "compute_environments": dict(self.compute_environments),
                "job_queues": dict(self.job_queues),
                "job_definitions": dict(self.job_definitions),
                "scheduling_policies": dict(self.scheduling_policies),
                "consumable_resources": dict(self.consumable_resources),
                "jobs": dict(self.jobs),
            }

    def has_unfinished_jobs(self) -> bool:
        with self._lock:
            return any(not job.is_done for job in self.jobs.values())

    def unfinished_jobs(self) -> list[Job]:
        """Its jobs not yet ended, array children among them."""
        with self._lock:
            return [job for job in self.jobs.values() if not job.is_done]

    def load(self, saved: dict[str, Any]) -> list[Job]:
        """Take saved resources and jobs (into an empty backend); returns the unfinished
        jobs, array children excluded (their parent resumes them)."""
        with self._lock:
            self.compute_environments.update(saved["compute_environments"])
            self.job_queues.update(saved["job_queues"])
            self.job_definitions.update(saved["job_definitions"])
            self.scheduling_policies.update(saved.get("scheduling_policies", {}))
            self.consumable_resources.update(saved.get("consumable_resources", {}))
            for resource in self.consumable_resources.values():
                if resource.replenishable:  # the jobs still running hold theirs again
                    resource.in_use = 0
            self.jobs.update(saved["jobs"])
            jobs = list(self.jobs.values())
        return [job for job in jobs if not job.is_done and job.parent is None]

    def stop_job(self, job_id: str, reason: str, terminate: bool) -> None:
        """CancelJob / TerminateJob; succeeds (stopping nothing) for a job past their reach."""
        if not reason:
            raise ClientException("reason is required")
        job = self.jobs.get(job_id)
        if job is None:
            raise ClientException(f"job {job_id} does not exist")
        for each in [job, *job.children]:  # on an array parent: every child
            each.request_stop(reason, terminate)

    def _order(self, queue: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A queue's computeEnvironmentOrder with every environment resolved to its ARN; its
        environments all of ECS or all of EKS, as AWS requires."""
        environments = [self.find_compute_environment(e["computeEnvironment"]) for e in entries]
        order = [
            {"order": int(entry["order"]), "computeEnvironment": environment.arn}
            for entry, environment in zip(entries, environments, strict=True)
        ]
        if not order:
            raise ClientException(f"job queue {queue} needs at least one compute environment")
        if len({environment.orchestration for environment in environments}) > 1:
            raise ClientException(
                f"job queue {queue}: its compute environments must all be of ECS or all of EKS"
            )
        return order

    def job_queue_type(self, queue: JobQueue) -> str:
        """EKS, ECS or ECS_FARGATE, from the queue's first compute environment."""
        first = queue.compute_environment_order[0]["computeEnvironment"]
        return self.find_compute_environment(first).job_queue_type

    def find_job_queue(self, name_or_arn: str) -> JobQueue:
        return named("job queue", self._snapshot(self.job_queues), name_or_arn)

    # -- scheduling policies -----------------------------------------------------------------

    def create_scheduling_policy(
        self, name: str, fairshare_policy: dict[str, Any] | None, tags: dict[str, str] | None
    ) -> SchedulingPolicy:
        check_name("Scheduling policy", name)
        tags = check_tags(tags)
        decay, reservation, distribution = check_fairshare_policy(fairshare_policy or {})
        with self._lock:
            if name in self.scheduling_policies:
                raise ObjectAlreadyExists()
            policy = SchedulingPolicy(
                name,
                self._arn(f"scheduling-policy/{name}"),
                decay,
                reservation,
                distribution,
                tags,
            )
            self.scheduling_policies[name] = policy
            return policy

    def update_scheduling_policy(self, arn: str, fairshare_policy: dict[str, Any]) -> None:
        decay, reservation, distribution = check_fairshare_policy(fairshare_policy)
        with self._lock:
            policy = self.find_scheduling_policy(arn)
            policy.share_decay_seconds, policy.compute_reservation = decay, reservation
            policy.share_distribution = distribution

    def delete_scheduling_policy(self, arn: str) -> None:
        """As in AWS: not while a job queue uses it."""
        with self._lock:
            policy = self.find_scheduling_policy(arn)
            users = [q.name for q in self.job_queues.values() if q.scheduling_policy is policy]
            if users:
                raise ClientException(
                    f"scheduling policy {policy.name} is used by job queue {users[0]}; delete "
                    "the queue first"
                )
            del self.scheduling_policies[policy.name]

    def find_scheduling_policy(self, arn: str) -> SchedulingPolicy:
        """By ARN (the API names policies by ARN only)."""
        for policy in self._snapshot(self.scheduling_policies):
            if policy.arn == arn:
                return policy
        raise ClientException(f"scheduling policy {arn} does not exist")

    def describe_scheduling_policies(self, arns: list[str]) -> list[SchedulingPolicy]:
        policies = self._snapshot(self.scheduling_policies)
        return [policy for policy in policies if policy.arn in set(arns)]

    def list_scheduling_policies(self) -> list[SchedulingPolicy]:
        return sorted(self._snapshot(self.scheduling_policies), key=lambda p: p.name)

    # -- consumable resources ----------------------------------------------------------------

    def create_consumable_resource(
        self,
        name: str,
        total: int,
        resource_type: str = "REPLENISHABLE",
        tags: dict[str, str] | None = None,
    ) -> ConsumableResource:
        check_name("Consumable resource", name)
        tags = check_tags(tags)
        if resource_type not in ("REPLENISHABLE", "NON_REPLENISHABLE"):
            raise ClientException(
                f"resourceType must be REPLENISHABLE or NON_REPLENISHABLE, not {resource_type!r}"
            )
        if total < 0:
            raise ClientException(f"totalQuantity must not be negative: {total}")
        with self._lock:
            if name in self.consumable_resources:
                raise ObjectAlreadyExists()
            resource = ConsumableResource(
                name,
                self._arn(f"consumable-resource/{name}"),
                total,
                replenishable=resource_type == "REPLENISHABLE",
                tags=tags,
            )
            self.consumable_resources[name] = resource
            return resource

    def update_consumable_resource(
        self, name_or_arn: str, operation: str, quantity: int
    ) -> ConsumableResource:
        """SET, ADD or REMOVE units of the total; units in use stay held until their jobs end."""
        if operation not in QUANTITY_UPDATES:
            raise ClientException(
                f"operation must be one of {', '.join(QUANTITY_UPDATES)}, not {operation!r}"
            )
        if quantity < 0:
            raise ClientException(f"quantity must not be negative: {quantity}")
        with self._lock:
            resource = self.find_consumable_resource(name_or_arn)
            total = {"SET": quantity, "ADD": resource.total + quantity}.get(
                operation, resource.total - quantity
            )
            if total < 0:
                raise ClientException(
                    f"consumable resource {resource.name} has {resource.total}: removing "
                    f"{quantity} would leave fewer than none"
                )
            resource.total = total
            return resource

    def delete_consumable_resource(self, name_or_arn: str) -> None:
        with self._lock:
            resource = self.find_consumable_resource(name_or_arn)
            users = self.jobs_using(resource, ended=False)
            if users:
                raise ClientException(
                    f"consumable resource {resource.name} is used by job {users[0].id}, which "
                    "has not ended"
                )
            del self.consumable_resources[resource.name]

    def find_consumable_resource(self, name_or_arn: str) -> ConsumableResource:
        return named("consumable resource", self._snapshot(self.consumable_resources), name_or_arn)

    def list_consumable_resources(self, names: list[str] | None = None) -> list[ConsumableResource]:
        """Every consumable resource, or those whose name is in `names` (a name ending in *
        matches by prefix)."""
        resources = sorted(self._snapshot(self.consumable_resources), key=lambda r: r.name)
        if not names:
            return resources
        return [
            r
            for r in resources
            if any(r.name.startswith(n[:-1]) if n.endswith("*") else r.name == n for n in names)
        ]

    def jobs_using(self, resource: ConsumableResource, ended: bool = True) -> list[Job]:
        """The jobs that name the resource (not array children), oldest first."""
        return [
            job
            for job in self._snapshot(self.jobs)
            if job.parent is None
            and any(used is resource for used, _ in job.consumables)
            and (ended or not job.is_done)
        ]

    def _consumables(
        self, definition: JobDefinition, override: dict[str, Any] | None
    ) -> tuple[tuple[ConsumableResource, int], ...]:
        """The job's consumable resources: its override's list, else its definition's."""
        properties = override if override is not None else definition.consumable_resource_properties
        entries = check_consumable_resource_properties(properties)
        return tuple(
            (self.find_consumable_resource(entry["consumableResource"]), entry["quantity"])
            for entry in entries
        )

    # -- job definitions ---------------------------------------------------------------------

    def register_job_definition(
        self,
        name: str,
        container_properties: dict[str, Any],
        parameters: dict[str, str] | None = None,
        retry_strategy: dict[str, Any] | None = None,
        timeout: dict[str, Any] | None = None,
        platform_capabilities: list[str] | None = None,
        type: str = "container",
        tags: dict[str, str] | None = None,
        scheduling_priority: int | None = None,
        consumable_resource_properties: dict[str, Any] | None = None,
        node_properties: dict[str, Any] | None = None,
        eks_properties: dict[str, Any] | None = None,
    ) -> JobDefinition:
        check_name("Job definition", name)
        scheduling_priority = check_scheduling_priority(scheduling_priority, "schedulingPriority")
        for entry in check_consumable_resource_properties(consumable_resource_properties):
            self.find_consumable_resource(entry["consumableResource"])
        tags = check_tags(tags)
        if type == "multinode":
            if container_properties or eks_properties:
                raise ClientException(
                    "a multinode job definition gives each node range its container in "
                    "nodeProperties, not containerProperties or eksProperties"
                )
            if "FARGATE" in (platform_capabilities or []):
                raise ClientException(
                    "multi-node parallel jobs run on EC2 compute environments only, not FARGATE"
                )
            node_properties = nodes.check_node_properties(node_properties)
        elif type != "container":
            raise ClientException(
                f"job definition type {type!r} is not supported locally (container and "
                "multinode are)"
            )
        elif node_properties:
            raise ClientException("nodeProperties is for job definitions of type multinode")
        elif eks_properties is not None:
            if container_properties:
                raise ClientException("a job definition has containerProperties or eksProperties")
            eks.check_eks_properties(eks_properties)
        elif not container_properties.get("image"):
            raise ClientException("containerProperties.image is required")
        with self._lock:
            revision = 1 + max(
                (d.revision for d in self.job_definitions.values() if d.name == name), default=0
            )
            definition = JobDefinition(
                name=name,
                revision=revision,
                arn=self._arn(f"job-definition/{name}:{revision}"),
                container_properties=container_properties,
                parameters=dict(parameters or {}),
                retry_strategy=retry_strategy,
                timeout=check_timeout(timeout),
                platform_capabilities=list(platform_capabilities or ["EC2"]),
                tags=tags,
                scheduling_priority=scheduling_priority,
                consumable_resource_properties=consumable_resource_properties or None,
                type=type,
                node_properties=node_properties or None,
                eks_properties=eks_properties,
            )
            self.job_definitions[definition.arn] = definition
            return definition

    def deregister_job_definition(self, name_or_arn: str) -> None:
        with self._lock:
            self.find_job_definition(name_or_arn).status = "INACTIVE"

    def find_job_definition(self, reference: str) -> JobDefinition:
        """By ARN, by name:revision, or by name (its latest ACTIVE revision)."""
        if reference in self.job_definitions:
            return self.job_definitions[reference]
        name, _, revision = reference.rpartition("/")[2].partition(":")
        candidates = [
            d
            for d in self.job_definitions.values()
            if d.name == name
            and (str(d.revision) == revision or (not revision and d.status == "ACTIVE"))
        ]
        if not candidates:
            raise ClientException(f"job definition {reference} does not exist")
        return max(candidates, key=lambda d: d.revision)

    # -- jobs --------------------------------------------------------------------------------

    def submit_job(
        self,
        job_name: str,
        job_queue: str,
        job_definition: str,
        parameters: dict[str, str] | None = None,
        container_overrides: dict[str, Any] | None = None,
        retry_strategy: dict[str, Any] | None = None,
        timeout: dict[str, Any] | None = None,
        array_properties: dict[str, Any] | None = None,
        depends_on: list[dict[str, Any]] | None = None,
        tags: dict[str, str] | None = None,
        share_identifier: str | None = None,
        scheduling_priority_override: int | None = None,
        consumable_resource_properties_override: dict[str, Any] | None = None,
        node_overrides: dict[str, Any] | None = None,
        eks_properties_override: dict[str, Any] | None = None,
    ) -> Job:
        check_name("Job", job_name)
        tags = check_tags(tags)
        array_size = dependencies.check_array_size(array_properties)
        override = check_scheduling_priority(
            scheduling_priority_override, "schedulingPriorityOverride"
        )
        with self._lock:
            resolved = dependencies.resolve(depends_on, self.jobs, array_size)
            queue = self.find_job_queue(job_queue)
            if queue.state != "ENABLED":
                raise ClientException(f"job queue {queue.name} is {queue.state}")
            definition = self.find_job_definition(job_definition)
            if definition.status != "ACTIVE":
                raise ClientException(f"job definition {definition.arn} is INACTIVE")
            priority = self._fair_share(queue, definition, share_identifier, override)
            consumables = self._consumables(definition, consumable_resource_properties_override)
            environment = self._compute_environment_for(queue)
            node_properties = self._node_properties(
                definition, environment, node_overrides, array_size
            )
            if definition.orchestration != environment.orchestration:
                raise ClientException(
                    f"job definition {definition.arn} is for {definition.orchestration} and job "
                    f"queue {queue.name} runs jobs on {environment.orchestration}"
                )
            eks_override = eks.check_eks_override(
                eks_properties_override, definition.eks_properties
            )
            if definition.eks_properties and container_overrides:
                raise ClientException(
                    "containerOverrides is for ECS jobs: override an EKS job's container with "
                    "eksPropertiesOverride"
                )
            job_id = str(uuid.uuid4())
            job = Job(
                id=job_id,
                name=job_name,
                arn=self._arn(f"job/{job_id}"),
                queue=queue,
                compute_environment=environment,
                definition=definition,
                parameters={**definition.parameters, **(parameters or {})},
                container_overrides=container_overrides or {},
                retry_strategy=retry_strategy or definition.retry_strategy,
                timeout=check_timeout(timeout) or definition.timeout,
                depends_on=list(depends_on or []),
                dependencies=resolved,
                array_size=array_size,
                tags=tags,
                share_identifier=share_identifier,
                scheduling_priority=priority,
                consumables=consumables,
                node_properties=node_properties,
                eks_override=eks_override,
            )
            self.jobs[job_id] = job
            for index in range(node_properties["numNodes"] if node_properties else 0):
                self._add_node(job, index, node_overrides or {})
            for index in range(array_size or 0):
                self._add_child(job, f":{index}", array_size=None, array_index=index)
        self._start_job(job)
        return job

    def _node_properties(
        self,
        definition: JobDefinition,
        environment: ComputeEnvironment,
        overrides: dict[str, Any] | None,
        array_size: int | None,
    ) -> dict[str, Any] | None:
        """A multi-node job's nodeProperties (numNodes as overridden), once the stand-in can
        give each node an address of its own; None for a single-node job."""
        if definition.node_properties is None:
            if overrides:
                raise ClientException(
                    f"nodeOverrides is for multi-node jobs: {definition.arn} is not multinode"
                )
            return None
        if array_size:
            raise ClientException("a multi-node parallel job cannot be an array job")
        kind = environment.compute_resources.get("type")
        if environment.type == "UNMANAGED" or kind != "EC2":
            raise ClientException(
                f"compute environment {environment.name} is {kind or environment.type}: "
                "multi-node parallel jobs run on managed EC2 compute environments only (not "
                "Fargate, Spot or unmanaged ones)"
            )
        if not self.nodes_have_addresses:
            raise ClientException(NODES_NEED_A_BRIDGE)
        return nodes.check_node_overrides(overrides, definition.node_properties)

    def _add_node(self, job: Job, index: int, overrides: dict[str, Any]) -> None:
        """Node job `index` of a multi-node job, listed as AWS lists it (<job id>#<index>)."""
        assert job.node_properties is not None
        self._add_child(
            job,
            f"#{index}",
            node_properties=None,
            node_index=index,
            node_container=nodes.node_container(job.node_properties, index),
            container_overrides=nodes.node_overrides(
                overrides, index, job.node_properties["numNodes"]
            ),
        )

    def _add_child(self, job: Job, suffix: str, **fields: Any) -> None:
        """A child of `job` (an array's child or a multi-node job's node), its id and ARN
        the job's with `suffix`: a copy of the job with `fields`, its own history and
        attempts, and no dependencies of its own."""
        child = replace(
            job,
            id=f"{job.id}{suffix}",
            arn=f"{job.arn}{suffix}",
            parent=job,
            children=[],
            history=[],
            attempts=[],
            depends_on=[],
            dependencies=[],
            **fields,
        )
        job.children.append(child)
        self.jobs[child.id] = child

    def _fair_share(
        self,
        queue: JobQueue,
        definition: JobDefinition,
        share: str | None,
        override: int | None,
    ) -> int | None:
        """The job's scheduling priority in a fair-share queue (None in a FIFO one), once its
        share identifier is checked as AWS checks it."""
        if queue.scheduling_policy is None:
            if share is not None:
                raise ClientException(
                    f"shareIdentifier can't be specified: job queue {queue.name} has no "
                    "scheduling policy"
                )
            return None
        if not share:
            raise ClientException("shareIdentifier must be specified.")
        if override is None and definition.scheduling_priority is None:
            raise ClientException(
                "Either schedulingPriority in job definition or schedulingPriorityOverride "
                "should be specified."
            )
        active = {
            job.share_identifier
            for job in self.jobs.values()
            if job.queue is queue and not job.is_done
        }
        if share not in active and len(active) >= MAX_SHARES:
            raise ClientException(
                f"job queue {queue.name} has {MAX_SHARES} active share identifiers, the most "
                "it can have"
            )
        return override if override is not None else definition.scheduling_priority

    def _compute_environment_for(self, queue: JobQueue) -> ComputeEnvironment:
        """The queue's first ENABLED environment, else its first: the job then waits in
        RUNNABLE until that one is enabled, as in AWS."""
        environments = [
            self.find_compute_environment(entry["computeEnvironment"])
            for entry in sorted(queue.compute_environment_order, key=lambda e: e["order"])
        ]
        enabled = [e for e in environments if e.state == "ENABLED"]
        return (enabled or environments)[0]

    def _snapshot(self, resources: dict[str, ResourceT]) -> list[ResourceT]:
        """The resources as they are now, read under the lock their writers hold."""
        with self._lock:
            return list(resources.values())

    def describe_jobs(self, job_ids: list[str]) -> list[Job]:
        if len(job_ids) > 100:
            raise ClientException("describe_jobs accepts at most 100 job ids")
        with self._lock:
            return [self.jobs[job_id] for job_id in job_ids if job_id in self.jobs]

    def list_jobs(
        self,
        job_queue: str | None,
        job_status: str | None = None,
        array_job_id: str | None = None,
        multi_node_job_id: str | None = None,
    ) -> list[Job]:
        """A queue's jobs (array children and node jobs not among them), an array job's
        children or a multi-node job's nodes; in one state (RUNNING when no state is given,
        as in AWS)."""
        if (job_status or JobStatus.RUNNING) not in JobStatus.__members__:
            raise ClientException(f"jobStatus must be one of {', '.join(JobStatus)}")
        status = JobStatus(job_status or JobStatus.RUNNING)
        if array_job_id:
            parent = self.jobs.get(array_job_id)
            if parent is None or parent.array_size is None:
                raise ClientException(f"{array_job_id} is not an array job")
            return [child for child in parent.children if child.status == status]
        if multi_node_job_id:
            parent = self.jobs.get(multi_node_job_id)
            if parent is None or not parent.node_properties:
                raise ClientException(f"{multi_node_job_id} is not a multi-node parallel job")
            return [node for node in parent.children if node.status == status]
        if not job_queue:
            raise ClientException("jobQueue, arrayJobId or multiNodeJobId is required")
        queue = self.find_job_queue(job_queue)
        jobs = [
            j
            for j in self._snapshot(self.jobs)
            if j.queue is queue and j.parent is None and j.status == status
        ]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)

    def describe_job_queues(self, names: list[str] | None = None) -> list[JobQueue]:
        return matching(self._snapshot(self.job_queues), names)

    def describe_compute_environments(
        self, names: list[str] | None = None
    ) -> list[ComputeEnvironment]:
        return matching(self._snapshot(self.compute_environments), names)

    def describe_job_definitions(
        self,
        references: list[str] | None = None,
        name: str | None = None,
        status: str | None = None,
    ) -> list[JobDefinition]:
        definitions = self._snapshot(self.job_definitions)
        if references:
            wanted = set(references)
            definitions = [
                d for d in definitions if {d.arn, d.name, f"{d.name}:{d.revision}"} & wanted
            ]
        if name:
            definitions = [d for d in definitions if d.name == name]
        if status:
            definitions = [d for d in definitions if d.status == status]
        return definitions
