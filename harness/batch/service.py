"""The Batch stand-in as a whole: one backend per region, jobs run on the local Docker engine."""

import threading
from collections.abc import Callable
from typing import Any

import docker

from harness.batch import jobs
from harness.batch.backend import BatchBackend
from harness.batch.capacity import CapacityPool
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Job
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.responses import Authorizer, BatchApp
from harness.batch.runner import ContainerRunner, NodeNetwork
from harness.batch.waiting import why_waiting
from harness.client import aws

# (job role ARN or None, job id, region) -> the credentials a job's container gets
JobCredentials = Callable[[str | None, str, str], dict[str, str]]


def engine_test_credentials(role_arn: str | None, job_id: str, region: str) -> dict[str, str]:
    return dict(aws.CREDENTIALS)


class BatchService:
    """Batch for one account. The stand-in calls AWS at `engine_endpoint`; its job containers
    run with `container_options` (their network), call AWS at `container_endpoint` with
    `job_credentials`, and `authorize` (when the engine enforces IAM) checks API callers.
    `node_network` gives a multi-node job's nodes a network where each has an address of its
    own, when `container_options` put jobs on the host network."""

    def __init__(
        self,
        account_id: str,
        engine_endpoint: str,
        container_endpoint: str,
        container_options: dict[str, Any],
        job_credentials: JobCredentials = engine_test_credentials,
        authorize: Authorizer | None = None,
        node_network: NodeNetwork | None = None,
    ) -> None:
        self.account_id = account_id
        self.engine_endpoint = engine_endpoint
        self.container_endpoint = container_endpoint
        self.container_options = container_options
        self._job_credentials = job_credentials
        self._authorize = authorize
        self._node_network = node_network
        self._backends: dict[str, BatchBackend] = {}
        self._executors: dict[str, JobExecutor] = {}
        self._unfinished: list[tuple[str, Job]] = []  # restored, to resume
        self._capacity = CapacityPool()
        self._lock = threading.Lock()
        self._docker = docker.from_env()
        # Called after an API call changed something, before its answer, and before a job's
        # container is created or removed: where the engine keeps the stand-in's state on
        # disk, it writes it then.
        self.changed: Callable[[], None] = lambda: None

    def backend(self, region: str) -> BatchBackend:
        with self._lock:
            if region not in self._backends:
                executor = JobExecutor(self._runner(region), self._capacity)
                self._executors[region] = executor
                self._backends[region] = BatchBackend(
                    self.account_id,
                    region,
                    executor.start,
                    nodes_have_addresses=self.container_options.get("network_mode") != "host"
                    or self._node_network is not None,
                )
            return self._backends[region]

    def saved_state(self) -> dict[str, dict[str, Any]]:
        """Every region's resources and jobs, to be pickled as the engine's saved state."""
        with self._lock:
            backends = dict(self._backends)
        return {region: backend.saved() for region, backend in backends.items()}

    def restore(self, saved: dict[str, dict[str, Any]]) -> int:
        """Resources and jobs from `saved_state()`, into a service that holds none yet; how
        many jobs. The unfinished ones go on at `resume_restored()`, once the engine serves
        (their containers call it)."""
        restored = [job for region in saved.values() for job in region["jobs"].values()]
        jobs.continue_submissions(max((job.sequence for job in restored), default=0))
        for region, resources in saved.items():
            self._unfinished += [(region, job) for job in self.backend(region).load(resources)]
        self._unfinished.sort(key=lambda entry: entry[1].sequence)
        return len(restored)

    def has_unfinished_jobs(self) -> bool:
        with self._lock:
            backends = list(self._backends.values())
        return any(backend.has_unfinished_jobs() for backend in backends)

    def resume_restored(self) -> None:
        """Go on with the restored jobs that had not finished (JobExecutor.resume)."""
        unfinished, self._unfinished = self._unfinished, []
        for region, job in unfinished:
            self._executors[region].resume(job)

    def reclaim_host(self, job_id: str) -> str:
        """A Spot interruption of the host a RUNNING job runs on (any region's job)."""
        with self._lock:
            backends = list(self._backends.values())
        for backend in backends:
            if job_id in backend.jobs:
                return backend.reclaim_host(job_id)
        raise ClientException(f"job {job_id} does not exist")

    def waiting(self) -> dict[str, str]:
        """Why each job not yet started waits, by job id (waiting.why_waiting)."""
        with self._lock:
            backends = list(self._backends.values())
        reasons = {
            job.id: why_waiting(job, self._capacity)
            for backend in backends
            for job in backend.unfinished_jobs()
        }
        return {job_id: reason for job_id, reason in reasons.items() if reason}

    def forget_jobs(self, reason: str) -> int:
        """Every region's job history dropped, its running jobs terminated first."""
        with self._lock:
            backends = list(self._backends.values())
        return sum(backend.forget_jobs(reason) for backend in backends)

    def app(self) -> BatchApp:
        return BatchApp(self.backend, self._authorize, lambda: self.changed())

    def _runner(self, region: str) -> ContainerRunner:
        logs = aws.client("logs", self.engine_endpoint, region)
        environment = {
            "AWS_ENDPOINT_URL": self.container_endpoint,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }

        def credentials(job: Job) -> dict[str, str]:
            return self._job_credentials(job.container_properties.get("jobRoleArn"), job.id, region)

        return ContainerRunner(
            self._docker,
            CloudWatchLogSink(logs),
            environment,
            self.container_options,
            engine=self.engine_endpoint,
            credentials=credentials,
            node_network=self._node_network,
            write_ahead=lambda: self.changed(),
        )
