"""How the containers the harness starts (Batch jobs, Lambda functions) reach the engine.

- Host networking: a Docker engine on this Linux machine runs containers in the harness's
  own network namespace when they use network_mode=host, so they reach the engine on
  127.0.0.1 like any local program. Nothing listens beyond loopback.
- A bridge network: Docker Desktop (macOS, Windows) and remote engines (DOCKER_HOST=tcp://...)
  run containers in another VM or machine, where "the host network" is not this one. The
  harness then creates a network of its own and containers call the engine by the name
  host.docker.internal, which Docker Desktop resolves to this machine.

HARNESS_CONTAINER_NETWORK=host|bridge overrides the detection. A Linux engine forced onto the
bridge (the integration test does this) has no host.docker.internal that leads here, so its
containers call the engine at the network's gateway address, where the engine then listens
too: the one private-range address the harness uses, and only on a network it created.
"""

import platform
from dataclasses import dataclass
from typing import Any

import docker.errors

from harness.errors import HarnessError

OVERRIDE = "HARNESS_CONTAINER_NETWORK"
NETWORK_NAME = "csv-pipeline"
DEFAULT_PORT = 4566
HOST_NAME_FOR_ENGINE = "host.docker.internal"
LABEL = {"csv-pipeline.harness": "network"}
# How the Docker SDK names a local Unix socket (ssh:// and npipe:// engines are not local).
UNIX_SOCKET_URLS = ("http+docker://localhost", "http+docker://localunixsocket")


@dataclass(frozen=True)
class ContainerNetwork:
    mode: str  # "host" or "bridge"
    engine_host: str  # what a container calls the engine
    network_name: str | None = None
    listen_also: str | None = None  # an address the engine must listen on besides loopback

    def endpoint(self, port: int) -> str:
        """The engine's endpoint as a container sees it (its AWS_ENDPOINT_URL)."""
        return f"http://{self.engine_host}:{port}"

    def container_options(self) -> dict[str, Any]:
        """Docker SDK options for a container that must reach the engine."""
        if self.mode == "host":
            return {"network_mode": "host"}
        options: dict[str, Any] = {"network": self.network_name}
        if self.engine_host == HOST_NAME_FOR_ENGINE:
            options["extra_hosts"] = {HOST_NAME_FOR_ENGINE: "host-gateway"}
        return options


HOST = ContainerNetwork("host", "127.0.0.1")


def name_for(port: int) -> str:
    """The bridge network of the local cloud on `port`: a second cloud on another
    HARNESS_PORT gets a network of its own, which its `make local-down` removes."""
    return NETWORK_NAME if port == DEFAULT_PORT else f"{NETWORK_NAME}-{port}"


def shares_host_network(info: dict[str, Any], base_url: str, system: str | None = None) -> bool:
    """True when a network_mode=host container shares this process's network namespace: the
    engine is a local Linux one (a Unix socket), not Docker Desktop's VM or a remote host."""
    local = base_url in UNIX_SOCKET_URLS or base_url.startswith(("unix://", "http+unix://"))
    desktop = "docker desktop" in str(info.get("OperatingSystem", "")).lower()
    return (system or platform.system()) == "Linux" and local and not desktop


def choose(
    info: dict[str, Any], base_url: str, override: str | None, system: str | None = None
) -> str:
    """'host' or 'bridge' for this Docker engine, or the override when one is set."""
    if override:
        if override not in ("host", "bridge"):
            raise HarnessError(f"{OVERRIDE} must be 'host' or 'bridge', not {override!r}")
        return override
    return "host" if shares_host_network(info, base_url, system) else "bridge"


def prepare(client: Any, mode: str, name: str) -> ContainerNetwork:
    """The network for `mode`, creating the harness's bridge network when it is needed."""
    if mode == "host":
        return HOST
    try:
        network = client.networks.get(name)
    except docker.errors.NotFound:
        network = client.networks.create(name, driver="bridge", labels=LABEL)
    if not shares_host_network(client.info(), client.api.base_url):
        return ContainerNetwork("bridge", HOST_NAME_FOR_ENGINE, name)
    network.reload()
    gateway = network.attrs["IPAM"]["Config"][0]["Gateway"]
    return ContainerNetwork("bridge", gateway, name, listen_also=gateway)


def remove(client: Any, name: str) -> bool:
    """Remove the harness's network, if it exists; True when it did."""
    try:
        client.networks.get(name).remove()
    except docker.errors.NotFound:
        return False
    return True
