"""LocalStack as the local engine, with the Batch stand-in in front of it.

Two programs, both started and stopped by the harness:
- LocalStack's open-source runtime on the host (runtime.py installs and supplies it),
  listening on 127.0.0.1 at LOCALSTACK_PORT only (its DNS server off);
- the edge (edge.py) on the harness's endpoint, which serves Batch itself and passes every
  other request to LocalStack.

LocalStack runs Lambda functions only in containers on a Docker network of their own (its
executor reaches each function at the container's address), so this engine always puts
functions and jobs on the harness's bridge network, and the edge also listens on that
network's gateway at LocalStack's port: the address LocalStack gives its functions.
"""

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from harness.cloud.docker_host import remove_containers
from harness.cloud.network import ContainerNetwork
from harness.contracts import ACCOUNT_ID
from harness.control.routes import ENFORCE_IAM
from harness.engine.base import (
    EngineError,
    answering,
    engine_health,
    port_taken,
    refuse_taken_port,
)
from harness.engine.localstack import runtime, stand_in_resources
from harness.engine.localstack.health import localstack_ready
from harness.engine.process import BackgroundProcess
from harness.images.prepare import LAMBDA_IMAGE
from harness.paths import PACKAGE

logger = logging.getLogger(__name__)

LOCALSTACK_PORT = 4567
START_TIMEOUT_SECONDS = 90  # LocalStack says "Ready." after about 15 s here
LOCALSTACK_STOP_SECONDS = 20  # it stops its function containers on the way out
EDGE_TIMEOUT_SECONDS = 30
DOCKER_CMD = PACKAGE / "bin" / "localstack-docker"
CONTAINER_PREFIX = "csv-pipeline-localstack"  # LocalStack names function containers after it
# Function runtimes LocalStack may create functions for, all on the harness's Python image:
# Python handlers run there (CDK's own Python helpers use 3.13); the CDK's Node.js custom
# resource providers (nodejs24.x) are created but never invoked, because the free edition
# skips Custom::* resources (lambda_init.py says so if one ever is).
RUNTIMES = ("python3.12", "python3.13", "nodejs24.x")


class LocalStackEngine:
    name = "localstack"
    needs_bridge_network = True
    saved_state: Path | None = None  # its free runtime keeps nothing between runs

    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 4566,
        kept: Path | None = None,
    ) -> None:
        """`kept`: the folder where the edge keeps what the harness owns of this cloud, the
        Batch stand-in's state and the fault rules (None: in memory only)."""
        self.host = host
        self.port = port
        self.state_dir = state_dir
        self.kept = kept
        self.localstack = BackgroundProcess(state_dir, "localstack", LOCALSTACK_STOP_SECONDS)
        self.edge = BackgroundProcess(state_dir, "edge")

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def localstack_endpoint(self) -> str:
        return f"http://127.0.0.1:{LOCALSTACK_PORT}"

    def container_endpoint(self, network: ContainerNetwork) -> str:
        return network.endpoint(LOCALSTACK_PORT)  # the edge, where LocalStack sends functions

    def prepare_images(self, client: Any, base: str) -> None:
        """Nothing: its functions run on the harness's Lambda image (the mapping below)."""

    def after_deploy(self, stack: str) -> None:
        """The free edition's CloudFormation skips AWS::Batch::* and AWS::ECR::Repository:
        the stack's are applied to the stand-ins here (stand_in_resources.py)."""
        logger.info(f"applying the Batch and ECR resources of {stack} to the stand-ins")
        stand_in_resources.apply(self.endpoint, stack)

    def healthy(self) -> bool:
        """The edge answers and so does the LocalStack behind it, wherever that runs (this
        harness's, compose.yaml's `localstack` service, or a user's own)."""
        health = engine_health(self.endpoint)
        return health.get("engine") == self.name and health.get("localstack_ready") is True

    def _localstack_up(self) -> bool:
        return localstack_ready(self.localstack_endpoint)

    def start(self, network: ContainerNetwork) -> None:
        if os.environ.get(ENFORCE_IAM) == "1":
            raise EngineError(
                f"{ENFORCE_IAM}=1: LocalStack's free edition enforces no IAM; the embedded "
                "engine does (HARNESS_ENGINE=moto)"
            )
        if self.healthy():
            return
        if network.network_name is None or network.listen_also is None:
            raise EngineError(
                "LocalStack on the host needs a Linux Docker engine on this machine (its "
                "functions run on a bridge network whose gateway is this machine); with Docker "
                "Desktop or a remote engine, use the embedded engine (HARNESS_ENGINE=moto)."
            )
        edge_up = answering(self.endpoint) == self.name  # it outlived its LocalStack
        if not edge_up:
            refuse_taken_port(self.endpoint)
        if not self._localstack_up():
            if port_taken(self.localstack_endpoint):
                raise EngineError(f"{self.localstack_endpoint} is taken by another program.")
            runtime.install()
            logger.info(f"starting LocalStack {runtime.VERSION} on {self.localstack_endpoint}")
            self.localstack.start(
                [str(runtime.python()), "-m", "localstack.runtime.main"],
                self._localstack_environment(network),
            )
            self.localstack.wait_ready(self._localstack_up, START_TIMEOUT_SECONDS)
        if edge_up:
            return
        containers_call = f"{network.listen_also}:{LOCALSTACK_PORT}"
        kept = ["--keep-in", str(self.kept)] if self.kept else []
        self.edge.start(
            [
                sys.executable,
                "-m",
                "harness.engine.localstack.edge",
                "--localstack",
                self.localstack_endpoint,
                "--listen",
                f"{self.host}:{self.port}",
                "--listen",
                containers_call,
                "--account-id",
                ACCOUNT_ID,
                "--containers-network",
                network.network_name,
                "--containers-call",
                containers_call,
                *kept,
            ],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.edge.wait_ready(self.healthy, EDGE_TIMEOUT_SECONDS)

    def _localstack_environment(self, network: ContainerNetwork) -> dict[str, str]:
        images = {runtime_name: LAMBDA_IMAGE for runtime_name in RUNTIMES}
        return {
            **os.environ,
            "OVERRIDE_IN_DOCKER": "0",  # a host with /.dockerenv is not LocalStack's container
            "FILESYSTEM_ROOT": str(runtime.FILESYSTEM),
            "GATEWAY_LISTEN": f"127.0.0.1:{LOCALSTACK_PORT}",
            "DNS_ADDRESS": "0",  # its DNS server would listen on 0.0.0.0:53
            "GATEWAY_SERVER": "hypercorn",  # its default (twisted) ignores the host: 0.0.0.0
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1",
            "MAIN_CONTAINER_NAME": CONTAINER_PREFIX,
            "LAMBDA_DOCKER_NETWORK": str(network.network_name),
            "LAMBDA_RUNTIME_IMAGE_MAPPING": json.dumps(images),
            "DOCKER_CMD": str(DOCKER_CMD),
            "PYTHONUNBUFFERED": "1",
            # DynamoDB Local's heap: LocalStack's 256m runs out scanning a table of 200,000
            # items (seen: OutOfMemoryError, then Scan answers 500 InternalFailure).
            "DYNAMODB_HEAP_SIZE": os.environ.get("DYNAMODB_HEAP_SIZE", "1024m"),
            # A failed asynchronous invocation is retried after 1 s, then 2 s, as on the
            # embedded engine, rather than after LocalStack's 60 s and 120 s (AWS waits about
            # 1 and 2 minutes): a local retry need not keep the developer waiting.
            # (LocalStack's setting LAMBDA_RETRY_BASE_DELAY_SECONDS reads this variable.)
            "LAMBDA_RETRY_BASE_DELAY": os.environ.get("LAMBDA_RETRY_BASE_DELAY", "1"),
        }

    def stop(self) -> None:
        self.edge.stop()
        self.localstack.stop()
        if runtime.stop_dynamodb_local():
            logger.info("DynamoDB Local, left running by LocalStack, stopped")
        remove_function_containers()

    def pid(self) -> int | None:
        return self.edge.pid()

    def pop_crashed_pid(self) -> int | None:
        """The pid of a previous edge that ended without `stop()` (its stand-in's jobs went
        with it), once; None otherwise."""
        return None if self.healthy() else self.edge.pop_crashed_pid()

    def log_tail(self, lines: int = 30) -> str:
        return f"{self.edge.log_tail(lines)}\n--- LocalStack ---\n{self.localstack.log_tail(lines)}"


def remove_function_containers() -> int:
    """Remove the function containers a LocalStack of this harness left (it names them
    after CONTAINER_PREFIX); a LocalStack killed without its shutdown leaves them running."""
    return remove_containers({"name": f"{CONTAINER_PREFIX}-"})
