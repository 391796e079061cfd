"""What the harness needs from a local AWS engine, whichever one it is."""

from typing import Protocol

from harness.container_network import ContainerNetwork
from harness.errors import HarnessError


class EngineError(HarnessError):
    pass


class Engine(Protocol):
    """A process (or a service someone else runs) that answers AWS API calls locally."""

    name: str

    @property
    def endpoint(self) -> str:
        """The single URL every AWS client uses (AWS_ENDPOINT_URL)."""
        ...

    def start(self, network: ContainerNetwork) -> None:
        """Start it, or reuse it when it is already running and healthy; the containers it
        starts (functions, jobs) run on `network`."""
        ...

    def stop(self) -> None:
        """Stop it if this harness started it; do nothing otherwise."""
        ...

    def healthy(self) -> bool: ...

    def died(self) -> int | None:
        """The pid of a previous engine of this harness that ended without being stopped."""
        ...
