"""Run one job attempt as a container on the local Docker engine, on the harness's network."""

import contextlib
import dataclasses
import datetime
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import docker.errors
import requests

from harness.batch.clock import now_ms
from harness.batch.jobs import STOP_CHECK_SECONDS, Attempt, ContainerSpec, Job
from harness.batch.logsink import CloudWatchLogSink, LogStreamWriter
from harness.batch.resources import memory_mib_of, present
from harness.contracts import BATCH_JOB_LABEL, ENGINE_LABEL

logger = logging.getLogger("harness.batch")

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
TIMED_OUT = "Job attempt duration exceeded timeout"
STOP_GRACE_SECONDS = 30  # ECS's default stop timeout: SIGTERM, then SIGKILL after this
# The Docker engine stopped answering (stopped, restarted, socket gone) during an attempt.
DOCKER_GONE = (docker.errors.DockerException, requests.exceptions.ConnectionError)


def container_name(job: Job) -> str:
    """The container of the job's latest attempt (an array child's id is <parent>:<index>, a
    node job's <parent>#<index>; container names take neither)."""
    return f"batch-{job.id.replace(':', '-').replace('#', '-n')}-{len(job.attempts)}"


def timestamped(line: bytes) -> tuple[str, int | None]:
    """A line of `docker logs --timestamps` as its text and its time in milliseconds since
    the epoch (the time Docker read it, which awslogs gives CloudWatch too)."""
    stamp, _, text = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
    try:  # RFC 3339 with nanoseconds: Python reads microseconds
        when = datetime.datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return line.decode("utf-8", "replace").rstrip("\n"), None
    return text, int(when.timestamp() * 1000)


@dataclasses.dataclass(frozen=True)
class JobNetwork:
    """Where a job's containers run (Docker SDK options) and what they are told of the
    engine (its endpoint, the region)."""

    options: dict[str, Any]
    environment: dict[str, str]

    @property
    def name(self) -> str | None:
        """The bridge network's name; None on the host network or another container's."""
        return self.options.get("network")


# The Docker SDK options and the engine endpoint for a multi-node job's nodes, where the
# jobs' own network gives them no address of their own; called at each node's start.
NodeNetwork = Callable[[], tuple[dict[str, Any], str]]


def memory_limit(container_properties: dict[str, Any]) -> str | None:
    """Docker's memory limit for the container (AWS's MEMORY is a hard limit in MiB)."""
    memory = memory_mib_of(container_properties)
    return f"{memory}m" if memory else None


class ContainerRunner:
    """Starts the definition's image with the job's command and environment, waits, logs."""

    def __init__(
        self,
        docker_client: Any,
        logs: CloudWatchLogSink,
        engine_environment: dict[str, str],
        container_options: dict[str, Any],
        engine: str = "",
        stop_grace_seconds: int = STOP_GRACE_SECONDS,
        credentials: Callable[[Job], dict[str, str]] | None = None,
        node_network: NodeNetwork | None = None,
        write_ahead: Callable[[], None] = lambda: None,
    ) -> None:
        """`write_ahead` writes the stand-in's state where the engine keeps it on disk. It is
        called before a container is created and before one is removed, so that after a crash
        the state knows every container the stand-in may have left, and how the attempt of
        every container it removed ended."""
        self._docker = docker_client
        self._logs = logs
        self._network = JobNetwork(container_options, engine_environment)
        self._node_network = node_network
        self._engine = engine
        self._stop_grace_seconds = stop_grace_seconds
        self._credentials = credentials or (lambda job: {})
        self._write_ahead = write_ahead

    def run(self, job: Job, attempt: Attempt, on_running: Callable[[], None]) -> bool:
        """Fill in `attempt`; return True when the container exited 0."""
        job.reclaimed.clear()  # a reclaim that raced the previous attempt's end is void
        task_id = uuid.uuid4().hex
        cluster = job.compute_environment.ecs_cluster_arn
        attempt.task_arn = f"{cluster.replace(':cluster/', ':task/')}/{task_id}"
        if job.compute_environment.runs_on_ec2:
            instance = cluster.replace(":cluster/", ":container-instance/")
            attempt.container_instance_arn = f"{instance}/{uuid.uuid4().hex}"
        try:
            credentials = self._credentials(job)
        except Exception as error:  # the job role cannot be assumed
            return self._failed_to_start(
                attempt, f"CannotStartContainerError: no credentials for the job's role: {error}"
            )
        network = self._network
        if job.node_index is not None and self._node_network is not None:
            try:
                options, endpoint = self._node_network()
            except Exception as error:  # Docker refused the network, the address was taken
                return self._failed_to_start(
                    attempt, f"CannotStartContainerError: no network for the node: {error}"
                )
            network = JobNetwork(options, {**network.environment, "AWS_ENDPOINT_URL": endpoint})
        if job.is_pod:
            return self._run_pod(job, attempt, task_id, credentials, on_running)
        spec = ContainerSpec(
            container_name(job),
            job.container_properties,
            job.command,
            job.entrypoint,
            job.environment,
            job.vcpus,
        )
        container = self._create(job, spec, credentials, attempt, network)
        if container is None:
            return False
        try:
            return self._run_container(job, attempt, container, task_id, network, on_running)
        finally:
            self.discard(container)

    def _create(
        self,
        job: Job,
        spec: ContainerSpec,
        credentials: dict[str, str],
        attempt: Attempt,
        network: JobNetwork,
    ) -> Any | None:
        """The container of `spec` (not started), on `network`; None when Docker refused it,
        with the attempt's reason set as AWS words it."""
        properties = spec.properties
        self._written_ahead("a container is created")
        try:
            return self._docker.containers.create(
                properties["image"],
                command=spec.command,
                entrypoint=spec.entrypoint,
                environment={**network.environment, **credentials, **spec.environment},
                **network.options,
                name=spec.name,
                labels={
                    BATCH_JOB_LABEL: job.id,
                    ENGINE_LABEL: self._engine,
                    "csv-pipeline.harness": "batch",
                },
                read_only=bool(properties.get("readonlyRootFilesystem")),
                mem_limit=memory_limit(properties),
                nano_cpus=int(spec.vcpus * 1_000_000_000),
                user=properties.get("user") or None,
            )
        except docker.errors.ImageNotFound:
            self._failed_to_start(
                attempt,
                f"CannotPullContainerError: image {properties['image']} is not in the local "
                "Docker engine (the local Batch stand-in never pulls); `make local-up` builds "
                "the stack's image",
            )
        except docker.errors.APIError as error:
            self._failed_to_start(attempt, f"CannotCreateContainerError: {error.explanation}")
        except DOCKER_GONE as error:
            self._docker_gone(attempt, error)
        return None

    def _run_pod(
        self,
        job: Job,
        attempt: Attempt,
        task_id: str,
        credentials: dict[str, str],
        on_running: Callable[[], None],
    ) -> bool:
        """An EKS job's pod of several containers, or with init containers, as Kubernetes
        runs one: each init container to its end, one after another (one that fails fails
        the attempt); then every container at once, all on the first one's network, as a
        pod's containers share theirs. The attempt succeeds when every container exits 0.
        Each container writes a log stream of its own, `<definition>/default/<task id>/<its
        name>`; the attempt's is its first container's (not an init container's)."""
        results: dict[str, list[dict[str, Any]]] = {"initContainers": [], "containers": []}
        attempt.pod = results
        for spec in job.pod_specs("initContainers", container_name(job)):
            (outcome,) = self._run_together(job, [spec], credentials, task_id, attempt)
            results["initContainers"].append(outcome.record)
            if not outcome.succeeded:
                return outcome.fail(attempt)
        outcomes = self._run_together(
            job,
            job.pod_specs("containers", container_name(job)),
            credentials,
            task_id,
            attempt,
            on_running,
        )
        results["containers"] = [outcome.record for outcome in outcomes]
        failures = [outcome for outcome in outcomes if not outcome.succeeded]
        # the one that says why first: one never started because another failed says nothing
        failed = min(failures, key=lambda o: o.attempt.status_reason is None, default=None)
        attempt.stopped_at = max((o.attempt.stopped_at or 0 for o in outcomes), default=None)
        if failed is not None:
            return failed.fail(attempt)
        attempt.exit_code = 0
        return True

    def _run_together(
        self,
        job: Job,
        specs: list[ContainerSpec],
        credentials: dict[str, str],
        task_id: str,
        attempt: Attempt,
        on_running: Callable[[], None] | None = None,
    ) -> list["PodOutcome"]:
        """Create the containers of `specs` (the later ones on the first one's network),
        start them, and follow each to its end in a thread of its own."""
        outcomes = [PodOutcome(spec, Attempt()) for spec in specs]
        created: list[Any] = []
        try:
            for outcome in outcomes:
                network = (
                    dataclasses.replace(
                        self._network, options={"network_mode": f"container:{created[0].id}"}
                    )
                    if created
                    else self._network
                )
                container = self._create(job, outcome.spec, credentials, outcome.attempt, network)
                if container is None:
                    return outcomes
                created.append(container)
            threads = []
            for outcome, container in zip(outcomes, created, strict=True):
                stream = f"{job.definition.name}/default/{task_id}/{outcome.spec.container}"
                if on_running is not None:  # the pod's containers, not its init containers
                    attempt.log_stream_name = attempt.log_stream_name or stream
                writer = self._started(container, outcome.attempt, stream)
                if writer is None:
                    continue
                outcome.record["containerID"] = outcome.attempt.container_id
                attempt.started_at = attempt.started_at or outcome.attempt.started_at
                thread = threading.Thread(
                    target=outcome.follow,
                    args=(self._follow, job, container, writer),
                    daemon=True,
                )
                thread.start()
                threads.append(thread)
            if on_running is not None and threads:
                attempt.container_id = getattr(created[0], "id", None)
                on_running()
            for thread in threads:
                thread.join()
            return outcomes
        finally:
            for container in created:
                self.discard(container)

    def leftover(self, job: Job) -> Any | None:
        """The container of the job's latest attempt, left by an engine that crashed; None
        when there is none (or Docker does not answer)."""
        try:
            return self._docker.containers.get(container_name(job))
        except (docker.errors.NotFound, *DOCKER_GONE):
            return None

    def reattach(self, job: Job, attempt: Attempt, container: Any) -> bool:
        """Follow a leftover container that started to its end (taken at once when it
        already ended), then remove it; True when it exited 0. Its log stream goes on from
        the last line it holds."""
        try:
            stream = str(attempt.log_stream_name)
            writer = self._logs.reopen(stream)
            logger.info(
                "job %s: its container %s, %s, is followed again",
                job.id,
                container.name,
                container.status,
            )
            return self._follow(
                job, attempt, container, writer, self._logs.last_event_seconds(stream)
            )
        finally:
            self.discard(container)

    def discard(self, container: Any) -> None:
        self._written_ahead("a container is removed")
        with contextlib.suppress(*DOCKER_GONE):
            container.remove(force=True)

    def _written_ahead(self, before: str) -> None:
        try:
            self._write_ahead()
        except Exception:  # the job goes on; the stand-in's next write catches up
            logger.exception("the Batch stand-in's state was not written before %s", before)

    def _run_container(
        self,
        job: Job,
        attempt: Attempt,
        container: Any,
        task_id: str,
        network: JobNetwork,
        on_running: Callable[[], None],
    ) -> bool:
        writer = self._started(container, attempt, f"{job.definition.name}/default/{task_id}")
        if writer is None:
            return False
        attempt.private_ipv4_address = self._address(container, network)
        on_running()
        return self._follow(job, attempt, container, writer)

    def _started(self, container: Any, attempt: Attempt, stream: str) -> LogStreamWriter | None:
        """Start `container` with its output going to log stream `stream`: the stream's writer,
        or None when Docker would not start it (the attempt says why)."""
        writer = self._logs.open(stream)
        attempt.log_stream_name = stream
        try:
            container.start()
        except docker.errors.APIError as error:
            writer.close()
            self._failed_to_start(attempt, f"CannotStartContainerError: {error.explanation}")
            return None
        attempt.started_at = now_ms()
        attempt.container_id = getattr(container, "id", None)
        return writer

    @staticmethod
    def _address(container: Any, network: JobNetwork) -> str | None:
        """The started container's address on the harness's bridge network; None on the host
        network, where every container shares the host's addresses."""
        if not network.name:
            return None
        with contextlib.suppress(*DOCKER_GONE):
            container.reload()
            address = container.attrs["NetworkSettings"]["Networks"].get(network.name, {})
            return str(address.get("IPAddress") or "") or None
        return None

    def _follow(
        self,
        job: Job,
        attempt: Attempt,
        container: Any,
        writer: LogStreamWriter,
        since: float | None = None,
    ) -> bool:
        """The started container's output to its log stream until it exits (`since`: only
        the lines after that time); True when it exited 0 within its time."""
        timed_out = threading.Event()
        deadline_ms = None
        if job.attempt_timeout_seconds:
            deadline_ms = (attempt.started_at or now_ms()) + job.attempt_timeout_seconds * 1000
        exited = threading.Event()
        threading.Thread(
            target=self._stop_when_due,
            args=(job, container, exited, deadline_ms, timed_out),
            daemon=True,
        ).start()
        try:
            for line in container.logs(stream=True, follow=True, since=since, timestamps=True):
                writer.write(*timestamped(line))
            result = container.wait()
            container.reload()
        except DOCKER_GONE as error:
            return self._docker_gone(attempt, error)
        finally:
            exited.set()
            writer.close()
        attempt.stopped_at = now_ms()
        attempt.exit_code = int(result["StatusCode"])
        if job.reclaimed.is_set():
            attempt.status_reason = job.reclaim_reason
            job.reclaimed.clear()
            return False
        if job.stopping.is_set():
            attempt.status_reason = job.stop_reason
        elif timed_out.is_set():
            attempt.status_reason = TIMED_OUT
        elif container.attrs["State"].get("OOMKilled"):
            attempt.reason = "OutOfMemoryError: Container killed due to memory usage"
            attempt.status_reason = ESSENTIAL_CONTAINER_EXITED
        elif attempt.exit_code != 0:
            attempt.status_reason = ESSENTIAL_CONTAINER_EXITED
        return attempt.succeeded

    def _stop_when_due(
        self,
        job: Job,
        container: Any,
        exited: threading.Event,
        deadline_ms: int | None,
        timed_out: threading.Event,
    ) -> None:
        """Until the container exits: past the attempt's timeout (on the stand-in's clock),
        kill it; on TerminateJob or a reclaimed host, the stop signal, then SIGKILL after the
        grace period, as ECS stops a task."""
        while not exited.wait(timeout=STOP_CHECK_SECONDS):
            if deadline_ms is not None and now_ms() >= deadline_ms:
                timed_out.set()
                with contextlib.suppress(*DOCKER_GONE):
                    container.kill()
                return
            if job.stopping.is_set() or job.reclaimed.is_set():
                with contextlib.suppress(*DOCKER_GONE):
                    container.stop(timeout=self._stop_grace_seconds)
                return

    @staticmethod
    def _docker_gone(attempt: Attempt, error: Exception) -> bool:
        """The attempt fails, naming the cause; the retry strategy decides what follows."""
        reason = (
            "DockerEngineUnavailable: the local Docker engine stopped answering during the "
            f"attempt ({type(error).__name__}: {error})"
        )
        attempt.reason = reason[:1024]
        attempt.status_reason = reason[:1024]
        attempt.stopped_at = now_ms()
        return False

    @staticmethod
    def _failed_to_start(attempt: Attempt, reason: str) -> bool:
        attempt.reason = reason
        attempt.status_reason = reason
        attempt.stopped_at = now_ms()
        return False


@dataclasses.dataclass
class PodOutcome:
    """How one container of a pod ended: its own attempt, and its record in eksAttempts."""

    spec: ContainerSpec
    attempt: Attempt
    succeeded: bool = False
    record: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.record["name"] = self.spec.container

    def follow(self, follow: Callable[..., bool], job: Job, container: Any, writer: Any) -> None:
        self.succeeded = follow(job, self.attempt, container, writer)
        self.record.update(present(exitCode=self.attempt.exit_code, reason=self.attempt.reason))

    def fail(self, attempt: Attempt) -> bool:
        """The pod's attempt fails as this container did."""
        attempt.exit_code = self.attempt.exit_code
        attempt.reason = self.attempt.reason
        attempt.status_reason = self.attempt.status_reason or ESSENTIAL_CONTAINER_EXITED
        attempt.stopped_at = attempt.stopped_at or self.attempt.stopped_at or now_ms()
        return False
