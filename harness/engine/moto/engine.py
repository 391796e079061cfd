"""Start, find and stop the embedded engine process (moto + the Batch stand-in)."""

import logging
import os
import sys
from pathlib import Path
from typing import Any

from harness.cloud.docker_host import environment_of, remove_containers
from harness.cloud.network import HOST, ContainerNetwork
from harness.cloud.saved_state import bytes_on_disk
from harness.contracts import ACCOUNT_ID
from harness.control.client import Iam
from harness.control.routes import ENFORCE_IAM
from harness.engine.base import answering, refuse_taken_port
from harness.engine.process import STOP_TIMEOUT_SECONDS, BackgroundProcess
from harness.images.prepare import LAMBDA_IMAGE, LAMBDA_IMAGE_REPOSITORY, exists, try_pull

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30
# Restoring a saved state and replaying its journal before it answers: at least this fast
# (measured: `make bench`'s crash recovery, docs/benchmarks.md).
RESTORE_BYTES_PER_SECOND = 2_000_000
SAVE_TIMEOUT_SECONDS = 60  # after SIGTERM: the engine writes its state before it exits
BUSYBOX = "busybox:latest"
# In the folder the engine keeps (`kept`), beside the fault rules: its saved state, with the
# companions harness/cloud/saved_state.py names.
SAVED_STATE = "engine.state"


def lambda_network_environment(network: ContainerNetwork) -> dict[str, str]:
    """How moto's Lambda runs functions on the network the harness's containers use."""
    if network.mode == "host":
        return {"MOTO_DOCKER_NETWORK_MODE": "host"}
    return {"MOTO_DOCKER_NETWORK_NAME": str(network.network_name)}


def of_an_engine_that_answers(container: Any) -> bool:
    """Whether the embedded engine that ran this function container answers (moto gives its
    function containers the engine's MOTO_PORT)."""
    ports = [v.split("=", 1)[1] for v in environment_of(container) if v.startswith("MOTO_PORT=")]
    return bool(ports) and answering(f"http://127.0.0.1:{ports[0]}") is not None


class MotoEngine:
    name = "moto"
    needs_bridge_network = False

    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 4566,
        kept: Path | None = None,
    ) -> None:
        """`kept`: the folder of its saved state, which it restores at start and saves at
        stop, and of the fault rules (None: it keeps everything in memory only)."""
        self.host = host
        self.port = port
        self.state_dir = state_dir
        self.kept = kept
        self.saved_state = kept / SAVED_STATE if kept else None
        stop_timeout = SAVE_TIMEOUT_SECONDS if kept else STOP_TIMEOUT_SECONDS
        self.process = BackgroundProcess(state_dir, "engine", stop_timeout)
        self.pid_file = self.process.pid_file
        self.log_file = self.process.log_file

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def container_endpoint(self, network: ContainerNetwork) -> str:
        return network.endpoint(self.port)

    def prepare_images(self, client: Any, base: str) -> None:
        """busybox:latest, which moto's Lambda runs to copy a function's code into a volume:
        pulled, else the base image tagged under that name (moto only runs `sleep` in it)."""
        if exists(client, BUSYBOX):
            logger.info(f"{BUSYBOX}: already present")
            return
        if try_pull(client, BUSYBOX):
            return
        logger.info(f"tagging {base} as {BUSYBOX}")
        client.images.get(base).tag("busybox", "latest")

    def after_deploy(self, stack: str) -> None:
        """Nothing: its CloudFormation deploys the Batch resources to the stand-in itself."""

    def healthy(self) -> bool:
        return answering(self.endpoint) == self.name

    def start(self, network: ContainerNetwork = HOST) -> None:
        """Start the engine unless it answers; with HARNESS_ENFORCE_IAM=1, enforce IAM on it
        (a running engine too)."""
        self._start(network)
        if os.environ.get(ENFORCE_IAM) == "1":
            Iam(self.endpoint).enforced(True)
            logger.info(
                "IAM: the trigger and the jobs run with their roles' policies enforced "
                "(`harness iam off` stops it)"
            )

    def _start(self, network: ContainerNetwork) -> None:
        if self.healthy():
            return
        refuse_taken_port(self.endpoint)
        remove_ended_function_containers()
        self._remove_orphaned_function_containers()
        environment = {
            **os.environ,
            "MOTO_ACCOUNT_ID": ACCOUNT_ID,
            "MOTO_DOCKER_LAMBDA_IMAGE": LAMBDA_IMAGE_REPOSITORY,
            **lambda_network_environment(network),
            "PYTHONUNBUFFERED": "1",
        }
        arguments = [
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--containers-network",
            network.network_name or "host",
            "--containers-call",
            network.engine_host,
        ]
        if network.listen_also:
            arguments += ["--also-listen", network.listen_also]
        if self.kept:
            arguments += ["--keep-in", str(self.kept)]
        self.process.start(
            [sys.executable, "-m", "harness.engine.moto.server", *arguments], environment
        )
        self.process.wait_ready(self.healthy, START_TIMEOUT_SECONDS + self._restore_seconds())

    def _restore_seconds(self) -> float:
        """How long the engine may take to restore its saved state and journal."""
        if self.saved_state is None:
            return 0
        return bytes_on_disk(self.saved_state) / RESTORE_BYTES_PER_SECOND

    def stop(self) -> None:
        self.process.stop()
        remove_ended_function_containers()

    def _remove_orphaned_function_containers(self) -> None:
        """Function containers an engine on this port left running when it crashed: their
        invocations died with it (an engine that keeps its state delivers those S3 events
        again), and each keeps the function's code volume in use once it ends, which would
        fail every later invocation of that code."""
        functions = {"ancestor": [LAMBDA_IMAGE]}
        removed = remove_containers(functions, environment=f"MOTO_PORT={self.port}")
        if removed:
            logger.info(f"{removed} function containers of the previous engine removed")

    def pid(self) -> int | None:
        return self.process.pid()

    def pop_crashed_pid(self) -> int | None:
        """The pid of a previous engine that ended without `stop()`, once; None otherwise
        (also when an engine answers: one that compose runs has no pid file here)."""
        return None if self.healthy() else self.process.pop_crashed_pid()

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines)


def remove_ended_function_containers() -> int:
    """Remove function containers that ended but were not removed (their engine stopped while
    they ran): moto mounts a function's code as a volume named after the code (and the
    engine's port, code_volumes.py), and one such container keeps that volume in use, so
    every later invocation of the same code on that port fails.
    Left are containers only created (one may be starting for another cloud's engine) and
    those of an engine that answers (a cloud on another port reads their output, then removes
    them itself)."""
    ended = {"ancestor": [LAMBDA_IMAGE], "status": ["exited", "dead"]}
    removed = remove_containers(ended, unless=of_an_engine_that_answers)
    if removed:
        logger.info(f"{removed} function containers left by a stopped engine removed")
    return removed
