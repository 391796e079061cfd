"""The network a multi-node job's nodes run on when the embedded engine runs jobs on the host
network (its default on Linux).

On the host network every container shares this machine's addresses: nodes that listen on the
same port would collide, and no node has an address of its own to give the others. So the
nodes run on the harness's own bridge network (the one `make local-up` chooses for every
container on Docker Desktop), made when the first node starts. The engine then also listens on
that network's gateway, the address the nodes call it at, until it stops; before the first
multi-node job nothing listens beyond loopback. `make local-down` removes the network.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import docker

from harness.cloud import network
from harness.cloud.network import ContainerNetwork

logger = logging.getLogger("harness.engine")


class NodeBridge:
    """The batch.runner.NodeNetwork of an engine on `port` whose jobs use the host network:
    the first call makes the bridge network and has `serve_on` serve the engine on its
    gateway too; every call answers the nodes' Docker options and the endpoint they call."""

    def __init__(self, port: int, serve_on: Callable[[str], None]) -> None:
        self._port = port
        self._serve_on = serve_on
        self._lock = threading.Lock()
        self._prepared: ContainerNetwork | None = None

    def __call__(self) -> tuple[dict[str, Any], str]:
        with self._lock:
            if self._prepared is None:
                name = network.name_for(self._port)
                prepared = network.prepare(docker.from_env(), "bridge", name)
                if prepared.listen_also:
                    self._serve_on(prepared.listen_also)
                logger.info(
                    "multi-node jobs: their nodes run on network %s and call the engine at %s",
                    name,
                    prepared.endpoint(self._port),
                )
                self._prepared = prepared
            return self._prepared.container_options(), self._prepared.endpoint(self._port)
