"""How the harness configures LocalStack: loopback only, functions on the harness's network
calling the edge, images from this machine."""

import json
from typing import Any

import pytest

from harness.cloud.network import HOST, ContainerNetwork
from harness.engine.base import EngineError
from harness.engine.localstack.edge import build_app
from harness.engine.localstack.engine import LOCALSTACK_PORT, LocalStackEngine
from harness.images.prepare import LAMBDA_IMAGE
from harness.waiting import wait_until
from tests.unit.conftest import serving
from tests.unit.fakes import FakeBatchService

BRIDGE = ContainerNetwork("bridge", "172.30.0.1", "csv-pipeline", listen_also="172.30.0.1")


def test_localstack_listens_on_loopback_only_and_runs_functions_on_the_harness_network(
    tmp_path,
):
    environment = LocalStackEngine(tmp_path)._localstack_environment(BRIDGE)

    assert environment["GATEWAY_LISTEN"] == f"127.0.0.1:{LOCALSTACK_PORT}"
    assert environment["GATEWAY_SERVER"] == "hypercorn", "twisted would bind 0.0.0.0"
    assert environment["DNS_ADDRESS"] == "0", "its DNS server would bind 0.0.0.0:53"
    assert environment["LAMBDA_DOCKER_NETWORK"] == "csv-pipeline"
    assert json.loads(environment["LAMBDA_RUNTIME_IMAGE_MAPPING"])["python3.12"] == LAMBDA_IMAGE
    assert environment["CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES"] == "1"
    assert environment["LAMBDA_RETRY_BASE_DELAY"] == "1", "as the embedded engine retries"


def test_the_users_dynamodb_heap_setting_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNAMODB_HEAP_SIZE", "2g")

    assert LocalStackEngine(tmp_path)._localstack_environment(BRIDGE)["DYNAMODB_HEAP_SIZE"] == "2g"


def test_containers_call_the_edge_where_localstack_sends_its_functions(tmp_path):
    engine = LocalStackEngine(tmp_path, port=4566)

    assert engine.endpoint == "http://127.0.0.1:4566"
    assert engine.container_endpoint(BRIDGE) == f"http://172.30.0.1:{LOCALSTACK_PORT}"


def test_without_a_bridge_on_this_machine_it_says_to_use_the_embedded_engine(tmp_path):
    docker_desktop = ContainerNetwork("bridge", "host.docker.internal", "csv-pipeline")

    for network in (HOST, docker_desktop):
        with pytest.raises(EngineError, match="HARNESS_ENGINE=moto"):
            LocalStackEngine(tmp_path, port=1).start(network)


def localstack_health(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """What LocalStack answers at /_localstack/health (trimmed)."""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"services": {"s3": "running"}, "edition": "community"}).encode()]


def test_an_edge_in_front_of_a_localstack_it_did_not_start_is_reused(tmp_path, monkeypatch):
    """compose.yaml's `localstack` service: LocalStack and the edge run in containers; the
    harness deploys to them instead of starting LocalStack on this machine."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "000000000000")
    with (
        serving(localstack_health) as localstack,
        serving(build_app(localstack, FakeBatchService(), [])) as edge,
    ):
        port = int(edge.rpartition(":")[2])
        engine = LocalStackEngine(tmp_path, port=port)

        assert wait_until(lambda: engine.healthy() or None, timeout=10, interval=0.1)
        engine.start(HOST)  # no LocalStack started, no error


def test_an_edge_whose_localstack_does_not_answer_is_not_healthy(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "000000000000")
    with serving(build_app("http://127.0.0.1:9", FakeBatchService(), [])) as edge:
        engine = LocalStackEngine(tmp_path, port=int(edge.rpartition(":")[2]))

        assert not engine.healthy()
        with pytest.raises(EngineError, match="HARNESS_ENGINE=moto"):
            engine.start(HOST)
