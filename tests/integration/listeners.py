"""What listens on this machine (`ss`) and in the harness's containers (their published ports),
and which of it another machine could reach: anything not bound to loopback or to the
harness's own bridge gateway."""

import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cloud.lifecycle import STATE_DIR
from harness.cloud.network import LABEL

HARNESS_PREFIX = "csv-pipeline"  # names and labels of everything the harness starts


@dataclass(frozen=True, order=True)
class Listener:
    protocol: str  # "tcp" or "udp"
    address: str  # "*" for every interface
    port: int
    process: str = ""  # 'java' (pid 29184), when ss says
    pid: int = 0

    @property
    def socket(self) -> tuple[str, str, int]:
        return self.protocol, self.address, self.port

    def __str__(self) -> str:
        who = f"{self.process} (pid {self.pid})" if self.pid else "an unknown process"
        return f"{who} on {self.protocol} {self.address}:{self.port}"


def parse(line: str) -> Listener:
    """One line of `ss -ltunpH`."""
    fields = line.split()
    protocol, local = fields[0], fields[4]
    address, _, port = local.rpartition(":")
    address = address.strip("[]").partition("%")[0]  # [::1], 127.0.0.53%lo
    process, pid = "", 0
    if len(fields) > 6 and 'users:(("' in fields[6]:
        process = fields[6].split('"')[1]
        pid = int(fields[6].split("pid=")[1].split(",")[0])
    return Listener(protocol, address, int(port) if port.isdigit() else 0, process, pid)


def listening() -> list[Listener]:
    """Every TCP listener and bound UDP socket of this machine's network namespace."""
    output = subprocess.run(["ss", "-ltunpH"], capture_output=True, text=True, check=True).stdout
    return [parse(line) for line in output.splitlines() if line.strip()]


def harness_pids() -> set[int]:
    """The programs the harness started (pid files in its state directory) and every
    process below them."""
    roots = set()
    for pid_file in STATE_DIR.glob("*.pid"):
        try:
            roots.add(int(pid_file.read_text()))
        except ValueError:
            continue
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found = set(roots)
    while True:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        if not more:
            return found
        found |= more


def bridge_gateways(client: Any) -> set[str]:
    """The gateway addresses of the harness's own bridge networks (one per local cloud)."""
    labels = [f"{key}={value}" for key, value in LABEL.items()]
    gateways = set()
    for network in client.networks.list(filters={"label": labels}):
        network.reload()
        configs = network.attrs.get("IPAM", {}).get("Config") or [{}]
        if gateway := configs[0].get("Gateway"):
            gateways.add(gateway)
    return gateways


def local_only(address: str, allowed: set[str]) -> bool:
    if address in allowed:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "*": every interface
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def exposed(before: list[Listener], client: Any) -> list[str]:
    """Sockets reachable from other machines that were not there `before` or belong to a
    program the harness started, and ports the harness's containers publish beyond
    loopback; each named with its process or container."""
    allowed = bridge_gateways(client)
    earlier = {listener.socket for listener in before}
    ours = harness_pids()
    found = [
        str(listener)
        for listener in sorted(listening())
        if not local_only(listener.address, allowed)
        and (listener.socket not in earlier or listener.pid in ours)
    ]
    # other clouds' containers on this Docker engine come and go while it lists them
    for container in client.containers.list(ignore_removed=True):
        if not is_harness_container(container):
            continue
        for container_port, bindings in (container.ports or {}).items():
            for binding in bindings or []:
                if not local_only(binding.get("HostIp", ""), set()):
                    found.append(
                        f"container {container.name} publishes {container_port} on "
                        f"{binding.get('HostIp')}:{binding.get('HostPort')}"
                    )
    return found


def is_harness_container(container: Any) -> bool:
    labels = container.labels or {}
    return container.name.startswith(HARNESS_PREFIX) or any(
        key.startswith(HARNESS_PREFIX) or str(value).startswith(HARNESS_PREFIX)
        for key, value in labels.items()
    )
