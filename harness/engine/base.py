"""What the harness needs from a local AWS engine, whichever one it is."""

import http.client
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from harness.cloud.network import ContainerNetwork
from harness.control.routes import HEALTH_PATH
from harness.errors import HarnessError


class EngineError(HarnessError):
    pass


class Engine(Protocol):
    """A process (or a service someone else runs) that answers AWS API calls locally."""

    name: str
    # True: its functions cannot share the host network (the harness's bridge network then).
    needs_bridge_network: bool
    # The folder where what outlives its process is kept: the fault rules, and the engine's
    # saved state or the Batch stand-in's; None: it keeps nothing between runs.
    kept: Path | None
    # The file of its own state it restores at start and saves to at stop; None: it keeps
    # none of its own (LocalStack's free runtime), or nothing at all.
    saved_state: Path | None

    @property
    def endpoint(self) -> str:
        """The single URL every AWS client uses (AWS_ENDPOINT_URL)."""
        ...

    def container_endpoint(self, network: ContainerNetwork) -> str:
        """The URL containers on `network` (functions, jobs) call it at."""
        ...

    def start(self, network: ContainerNetwork) -> None:
        """Start it, or reuse it when it is already running and healthy; the containers it
        starts (functions, jobs) run on `network`."""
        ...

    def stop(self) -> None:
        """Stop it if this harness started it; do nothing otherwise."""
        ...

    def prepare_images(self, client: Any, base: str) -> None:
        """Make present the images its own machinery runs (`client`: a Docker client; `base`:
        the base image the harness's images are built from), beyond the harness's images."""
        ...

    def after_deploy(self, stack: str) -> None:
        """Called after each deploy of `stack` (and after the CDK bootstrap's, CDKToolkit):
        what the engine's CloudFormation left out of the stack is applied here."""
        ...

    def healthy(self) -> bool: ...

    def pop_crashed_pid(self) -> int | None:
        """The pid of a previous engine of this harness that ended without being stopped."""
        ...

    def pid(self) -> int | None:
        """The pid of the process this harness runs it in (its edge's, for LocalStack);
        None when it runs none."""
        ...

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of its log (for an engine that ended unexpectedly)."""
        ...


def port_taken(endpoint: str) -> bool:
    """True when something listens at `endpoint` (HTTP or not)."""
    try:
        urllib.request.urlopen(endpoint, timeout=1)
    except (urllib.error.HTTPError, http.client.HTTPException):
        return True
    except OSError as error:
        return not isinstance(getattr(error, "reason", error), ConnectionRefusedError)
    return True


def free_port() -> int:
    """A port nothing listens on right now, on loopback (for an engine of its own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refuse_taken_port(endpoint: str) -> None:
    """Raise EngineError saying who holds `endpoint`, when anything does: the harness's other
    engine (then: stop it first), or another program."""
    other = answering(endpoint)
    if other:
        raise EngineError(
            f"the harness's {other} engine already runs at {endpoint}: stop it with "
            "`make local-down` first, or give this one another port with HARNESS_PORT."
        )
    if port_taken(endpoint):
        raise EngineError(
            f"{endpoint} is taken by another program (not this harness's engine). "
            "Stop it, or choose another port with HARNESS_PORT."
        )


def engine_health(endpoint: str) -> dict[str, Any]:
    """What the harness engine at `endpoint` says of itself; empty when none answers."""
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=2) as response:
            health = json.load(response)
    except (OSError, ValueError, http.client.HTTPException):
        return {}
    return health if isinstance(health, dict) else {}


def answering(endpoint: str) -> str | None:
    """The name of the harness engine that answers at `endpoint`, if one does."""
    name = engine_health(endpoint).get("engine")
    return str(name) if name else None
