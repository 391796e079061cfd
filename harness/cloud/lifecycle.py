"""The local cloud as one object: Docker, images, engine, deployed stack; up, down, status."""

import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import docker
import docker.errors

from harness import project
from harness.cloud import docker_host, network
from harness.cloud.network import ContainerNetwork
from harness.contracts import BATCH_JOB_LABEL, ENGINE_LABEL, StackOutputs
from harness.control.client import EngineState
from harness.control.routes import PERSIST
from harness.deploy.cdk import deploy, stack_outputs
from harness.engine import choice
from harness.engine.base import Engine, engine_health
from harness.errors import HarnessError
from harness.images.prepare import PreparedImages, base_image, prepare_all
from harness.paths import CACHE, PORT_VARIABLE, REPO, local_up_command
from harness.project import CdkApp

logger = logging.getLogger(__name__)

PORT = int(os.environ.get(PORT_VARIABLE, str(network.DEFAULT_PORT)))
# One folder per port, so clouds of one project on two ports keep their pid files apart.
STATE_DIR = CACHE / ("local-cloud" if PORT == network.DEFAULT_PORT else f"local-cloud-{PORT}")
SAVED_STATE_DIR = REPO / ".harness" / "state"  # never under .cache: `make clean` keeps it


def kept_folder(port: int = PORT) -> Path | None:
    """Where the local cloud on `port` keeps what outlives its processes (choice.create says
    what, engine by engine); None when HARNESS_PERSIST=0 (everything in memory only)."""
    if os.environ.get(PERSIST, "1") == "0":
        return None
    return SAVED_STATE_DIR / str(port)


class NotUp(HarnessError):
    pass


@dataclass
class Status:
    engine: str
    endpoint: str
    engine_running: bool
    stack: StackOutputs | None
    saved_state: Path | None  # where the engine saves its state; None: nowhere
    kept: Path | None  # the folder of what outlives the engine's processes; None: nothing

    def as_dict(self) -> dict[str, object]:
        status = asdict(self)
        status["stack"] = asdict(self.stack) if self.stack else None
        for name in ("saved_state", "kept"):
            status[name] = str(status[name]) if status[name] else None
        return status


class LocalCloud:
    def __init__(
        self,
        engine: Engine | None = None,
        state_dir: Path = STATE_DIR,
        app: CdkApp | None = None,
    ) -> None:
        """`app`: the CDK app `up` deploys; by default the project's (harness.project.load),
        read when first needed, so commands that deploy nothing work outside a project."""
        self.state_dir = state_dir
        self._app = app
        self.engine = engine or choice.create(
            choice.selected(f"http://127.0.0.1:{PORT}"), state_dir, PORT, kept_folder()
        )
        self.network: ContainerNetwork = network.HOST

    @property
    def app(self) -> CdkApp:
        if self._app is None:
            self._app = project.load()
        return self._app

    @property
    def endpoint(self) -> str:
        return self.engine.endpoint

    def assembly(self, app: CdkApp) -> Path:
        """Where this cloud's deploys synthesize `app`: a folder of this cloud and stack, as the
        CDK CLI locks the folder it synthesizes into. Clouds on other ports (the tests', a
        second checkout's) can then deploy the same app at the same time."""
        return self.state_dir / "cdk.out" / app.stack_name

    @property
    def container_endpoint(self) -> str:
        """The engine's endpoint as the containers the harness starts see it."""
        return self.engine.container_endpoint(self.network)

    @property
    def _network_name(self) -> str:
        return network.name_for(urlsplit(self.endpoint).port or network.DEFAULT_PORT)

    def images(self) -> PreparedImages:
        """Docker running, and every image the flow and this engine need (idempotent)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        docker_host.ensure_docker(self.state_dir / "dockerd.log")
        client = docker.from_env()
        images = prepare_all(client)
        self.engine.prepare_images(client, images.base)
        return images

    def up(self, deploy_log: Path | None = None) -> StackOutputs:
        """Idempotent: reuses a running engine, present images and the deployed stack."""
        images = self.images()
        self.network = self._container_network()
        self.recover()
        was_running = self.engine.healthy()
        self.engine.start(self.network)
        state = "reused" if was_running else "started"
        logger.info(f"engine: {self.engine.name} at {self.endpoint} ({state})")
        return self._deploy(images.base, deploy_log, self.app)

    def recover(self) -> None:
        """After an engine that ended without `make local-down`: say what went with it and,
        when it kept its state in memory only, remove the job containers it left running."""
        pid = self.engine.pop_crashed_pid()
        if pid is None:
            return
        if self.engine.saved_state:
            what = (
                "it comes back from its saved state and the journal of the writes it "
                "acknowledged since; the containers of jobs it was running are left to it, and "
                "it follows them to their end"
            )
        elif self.engine.kept:
            what = (
                f"the Batch stand-in comes back from its file in {self.engine.kept}, and "
                "follows the containers of the jobs it was running to their end; what "
                f"{self.engine.name} held is there still only if it went on running (else the "
                "stack is deployed again now)"
            )
        else:
            removed = remove_job_containers(self.endpoint)
            what = (
                "the stacks, objects, items and job history it held in memory are gone (the "
                f"stack is deployed again now); {removed} containers of jobs it was running "
                "removed"
            )
        logger.info(
            f"the previous engine (pid {pid}) ended without `make local-down`: {what}. The "
            f"end of its log:\n{self.engine.log_tail(10)}"
        )

    def _container_network(self) -> ContainerNetwork:
        client = docker.from_env()
        override = os.environ.get(network.OVERRIDE)
        if self.engine.needs_bridge_network:
            override = "bridge"
        mode = network.choose(client.info(), client.api.base_url, override)
        prepared = network.prepare(client, mode, self._network_name)
        where = f"network {prepared.network_name}" if prepared.network_name else "the host network"
        calls = self.engine.container_endpoint(prepared)
        logger.info(f"containers: {where}; they call the engine at {calls}")
        return prepared

    def deploy(self, app: CdkApp, log: Path | None = None) -> StackOutputs:
        """Deploy (create or update) a copy of the app on the running engine."""
        return self._deploy(base_image(docker.from_env()), log, app)

    def _deploy(self, base: str, log: Path | None, app: CdkApp) -> StackOutputs:
        """Deploy, then have an engine that keeps its state save it whole: its journal keeps
        only the data written between two saves, not a deploy."""
        outputs = deploy(
            self.endpoint, base, app, self.assembly(app), log, self.engine.after_deploy
        )
        if self._kept(running=True)[0]:  # the running engine's own setting counts
            EngineState(self.endpoint).save()
        return outputs

    def down(self) -> None:
        running = self.engine.healthy()
        saves_to, kept = self._kept(running) if running else (None, None)  # as the engine says
        stopping_at = time.time()
        self.engine.stop()
        if self.engine.healthy():
            logger.info(
                f"the engine at {self.endpoint} was not started by `make local-up` and still "
                "runs (`docker compose up`? then stop it with `docker compose down`)"
            )
        elif not running:
            logger.info(f"no engine was running at {self.endpoint}")
        elif saves_to is None and kept:
            logger.info(
                f"engine stopped: {self.engine.name} kept nothing of its own; the Batch "
                f"stand-in's state and the fault rules are kept in {kept}"
            )
        elif saves_to is None:
            logger.info("engine stopped (it kept its state in memory only)")
        elif saves_to.exists() and saves_to.stat().st_mtime >= stopping_at:
            logger.info(f"engine stopped; its state is saved in {saves_to}")
        else:
            logger.warning(
                "engine stopped, but it did not save its state; the end of its log:\n"
                + self.engine.log_tail(10)
            )
        removed = remove_job_containers(self.endpoint)
        logger.info(f"{removed} leftover job containers removed")
        try:
            if network.remove(docker.from_env(), self._network_name):
                logger.info(f"network {self._network_name} removed")
        except docker.errors.DockerException:
            pass

    def status(self) -> Status:
        running = self.engine.healthy()
        saved_state, kept = self._kept(running)
        return Status(
            engine=self.engine.name,
            endpoint=self.endpoint,
            engine_running=running,
            stack=stack_outputs(self.endpoint, self.app) if running else None,
            saved_state=saved_state,
            kept=kept,
        )

    def _kept(self, running: bool) -> tuple[Path | None, Path | None]:
        """Where the running engine saves its state and the folder it keeps (it says so in
        its health), else where this one would."""
        if not running:
            return self.engine.saved_state, self.engine.kept
        health = engine_health(self.endpoint)
        saved_state, kept = health.get("saved_state"), health.get("kept")
        return Path(saved_state) if saved_state else None, Path(kept) if kept else None

    def outputs(self) -> StackOutputs:
        """The deployed stack, or a clear error saying how to get one."""
        if not self.engine.healthy():
            raise NotUp(
                f"The local cloud is not running at {self.endpoint}: run `{local_up_command()}`."
            )
        outputs = stack_outputs(self.endpoint, self.app)
        if outputs is None:
            raise NotUp(
                f"The engine runs but the stack is not deployed: run `{local_up_command()}`."
            )
        return outputs


def remove_job_containers(engine: str) -> int:
    """Remove the job containers that the stand-in of the engine at `engine` started."""
    return docker_host.remove_containers({"label": [BATCH_JOB_LABEL, f"{ENGINE_LABEL}={engine}"]})
