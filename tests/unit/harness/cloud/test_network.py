"""Which network the harness's containers use, and what a job's container gets (no Docker)."""

from typing import Any

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.jobs import Attempt
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import ContainerRunner
from harness.cloud.network import (
    HOST,
    HOST_NAME_FOR_ENGINE,
    ContainerNetwork,
    choose,
    name_for,
    shares_host_network,
)
from harness.engine.moto.engine import lambda_network_environment
from harness.errors import HarnessError

LINUX_SOCKET = "http+docker://localhost"  # what the Docker SDK reports for /var/run/docker.sock
DESKTOP = {"OperatingSystem": "Docker Desktop"}
DEBIAN = {"OperatingSystem": "Debian GNU/Linux 12 (bookworm)"}


@pytest.mark.parametrize(
    ("info", "base_url", "system", "expected"),
    [
        (DEBIAN, LINUX_SOCKET, "Linux", "host"),
        (DEBIAN, "unix://var/run/docker.sock", "Linux", "host"),
        (DESKTOP, LINUX_SOCKET, "Darwin", "bridge"),
        (DESKTOP, LINUX_SOCKET, "Linux", "bridge"),  # Docker Desktop for Linux: its own VM
        (DESKTOP, "http+docker://localnpipe", "Windows", "bridge"),
        (DEBIAN, "http+docker://ssh", "Linux", "bridge"),  # DOCKER_HOST=ssh://...
        (DEBIAN, "http://build-box.example:2375", "Linux", "bridge"),  # a remote DOCKER_HOST
    ],
)
def test_host_networking_only_where_containers_share_this_network(info, base_url, system, expected):
    assert choose(info, base_url, None, system) == expected
    assert shares_host_network(info, base_url, system) is (expected == "host")


def test_the_override_wins_and_is_checked():
    assert choose(DESKTOP, LINUX_SOCKET, "host", "Darwin") == "host"
    assert choose(DEBIAN, LINUX_SOCKET, "bridge", "Linux") == "bridge"
    with pytest.raises(HarnessError, match="HARNESS_CONTAINER_NETWORK must be 'host' or 'bridge'"):
        choose(DEBIAN, LINUX_SOCKET, "overlay", "Linux")


def test_a_cloud_on_another_port_gets_a_network_of_its_own():
    assert name_for(4566) == "csv-pipeline"
    assert name_for(4576) == "csv-pipeline-4576"


def test_what_a_container_gets_on_each_network():
    desktop = ContainerNetwork("bridge", HOST_NAME_FOR_ENGINE, "csv-pipeline")
    linux_bridge = ContainerNetwork("bridge", "172.30.0.1", "csv-pipeline", "172.30.0.1")

    assert (HOST.container_options(), HOST.endpoint(4566)) == (
        {"network_mode": "host"},
        "http://127.0.0.1:4566",
    )
    assert desktop.container_options() == {
        "network": "csv-pipeline",
        "extra_hosts": {"host.docker.internal": "host-gateway"},
    }
    assert desktop.endpoint(4566) == "http://host.docker.internal:4566"
    assert linux_bridge.container_options() == {"network": "csv-pipeline"}
    assert linux_bridge.endpoint(4566) == "http://172.30.0.1:4566"


def test_moto_runs_functions_on_the_same_network_as_the_harness_containers():
    desktop = ContainerNetwork("bridge", HOST_NAME_FOR_ENGINE, "csv-pipeline")

    assert lambda_network_environment(HOST) == {"MOTO_DOCKER_NETWORK_MODE": "host"}
    assert lambda_network_environment(desktop) == {"MOTO_DOCKER_NETWORK_NAME": "csv-pipeline"}


class Recorder:
    """Stands in for the Docker SDK's client: records the container a job asks for."""

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}
        self.containers = self

    def create(self, image: str, **options: Any) -> Any:
        self.created = {"image": image, **options}
        raise _Stop


class _Stop(Exception):
    pass


def test_a_job_container_gets_the_network_and_the_engine_endpoint_containers_use():
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    backend.create_compute_environment("compute", {"maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("processor", {"image": "processor:1", "command": ["run"]})
    job = backend.submit_job("job-1", "queue", "processor")
    job.attempts.append(Attempt())
    network = ContainerNetwork("bridge", HOST_NAME_FOR_ENGINE, "csv-pipeline")
    docker = Recorder()
    engine_environment = {"AWS_ENDPOINT_URL": network.endpoint(4566)}
    runner = ContainerRunner(
        docker, CloudWatchLogSink(client=None), engine_environment, network.container_options()
    )

    with pytest.raises(_Stop):
        runner.run(job, job.attempts[0], on_running=lambda: None)

    created = docker.created
    assert (created["network"], created["extra_hosts"]) == (
        "csv-pipeline",
        {"host.docker.internal": "host-gateway"},
    )
    assert "network_mode" not in created
    assert created["environment"]["AWS_ENDPOINT_URL"] == "http://host.docker.internal:4566"
    assert created["environment"]["AWS_BATCH_JOB_ID"] == job.id
    assert created["command"] == ["run"]
