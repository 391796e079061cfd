"""AWS Batch resources and jobs, in memory, with Batch's names, ARNs and job states."""

import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from harness.batch import dependencies, instance_types
from harness.batch.errors import ClientException
from harness.batch.states import FINAL_STATES, JobStatus

VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


# How soon code waiting on a job (for capacity, dependencies, a running container) notices
# that CancelJob or TerminateJob asked it to stop.
STOP_CHECK_SECONDS = 0.2
SUBMISSIONS = itertools.count()  # milliseconds do not order jobs submitted together


def now_ms() -> int:
    return int(time.time() * 1000)


def present(**fields: Any) -> dict[str, Any]:
    """The fields that have a value: Batch leaves unset fields out of its responses."""
    return {name: value for name, value in fields.items() if value is not None}


MIN_ATTEMPT_SECONDS = 60  # AWS Batch's minimum attempt timeout


def check_timeout(timeout: dict[str, Any] | None) -> dict[str, Any] | None:
    seconds = (timeout or {}).get("attemptDurationSeconds")
    if seconds is not None and int(seconds) < MIN_ATTEMPT_SECONDS:
        raise ClientException(
            f"timeout.attemptDurationSeconds must be at least {MIN_ATTEMPT_SECONDS}: {seconds}"
        )
    return timeout


ResourceT = TypeVar("ResourceT", bound="ComputeEnvironment | JobQueue | JobDefinition | Job")
NamedT = TypeVar("NamedT", bound="ComputeEnvironment | JobQueue")


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


MAX_TAGS = 50
FARGATE_MAX_MEMORY_MIB = 120 * 1024  # 16 vCPUs and 120 GiB: the largest Fargate job


def check_tags(tags: dict[str, str]) -> None:
    """AWS's tag rules: at most 50 per resource, keys of 1 to 128 characters not starting
    with `aws:`, values of at most 256."""
    if len(tags) > MAX_TAGS:
        raise ClientException(f"a resource has at most {MAX_TAGS} tags, not {len(tags)}")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise ClientException(
                f"tag key {key!r} is invalid: 1 to 128 characters, not starting with 'aws:'"
            )
        if len(value) > 256:
            raise ClientException(f"the value of tag {key!r} is longer than 256 characters")


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


@dataclass
class ComputeEnvironment:
    name: str
    arn: str
    compute_resources: dict[str, Any]
    type: str = "MANAGED"
    state: str = "ENABLED"
    service_role: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def max_vcpus(self) -> float:
        return float(self.compute_resources.get("maxvCpus", 256))

    @property
    def max_memory_mib_per_job(self) -> int | None:
        """The most memory one job can get: Fargate's 120 GiB; on EC2 the largest instance
        type's memory when every type's memory is known (instance_types.py), else None."""
        if str(self.compute_resources.get("type", "")).startswith("FARGATE"):
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
            "containerOrchestrationType": "ECS",
            "tags": self.tags,
        }
        if self.service_role:
            description["serviceRole"] = self.service_role
        return description


@dataclass
class JobQueue:
    name: str
    arn: str
    priority: int
    compute_environment_order: list[dict[str, Any]]
    state: str = "ENABLED"
    tags: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "jobQueueName": self.name,
            "jobQueueArn": self.arn,
            "state": self.state,
            "status": "VALID",
            "statusReason": "JobQueue Healthy",
            "priority": self.priority,
            "computeEnvironmentOrder": self.compute_environment_order,
            "tags": self.tags,
        }


@dataclass
class JobDefinition:
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

    @property
    def vcpus(self) -> float:
        return vcpus_of(self.container_properties)

    def describe(self) -> dict[str, Any]:
        description = {
            "jobDefinitionName": self.name,
            "jobDefinitionArn": self.arn,
            "revision": self.revision,
            "status": self.status,
            "type": self.type,
            "parameters": self.parameters,
            "containerProperties": self.container_properties,
            "platformCapabilities": self.platform_capabilities,
            "tags": self.tags,
        }
        if self.retry_strategy:
            description["retryStrategy"] = self.retry_strategy
        if self.timeout:
            description["timeout"] = self.timeout
        return description


@dataclass
class Attempt:
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_stream_name: str | None = None
    task_arn: str | None = None

    def describe(self) -> dict[str, Any]:
        container = present(
            exitCode=self.exit_code,
            reason=self.reason,
            logStreamName=self.log_stream_name,
            taskArn=self.task_arn,
        )
        return {
            "container": container,
            **present(
                startedAt=self.started_at,
                stoppedAt=self.stopped_at,
                statusReason=self.status_reason,
            ),
        }


@dataclass
class Job:
    id: str
    name: str
    arn: str
    queue: JobQueue
    compute_environment: ComputeEnvironment
    definition: JobDefinition
    parameters: dict[str, str]
    container_overrides: dict[str, Any]
    retry_strategy: dict[str, Any] | None
    timeout: dict[str, Any] | None
    created_at: int = field(default_factory=now_ms)
    sequence: int = field(default_factory=lambda: next(SUBMISSIONS))  # submission order
    status: JobStatus = JobStatus.SUBMITTED
    status_reason: str | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    history: list[tuple[JobStatus, int]] = field(default_factory=list)
    # dependsOn as submitted, and the jobs it names (None: a SEQUENTIAL array's own order)
    depends_on: list[dict[str, Any]] = field(default_factory=list)
    dependencies: list[tuple["Job | None", str | None]] = field(default_factory=list)
    # an array job's parent has a size and children; each child its index and parent
    array_size: int | None = None
    array_index: int | None = None
    tags: dict[str, str] = field(default_factory=dict)  # an array's children show the parent's
    parent: "Job | None" = None
    children: list["Job"] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.history.append((self.status, self.created_at))
        self.stop_reason: str | None = None  # set by CancelJob or TerminateJob
        self.stopping = threading.Event()
        # set while the running attempt's host is being reclaimed (a Spot interruption)
        self.reclaim_reason: str | None = None
        self.reclaimed = threading.Event()

    def reclaim_host(self) -> str:
        """End the running attempt as a reclaimed Spot instance ends it in AWS: its container
        is stopped and the attempt's statusReason is `Host EC2 (instance i-...) terminated.`;
        the job's retry strategy then decides (unlike TerminateJob)."""
        with self._lock:
            if self.status != JobStatus.RUNNING or self.reclaimed.is_set():
                raise ClientException(
                    f"job {self.id} is {self.status}: only a RUNNING job's host can be reclaimed"
                )
            self.reclaim_reason = f"Host EC2 (instance i-{uuid.uuid4().hex[:17]}) terminated."
            self.reclaimed.set()
            return self.reclaim_reason

    def request_stop(self, reason: str, terminate: bool) -> bool:
        """CancelJob (terminate=False) stops a job that has not reached STARTING; TerminateJob
        stops it in any state but a final one. True when this job will stop."""
        with self._lock:
            if self.status in FINAL_STATES or self.stopping.is_set():
                return False
            if not terminate and self.status in (JobStatus.STARTING, JobStatus.RUNNING):
                return False
            self.stop_reason = reason
            self.stopping.set()
            return True

    # -- what the container runs -------------------------------------------------------------

    @property
    def command(self) -> list[str]:
        """The command with Ref::name placeholders replaced by the job's parameters."""
        command = self.container_overrides.get(
            "command"
        ) or self.definition.container_properties.get("command", [])
        return [self._substitute(part) for part in command]

    def _substitute(self, part: str) -> str:
        if part.startswith("Ref::") and part[5:] in self.parameters:
            return self.parameters[part[5:]]
        return part

    @property
    def container_properties(self) -> dict[str, Any]:
        """The definition's container properties with this job's resource overrides."""
        return with_resource_overrides(
            self.definition.container_properties, self.container_overrides
        )

    @property
    def vcpus(self) -> float:
        return vcpus_of(self.container_properties)

    @property
    def memory_mib(self) -> int | None:
        return memory_mib_of(self.container_properties)

    @property
    def environment(self) -> dict[str, str]:
        """The definition's environment, then the overrides, then Batch's own variables."""
        environment = {
            item["name"]: item["value"]
            for item in self.definition.container_properties.get("environment", [])
        }
        for item in self.container_overrides.get("environment", []):
            environment[item["name"]] = item["value"]
        if self.parent is not None and self.array_index is not None:
            environment["AWS_BATCH_JOB_ARRAY_INDEX"] = str(self.array_index)
            environment["AWS_BATCH_JOB_ARRAY_SIZE"] = str(self.parent.array_size)
        environment.update(
            {
                "AWS_BATCH_JOB_ID": self.id,
                "AWS_BATCH_JOB_ATTEMPT": str(len(self.attempts)),
                "AWS_BATCH_JQ_NAME": self.queue.name,
                "AWS_BATCH_CE_NAME": self.compute_environment.name,
            }
        )
        return environment

    @property
    def attempt_timeout_seconds(self) -> int | None:
        seconds = (self.timeout or {}).get("attemptDurationSeconds")
        return int(seconds) if seconds else None

    # -- state -------------------------------------------------------------------------------

    def transition(self, status: JobStatus, reason: str | None = None) -> None:
        with self._lock:
            stamp = now_ms()
            self.status = status
            if reason is not None:
                self.status_reason = reason
            if status == JobStatus.RUNNING and self.started_at is None:
                self.started_at = stamp
            if status in FINAL_STATES:
                self.stopped_at = stamp
            self.history.append((status, stamp))

    @property
    def is_done(self) -> bool:
        return self.status in FINAL_STATES

    # -- API shapes --------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        container = dict(self.container_properties)
        container["command"] = self.command
        container["environment"] = [
            {"name": name, "value": value} for name, value in self.environment.items()
        ]
        if self.attempts:
            container.update(self.attempts[-1].describe()["container"])
        return {
            "jobArn": self.arn,
            "jobName": self.name,
            "jobId": self.id,
            "jobQueue": self.queue.arn,
            "status": self.status,
            "attempts": [attempt.describe() for attempt in self.attempts],
            "createdAt": self.created_at,
            "dependsOn": self.depends_on,
            "jobDefinition": self.definition.arn,
            "parameters": self.parameters,
            "container": container,
            "platformCapabilities": self.definition.platform_capabilities,
            "tags": self.tags,
            **present(
                statusReason=self.status_reason,
                startedAt=self.started_at,
                stoppedAt=self.stopped_at,
                retryStrategy=self.retry_strategy,
                timeout=self.timeout,
                arrayProperties=self.array_properties(),
            ),
        }

    def array_properties(self) -> dict[str, Any] | None:
        """A parent's size and children per state, a child's index; None for other jobs."""
        if self.array_size is not None:
            counts = {status: 0 for status in JobStatus}
            for child in self.children:
                counts[child.status] += 1
            return {"size": self.array_size, "statusSummary": counts}
        if self.array_index is not None:
            return {"index": self.array_index}
        return None

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "jobArn": self.arn,
            "jobId": self.id,
            "jobName": self.name,
            "createdAt": self.created_at,
            "status": self.status,
            "jobDefinition": self.definition.arn,
            **present(
                statusReason=self.status_reason,
                startedAt=self.started_at,
                stoppedAt=self.stopped_at,
                arrayProperties=self.array_properties(),
            ),
        }
        if self.attempts and self.attempts[-1].exit_code is not None:
            summary["container"] = {"exitCode": self.attempts[-1].exit_code}
        return summary


# Called with each submitted job; runs it to a final state (see executor.py).
JobStarter = Callable[[Job], None]


class BatchBackend:
    """The resources of one account and region, and the jobs submitted to them."""

    def __init__(self, account_id: str, region: str, start_job: JobStarter) -> None:
        self.account_id = account_id
        self.region = region
        self._start_job = start_job
        self._lock = threading.RLock()
        self.compute_environments: dict[str, ComputeEnvironment] = {}
        self.job_queues: dict[str, JobQueue] = {}
        self.job_definitions: dict[str, JobDefinition] = {}  # by ARN
        self.jobs: dict[str, Job] = {}

    def _arn(self, resource: str) -> str:
        return f"arn:aws:batch:{self.region}:{self.account_id}:{resource}"

    # -- tags ----------------------------------------------------------------------------------

    def tagged(self, arn: str) -> "ComputeEnvironment | JobQueue | JobDefinition | Job":
        """The resource with tags at `arn`: a compute environment, job queue, job definition
        revision or job (not an array job's child, as in AWS)."""
        with self._lock:
            resources: list[ComputeEnvironment | JobQueue | JobDefinition | Job] = [
                *self.compute_environments.values(),
                *self.job_queues.values(),
                *self.job_definitions.values(),
                *self.jobs.values(),
            ]
        resource = next((r for r in resources if r.arn == arn), None)
        if resource is None:
            raise ClientException(f"resource {arn} does not exist")
        if isinstance(resource, Job) and resource.parent is not None:
            raise ClientException(f"{arn} is a child of an array job; tag the array job")
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
    ) -> ComputeEnvironment:
        check_name("Compute environment", name)
        with self._lock:
            if name in self.compute_environments:
                raise ClientException(f"Object already exists: compute environment {name}")
            environment = ComputeEnvironment(
                name,
                self._arn(f"compute-environment/{name}"),
                compute_resources,
                type=type,
                state=check_state(state),
                service_role=service_role,
            )
            self.compute_environments[name] = environment
            return environment

    def update_compute_environment(
        self,
        name_or_arn: str,
        state: str | None = None,
        compute_resources: dict[str, Any] | None = None,
    ) -> ComputeEnvironment:
        with self._lock:
            environment = self.find_compute_environment(name_or_arn)
            if state is not None:
                environment.state = check_state(state)
            if compute_resources:
                environment.compute_resources = {
                    **environment.compute_resources,
                    **compute_resources,
                }
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
    ) -> JobQueue:
        check_name("Job queue", name)
        with self._lock:
            if name in self.job_queues:
                raise ClientException(f"Object already exists: job queue {name}")
            order = self._order(name, compute_environment_order)
            queue = JobQueue(
                name, self._arn(f"job-queue/{name}"), priority, order, check_state(state)
            )
            self.job_queues[name] = queue
            return queue

    def update_job_queue(
        self,
        name_or_arn: str,
        state: str | None = None,
        priority: int | None = None,
        compute_environment_order: list[dict[str, Any]] | None = None,
    ) -> JobQueue:
        with self._lock:
            queue = self.find_job_queue(name_or_arn)
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
        """A queue's computeEnvironmentOrder with every environment resolved to its ARN."""
        order = [
            {
                "order": int(entry["order"]),
                "computeEnvironment": self.find_compute_environment(
                    entry["computeEnvironment"]
                ).arn,
            }
            for entry in entries
        ]
        if not order:
            raise ClientException(f"job queue {queue} needs at least one compute environment")
        return order

    def find_job_queue(self, name_or_arn: str) -> JobQueue:
        return named("job queue", self._snapshot(self.job_queues), name_or_arn)

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
    ) -> JobDefinition:
        check_name("Job definition", name)
        if type != "container":
            raise ClientException(f"job definition type {type!r} is not supported locally")
        if not container_properties.get("image"):
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
    ) -> Job:
        check_name("Job", job_name)
        array_size = dependencies.check_array_size(array_properties)
        with self._lock:
            resolved = dependencies.resolve(depends_on, self.jobs, array_size)
            queue = self.find_job_queue(job_queue)
            if queue.state != "ENABLED":
                raise ClientException(f"job queue {queue.name} is {queue.state}")
            definition = self.find_job_definition(job_definition)
            if definition.status != "ACTIVE":
                raise ClientException(f"job definition {definition.arn} is INACTIVE")
            environment = self._compute_environment_for(queue)
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
            )
            self.jobs[job_id] = job
            for index in range(array_size or 0):
                child = replace(
                    job,
                    id=f"{job_id}:{index}",
                    arn=f"{job.arn}:{index}",
                    array_size=None,
                    array_index=index,
                    parent=job,
                    children=[],
                    history=[],
                    attempts=[],
                    depends_on=[],
                    dependencies=[],
                )
                job.children.append(child)
                self.jobs[child.id] = child
        self._start_job(job)
        return job

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
    ) -> list[Job]:
        """A queue's jobs (array children not among them), or an array job's children; in one
        state (RUNNING when no state is given, as in AWS)."""
        if (job_status or JobStatus.RUNNING) not in JobStatus.__members__:
            raise ClientException(f"jobStatus must be one of {', '.join(JobStatus)}")
        status = JobStatus(job_status or JobStatus.RUNNING)
        if array_job_id:
            parent = self.jobs.get(array_job_id)
            if parent is None or parent.array_size is None:
                raise ClientException(f"{array_job_id} is not an array job")
            return [child for child in parent.children if child.status == status]
        if not job_queue:
            raise ClientException("jobQueue or arrayJobId is required")
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
