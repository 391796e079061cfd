"""The edge both engines serve (harness/engine/edge/router.py): each request reaches the part
meant for it, behind the Host check, the fault rules and the upload checksums."""

import json
from typing import Any

import pytest
import requests

from harness.batch import clock
from harness.batch.clock import StandInClock
from harness.client import aws
from harness.control.client import Faults
from harness.control.routes import CLOCK_PATH, HEALTH_PATH
from harness.engine.edge.router import edge_app
from tests.unit.conftest import serving
from tests.unit.fakes import FakeBatchService

SIGNED = "AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/{}/aws4_request, Signature=x"


def answering(name: str) -> Any:
    """A WSGI app that says who it is and what it was asked."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = json.dumps({"app": name, "path": environ["PATH_INFO"]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


@pytest.fixture
def edge() -> Any:
    batch = FakeBatchService()
    app = edge_app(
        health=lambda: {"engine": "test"},
        batch=batch,
        engine=answering("engine"),
        own_hosts=["", "gateway.test"],
        control={"/_harness/own": answering("control")},
        services={"ecr": answering("ecr")},
    )
    with serving(app) as url:
        yield url


def test_health_and_control_routes_come_first(edge):
    assert requests.get(edge + HEALTH_PATH, timeout=5).json() == {"engine": "test", "kept": None}
    assert requests.get(edge + "/_harness/own", timeout=5).json()["app"] == "control"


def test_batch_goes_to_the_stand_in_a_named_service_to_its_app_the_rest_to_the_engine(edge):
    queues = aws.client("batch", edge).describe_job_queues()["jobQueues"]
    signed_for = "AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/{}/aws4_request, Sig=x"
    ecr = requests.post(edge + "/", headers={"Authorization": signed_for.format("ecr")}, timeout=5)
    s3 = requests.get(
        edge + "/bucket", headers={"Authorization": signed_for.format("s3")}, timeout=5
    )

    assert queues == []
    assert ecr.json()["app"] == "ecr"
    assert s3.json() == {"app": "engine", "path": "/bucket"}


def test_the_checks_stand_in_front_of_every_route(edge):
    foreign = requests.get(edge + HEALTH_PATH, headers={"Host": "example.com"}, timeout=5)
    own = requests.get(edge + HEALTH_PATH, headers={"Host": "gateway.test"}, timeout=5)
    Faults(edge).add(service="batch", error="ThrottlingException", count=1)
    throttled = requests.post(
        edge + "/v1/describejobqueues",
        json={},
        headers={"Authorization": SIGNED.format("batch")},
        timeout=5,
    )

    assert throttled.status_code == 400
    assert throttled.json()["__type"] == "ThrottlingException"
    assert foreign.status_code == 403
    assert own.status_code == 200


def test_the_stand_ins_clock_moves_forward_on_request_and_refuses_nonsense(edge, monkeypatch):
    monkeypatch.setattr(clock, "CLOCK", StandInClock())
    url = edge + CLOCK_PATH

    moved = requests.post(url, json={"advanceSeconds": 600}, timeout=5)
    refused = requests.post(url, json={"advanceSeconds": -1}, timeout=5)
    garbled = requests.post(url, data=b"{not json", timeout=5)
    told = requests.get(url, timeout=5)

    assert (moved.status_code, moved.json()) == (200, {"aheadSeconds": 600})
    assert refused.status_code == 400 and "advanceSeconds" in refused.json()["message"]
    assert garbled.status_code == 400
    assert told.json() == {"aheadSeconds": 600}
