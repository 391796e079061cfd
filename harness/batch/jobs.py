"""A job and its attempts: Batch's job states, retries, timeouts, array children and Spot
reclaim, as the stand-in runs them."""

import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.batch import eks
from harness.batch.clock import now_ms
from harness.batch.errors import ClientException
from harness.batch.resources import (
    ComputeEnvironment,
    ConsumableResource,
    JobDefinition,
    JobQueue,
    Saved,
    memory_mib_of,
    present,
    vcpus_of,
    with_resource_overrides,
)
from harness.batch.states import FINAL_STATES, JobStatus

# How soon code waiting on a job (for capacity, dependencies, a running container) notices
# that CancelJob or TerminateJob asked it to stop.
STOP_CHECK_SECONDS = 0.2
SUBMISSIONS = itertools.count()  # milliseconds do not order jobs submitted together


def continue_submissions(after: int) -> None:
    """Number later submissions after `after` (the last of jobs restored from saved state)."""
    global SUBMISSIONS
    SUBMISSIONS = itertools.count(after + 1)


@dataclass(frozen=True)
class ContainerSpec:
    """One container of an attempt: its name in Docker, its container properties, what it
    runs and with which variables, its vCPUs; `container` the pod's name for it."""

    name: str
    properties: dict[str, Any]
    command: list[str]
    entrypoint: list[str] | None
    environment: dict[str, str]
    vcpus: float
    container: str = ""


@dataclass
class Attempt(Saved):
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_stream_name: str | None = None
    task_arn: str | None = None
    container_instance_arn: str | None = None  # on EC2 only, as in AWS
    container_id: str | None = None  # the Docker container's (an EKS attempt's containerID)
    # the container's address on the harness's bridge network (none on the host network)
    private_ipv4_address: str | None = None
    # an EKS pod's containers and init containers as they ended (runner._run_pod)
    pod: dict[str, list[dict[str, Any]]] | None = None

    def describe(self) -> dict[str, Any]:
        interfaces = [{"privateIpv4Address": self.private_ipv4_address}]
        container = present(
            exitCode=self.exit_code,
            reason=self.reason,
            logStreamName=self.log_stream_name,
            taskArn=self.task_arn,
            containerInstanceArn=self.container_instance_arn,
            networkInterfaces=interfaces if self.private_ipv4_address else None,
        )
        return {
            "container": container,
            **present(
                startedAt=self.started_at,
                stoppedAt=self.stopped_at,
                statusReason=self.status_reason,
            ),
        }

    @property
    def succeeded(self) -> bool:
        """It ended with exit code 0 and nothing against it: a stop, a time-out, a reclaimed
        host or an out-of-memory kill each leave their reason."""
        return self.stopped_at is not None and self.exit_code == 0 and self.status_reason is None


@dataclass
class Job(Saved):
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
    # in a fair-share queue: its share, and its priority within the share (higher first)
    share_identifier: str | None = None
    scheduling_priority: int | None = None
    # the consumable resources it holds while it runs, and how many of each
    consumables: tuple[tuple[ConsumableResource, int], ...] = ()
    # a multi-node parallel job has its nodeProperties and a node job per node (`children`);
    # a node job its index and the container of its node range
    node_properties: dict[str, Any] | None = None
    node_index: int | None = None
    node_container: dict[str, Any] | None = None
    # a job of an EKS definition: SubmitJob's override of its pod (eks.check_eks_override)
    eks_override: dict[str, Any] = field(default_factory=dict)
    # a CancelJob or TerminateJob request it accepted (isCancelled, isTerminated)
    cancel_accepted: bool = False
    terminate_accepted: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.history.append((self.status, self.created_at))
        self.stop_reason: str | None = None  # set by CancelJob or TerminateJob
        self.stopping = threading.Event()
        # set while the running attempt's host is being reclaimed (a Spot interruption)
        self.reclaim_reason: str | None = None
        self.reclaimed = threading.Event()

    def __getstate__(self) -> dict[str, Any]:
        """The job as data, for the engine's saved state: its locks and events stay out, and
        a stop or reclaim in progress is not saved (the job resumes without one)."""
        state = dict(self.__dict__)
        for transient in ("_lock", "stopping", "reclaimed", "stop_reason", "reclaim_reason"):
            state.pop(transient)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._lock = threading.Lock()
        self.stop_reason = None
        self.stopping = threading.Event()
        self.reclaim_reason = None
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

    def request_stop(self, reason: str, terminate: bool, requested: bool = True) -> bool:
        """CancelJob (terminate=False) stops a job that has not reached STARTING; TerminateJob
        stops it in any state but a final one. True when this job will stop. `requested`:
        a request AWS would answer with isCancelled or isTerminated (not the stand-in's own
        stop of a multi-node job's nodes)."""
        with self._lock:
            if self.status in FINAL_STATES or self.stopping.is_set():
                return False
            if not terminate and self.status in (JobStatus.STARTING, JobStatus.RUNNING):
                return False
            self.stop_reason = reason
            self.stopping.set()
            if requested:
                self.terminate_accepted = terminate
                self.cancel_accepted = not terminate
            return True

    def clear_stop(self) -> None:
        """Forget the stop that ended a node job's attempt (its multi-node job stops the other
        nodes when the main node ends), before the job's next attempt."""
        with self._lock:
            self.stop_reason = None
            self.stopping.clear()

    # -- what the container runs -------------------------------------------------------------

    @property
    def command(self) -> list[str]:
        """The command with Ref::name placeholders replaced by the job's parameters."""
        command = self.container_overrides.get("command") or self.base_container.get("command", [])
        return [self._substitute(part) for part in command]

    def _substitute(self, part: str) -> str:
        if part.startswith("Ref::") and part[5:] in self.parameters:
            return self.parameters[part[5:]]
        return part

    @property
    def base_container(self) -> dict[str, Any]:
        """The container properties it runs before overrides: its node range's for a node
        job, none for a multi-node parent (its nodes run), else its definition's."""
        if self.node_container is not None:
            return self.node_container
        if self.definition.eks_properties:
            return eks.container_properties(self.pod_container)
        return {} if self.node_properties else self.definition.container_properties

    @property
    def pod_container(self) -> dict[str, Any]:
        """An EKS job's first pod container, with SubmitJob's override (eks.py)."""
        return self.pod_containers()[0]

    def pod_containers(self, kind: str = "containers") -> list[dict[str, Any]]:
        """An EKS job's pod containers (or `kind` initContainers), with their overrides."""
        assert self.definition.eks_properties is not None
        return eks.pod_containers(self.definition.eks_properties, self.eks_override, kind)

    @property
    def is_pod(self) -> bool:
        """An EKS job of several containers, or with init containers: it runs as a pod does
        (runner._run_pod); an EKS job of one container runs as any job does."""
        if not self.definition.eks_properties:
            return False
        return len(self.pod_containers()) > 1 or bool(self.pod_containers("initContainers"))

    def pod_specs(self, kind: str, prefix: str) -> list[ContainerSpec]:
        """What each of the pod's containers (or `kind` initContainers) runs, each named in
        Docker `<prefix>-<its name>`."""
        variables = self.batch_variables()
        specs = []
        for container in self.pod_containers(kind):
            properties = eks.container_properties(container)
            own = {item["name"]: item["value"] for item in properties["environment"]}
            specs.append(
                ContainerSpec(
                    f"{prefix}-{container['name']}",
                    properties,
                    properties["command"],
                    list(container.get("command") or []) or None,
                    {**own, **variables},
                    vcpus_of(properties),
                    container["name"],
                )
            )
        return specs

    @property
    def entrypoint(self) -> list[str] | None:
        """What replaces the image's entrypoint: an EKS pod container's `command`; None (the
        image's own) for every other job."""
        if not self.definition.eks_properties or self.node_container is not None:
            return None
        return list(self.pod_container.get("command") or []) or None

    @property
    def container_properties(self) -> dict[str, Any]:
        """Its container properties with this job's resource overrides."""
        return with_resource_overrides(self.base_container, self.container_overrides)

    @property
    def vcpus(self) -> float:
        """A multi-node job's are all its nodes' (they start together); a pod's, as
        Kubernetes counts a pod's: its containers' together, or its largest init
        container's if more."""
        if self.node_properties:
            return sum(node.vcpus for node in self.children)
        if self.is_pod:
            return max(self._pod_resources(vcpus_of))
        return vcpus_of(self.container_properties)

    @property
    def memory_mib(self) -> int | None:
        """A multi-node job's is its largest node's (each node has a host of its own); a
        pod's as its vCPUs are counted."""
        if self.node_properties:
            memories = [node.memory_mib for node in self.children if node.memory_mib]
            return max(memories, default=None)
        if self.is_pod:
            return int(max(self._pod_resources(lambda p: memory_mib_of(p) or 0))) or None
        return memory_mib_of(self.container_properties)

    def _pod_resources(self, amount: Any) -> list[float]:
        """The pod's containers' `amount` together, then each init container's."""

        def each(kind: str) -> list[float]:
            return [amount(eks.container_properties(c)) for c in self.pod_containers(kind)]

        return [sum(each("containers")), *each("initContainers")]

    @property
    def environment(self) -> dict[str, str]:
        """The definition's environment, then the overrides, then Batch's own variables."""
        environment = {
            item["name"]: item["value"] for item in self.base_container.get("environment", [])
        }
        for item in self.container_overrides.get("environment", []):
            environment[item["name"]] = item["value"]
        return {**environment, **self.batch_variables()}

    def batch_variables(self) -> dict[str, str]:
        """The AWS_BATCH_* variables AWS Batch gives each of the job's containers."""
        environment: dict[str, str] = {}
        if self.parent is not None and self.array_index is not None:
            environment["AWS_BATCH_JOB_ARRAY_INDEX"] = str(self.array_index)
            environment["AWS_BATCH_JOB_ARRAY_SIZE"] = str(self.parent.array_size)
        if self.parent is not None and self.node_index is not None:
            environment.update(self.node_environment(self.parent))
        environment.update(
            {
                "AWS_BATCH_JOB_ID": self.id,
                "AWS_BATCH_JOB_ATTEMPT": str(len(self.attempts)),
                "AWS_BATCH_JQ_NAME": self.queue.name,
                "AWS_BATCH_CE_NAME": self.compute_environment.name,
            }
        )
        return environment

    def node_environment(self, parent: "Job") -> dict[str, str]:
        """What AWS Batch tells each node: its index, the node count, the main node's index
        and, on the other nodes, the main node's address."""
        properties = parent.node_properties or {}
        main = int(properties.get("mainNode", 0))
        environment = {
            "AWS_BATCH_JOB_NODE_INDEX": str(self.node_index),
            "AWS_BATCH_JOB_NUM_NODES": str(properties.get("numNodes")),
            "AWS_BATCH_JOB_MAIN_NODE_INDEX": str(main),
        }
        main_node = parent.children[main]
        if self is not main_node and main_node.attempts:
            address = main_node.attempts[-1].private_ipv4_address
            if address:
                environment["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"] = address
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
        container: dict[str, Any] | None = None
        if not self.node_properties and not self.definition.eks_properties:
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
            "platformCapabilities": self.definition.platform_capabilities,
            "tags": self.tags,
            **present(
                container=container,
                eksProperties=self.eks_properties_detail(),
                eksAttempts=self.eks_attempts(),
                nodeProperties=self.node_properties,
                nodeDetails=self.node_details(),
                statusReason=self.status_reason,
                startedAt=self.started_at,
                stoppedAt=self.stopped_at,
                retryStrategy=self.retry_strategy,
                timeout=self.timeout,
                arrayProperties=self.array_properties(),
                shareIdentifier=self.share_identifier,
                schedulingPriority=self.scheduling_priority,
                consumableResourceProperties=self.consumable_resource_properties(),
                isCancelled=self.cancel_accepted or None,
                isTerminated=self.terminate_accepted or None,
            ),
        }

    def consumable_resource_properties(self) -> dict[str, Any] | None:
        if not self.consumables:
            return None
        return {
            "consumableResourceList": [
                {"consumableResource": resource.arn, "quantity": quantity}
                for resource, quantity in self.consumables
            ]
        }

    def eks_properties_detail(self) -> dict[str, Any] | None:
        """An EKS job's pod as DescribeJobs gives it: the definition's pod properties with the
        overridden container, its exit code and reason, and the pod's name."""
        if not self.definition.eks_properties:
            return None
        pod = dict(self.definition.eks_properties["podProperties"])
        last = self.attempts[-1] if self.attempts else None
        for kind in ("containers", "initContainers"):
            containers = self.pod_containers(kind)
            ended = {record["name"]: record for record in self._ended(last, kind)}
            for container in containers:
                record = ended.get(container.get("name", "default"), {})
                container.update(
                    present(exitCode=record.get("exitCode"), reason=record.get("reason"))
                )
            if containers:
                pod[kind] = containers
        if last is not None:
            pod.update(present(podName=pod_name(last)))
        return {"podProperties": pod}

    def _ended(self, attempt: Attempt | None, kind: str) -> list[dict[str, Any]]:
        """How the attempt's pod containers (or `kind` initContainers) ended: as the pod's
        runner recorded them, or, for a pod of one container, as the attempt ended."""
        if attempt is None:
            return []
        if attempt.pod is not None:
            return attempt.pod.get(kind, [])
        if kind == "initContainers":
            return []
        return [
            present(
                name=self.pod_container.get("name", "default"),
                containerID=attempt.container_id,
                exitCode=attempt.exit_code,
                reason=attempt.reason,
            )
        ]

    def eks_attempts(self) -> list[dict[str, Any]] | None:
        """An EKS job's attempts as AWS shapes them (eksAttempts); `attempts` lists them too,
        with the log stream each wrote to."""
        if not self.definition.eks_properties:
            return None
        configuration = self.compute_environment.eks_configuration or {}
        return [
            present(
                containers=self._ended(attempt, "containers"),
                initContainers=self._ended(attempt, "initContainers") or None,
                eksClusterArn=configuration.get("eksClusterArn"),
                podNamespace=configuration.get("kubernetesNamespace"),
                podName=pod_name(attempt),
                startedAt=attempt.started_at,
                stoppedAt=attempt.stopped_at,
                statusReason=attempt.status_reason,
            )
            for attempt in self.attempts
        ]

    @property
    def scheduled_at(self) -> int | None:
        """When the scheduler first started it (RUNNABLE to STARTING); None before."""
        return next((stamp for status, stamp in self.history if status == JobStatus.STARTING), None)

    def node_details(self) -> dict[str, Any] | None:
        """A node job's index and whether it is the main node; None for other jobs."""
        if self.node_index is None or self.parent is None:
            return None
        main = (self.parent.node_properties or {}).get("mainNode")
        return {"nodeIndex": self.node_index, "isMainNode": self.node_index == main}

    def node_summary(self) -> dict[str, Any] | None:
        """ListJobs' nodeProperties: a multi-node job's node count, a node job's index."""
        if self.node_properties:
            return {"numNodes": self.node_properties["numNodes"]}
        details = self.node_details()
        if details is None or self.parent is None:
            return None
        return {**details, "numNodes": (self.parent.node_properties or {}).get("numNodes")}

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
                nodeProperties=self.node_summary(),
                shareIdentifier=self.share_identifier,
                scheduledAt=self.scheduled_at,
                isCancelled=self.cancel_accepted or None,
                isTerminated=self.terminate_accepted or None,
            ),
            "capacityUsage": [
                {
                    "capacityUnit": "cpu" if self.definition.eks_properties else "VCPU",
                    "quantity": self.vcpus,
                }
            ],
        }
        if self.attempts and self.attempts[-1].exit_code is not None:
            summary["container"] = {"exitCode": self.attempts[-1].exit_code}
        return summary


def pod_name(attempt: Attempt) -> str | None:
    """The pod an EKS job's attempt ran as, named after its task."""
    return f"aws-batch.{attempt.task_arn.rsplit('/', 1)[-1]}" if attempt.task_arn else None
