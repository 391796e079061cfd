"""Make sure a Docker engine answers; on a Debian host without one, install and start it.

The engine it installs is configured for the host network only (no default bridge, no
iptables): containers run with network_mode=host and reach the local AWS endpoint on
127.0.0.1. The only private network then is one the harness creates for its own containers
when they cannot share the host's (harness/cloud/network.py).
"""

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors

from harness.errors import HarnessError
from harness.waiting import wait_until

logger = logging.getLogger(__name__)

DAEMON_CONFIG = Path("/etc/docker/daemon.json")
HOST_NETWORK_ONLY = {
    "bridge": "none",
    "iptables": False,
    "ip-forward": False,
    "ip-masq": False,
    "host-gateway-ip": "127.0.0.1",
}
START_TIMEOUT_SECONDS = 60
INSTALL_VARIABLE = "HARNESS_INSTALL_DOCKER"  # 0: never install or start a Docker engine


class DockerUnavailable(HarnessError):
    pass


def answers() -> bool:
    try:
        docker.from_env().ping()
    except docker.errors.DockerException:
        return False
    return True


def can_install() -> bool:
    """Root on Debian, and not told otherwise (HARNESS_INSTALL_DOCKER=0)."""
    return (
        os.environ.get(INSTALL_VARIABLE, "1") != "0"
        and os.geteuid() == 0
        and Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
    )


def ensure_docker(log_file: Path) -> None:
    if answers():
        logger.info("Docker engine: running")
        return
    if not can_install():
        raise DockerUnavailable(
            "No Docker engine answers. Start Docker (Docker Desktop, or `sudo systemctl start "
            "docker`), check `docker info`, then run this again (as root on Debian, without "
            f"{INSTALL_VARIABLE}=0, the harness installs and starts one itself)."
        )
    # Written before the package is installed: its install script may start the daemon,
    # which would otherwise create the default bridge on a private network.
    if not DAEMON_CONFIG.exists():
        DAEMON_CONFIG.parent.mkdir(parents=True, exist_ok=True)
        DAEMON_CONFIG.write_text(json.dumps(HOST_NETWORK_ONLY, indent=2) + "\n")
        logger.info(f"wrote {DAEMON_CONFIG} (host network only, no bridge)")
    install_packages(missing_packages())
    if answers():
        logger.info("Docker engine: started by its package")
        return
    logger.info(f"starting dockerd in the background (log: {log_file})")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if wait_until(lambda: answers() or None, START_TIMEOUT_SECONDS, interval=0.5):
        logger.info("Docker engine: started")
        return
    raise DockerUnavailable(
        f"dockerd did not answer within {START_TIMEOUT_SECONDS}s; see {log_file}"
    )


def missing_packages() -> list[str]:
    wanted = {"dockerd": "docker.io", "debootstrap": "debootstrap"}
    return [package for binary, package in wanted.items() if shutil.which(binary) is None]


def install_packages(packages: list[str]) -> None:
    if not packages:
        return
    logger.info(f"installing {', '.join(packages)} with apt-get (this host has no Docker engine)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(
            command, capture_output=True, text=True, env=environment, check=False
        )
        if result.returncode != 0:
            raise DockerUnavailable(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")


def environment_of(container: Any) -> list[str]:
    """A container's environment variables, as NAME=value."""
    return list(container.attrs["Config"]["Env"] or [])


def remove_containers(
    filters: dict[str, Any],
    environment: str | None = None,
    unless: Callable[[Any], bool] = lambda container: False,
) -> int:
    """Remove (stopping them first) the containers that match Docker's `filters` and, when
    given, have the `environment` variable (NAME=value), but those `unless` keeps; how many.
    Nothing to do when no Docker engine answers."""
    try:
        # a container that goes between Docker's list and its inspection is left out
        containers = docker.from_env().containers.list(
            all=True, filters=filters, ignore_removed=True
        )
    except docker.errors.DockerException:
        return 0
    if environment is not None:
        containers = [c for c in containers if environment in environment_of(c)]
    removed = 0
    for container in containers:
        if unless(container):
            continue
        try:
            container.remove(force=True)
        except docker.errors.NotFound:  # removed meanwhile by its own engine
            continue
        removed += 1
    return removed
