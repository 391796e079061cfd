"""The Batch stand-in as a whole: one backend per region, jobs run on the local Docker engine."""

import threading

import docker

from harness import aws
from harness.batch.capacity import CapacityPool
from harness.batch.executor import JobExecutor
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.models import BatchBackend
from harness.batch.responses import BatchApp
from harness.batch.runner import ContainerRunner


class BatchService:
    """Batch for one account; its jobs call AWS through `engine_endpoint`."""

    def __init__(self, account_id: str, engine_endpoint: str) -> None:
        self.account_id = account_id
        self.engine_endpoint = engine_endpoint
        self._backends: dict[str, BatchBackend] = {}
        self._capacity = CapacityPool()
        self._lock = threading.Lock()
        self._docker = docker.from_env()

    def backend(self, region: str) -> BatchBackend:
        with self._lock:
            if region not in self._backends:
                executor = JobExecutor(self._runner(region), self._capacity)
                self._backends[region] = BatchBackend(self.account_id, region, executor.start)
            return self._backends[region]

    def app(self) -> BatchApp:
        return BatchApp(self.backend)

    def _runner(self, region: str) -> ContainerRunner:
        logs = aws.client("logs", self.engine_endpoint, region)
        environment = {
            "AWS_ENDPOINT_URL": self.engine_endpoint,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            **aws.CREDENTIALS,
        }
        return ContainerRunner(self._docker, CloudWatchLogSink(logs), environment)
