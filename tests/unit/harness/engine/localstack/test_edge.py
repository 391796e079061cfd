"""The edge in front of LocalStack: Batch to the stand-in, ECR to its own backend, every other
request passed through unchanged (a recording upstream stands in for LocalStack)."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from harness.engine.localstack.edge import Proxy, build_app
from tests.unit.conftest import local_client as client
from tests.unit.conftest import serving
from tests.unit.fakes import FakeBatchService


def upstream_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Echoes the request; answers with its own Date and Server, as LocalStack does."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = {
        "method": environ["REQUEST_METHOD"],
        "path": environ.get("REQUEST_URI") or environ["PATH_INFO"],
        "host": environ.get("HTTP_HOST"),
        "authorization": environ.get("HTTP_AUTHORIZATION"),
        "body": environ["wsgi.input"].read(length).decode(),
    }
    start_response(
        "404 Not Found" if "missing" in body["path"] else "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Date", "Thu, 01 Jan 2026 00:00:00 GMT"),
            ("Server", "upstream"),
            ("x-amzn-RequestId", "abc"),
        ],
    )
    return [json.dumps(body).encode(), b"\n" + b"x" * 200_000]  # a body in more than one chunk


@pytest.fixture
def edge(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "000000000000")
    with (
        serving(upstream_app) as upstream,
        serving(build_app(upstream, FakeBatchService(), [])) as url,
    ):
        yield url


def test_other_requests_pass_through_unchanged_with_one_date_header(edge):
    http = urllib3.PoolManager()
    signed = "AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/s3/aws4_request, Sig=x"

    response = http.request(
        "PUT",
        f"{edge}/bucket/key?versionId=3",
        body=b"row,1\n",
        headers={"Authorization": signed, "Host": "bucket.s3.localhost.localstack.cloud:4566"},
    )
    echoed = json.loads(response.data.split(b"\n", 1)[0])

    assert response.status == 200
    assert echoed == {
        "method": "PUT",
        "path": "/bucket/key?versionId=3",
        "host": "bucket.s3.localhost.localstack.cloud:4566",
        "authorization": signed,
        "body": "row,1\n",
    }
    assert len(response.data) > 200_000
    assert response.headers.getlist("Date") == ["Thu, 01 Jan 2026 00:00:00 GMT"], "upstream's"
    assert response.headers["x-amzn-RequestId"] == "abc"
    assert http.request("GET", f"{edge}/missing").status == 404


def test_batch_goes_to_the_stand_in_and_ecr_to_the_edges_own_backend(edge):
    batch = client("batch", edge)
    batch.create_compute_environment(
        computeEnvironmentName="env",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 2, "subnets": ["s"]},
    )
    ecr = client("ecr", edge)
    ecr.create_repository(repositoryName="cdk-assets")

    assert [
        e["computeEnvironmentName"]
        for e in batch.describe_compute_environments()["computeEnvironments"]
    ] == ["env"]
    (repository,) = ecr.describe_repositories(repositoryNames=["cdk-assets"])["repositories"]
    assert repository["repositoryArn"].startswith("arn:aws:ecr:us-east-1:000000000000:")


def test_an_answer_slower_than_the_connect_limit_still_passes_through():
    """Only the connection has a short limit: LocalStack may take longer than that to answer
    (its first call to a service loads the service)."""

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        time.sleep(0.6)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"loaded"]

    with serving(slow_app) as upstream:
        proxy = Proxy(upstream, connect_seconds=0.2, read_seconds=5)
        with serving(proxy) as url:
            response = urllib3.PoolManager().request("GET", url + "/slow", retries=False)
    assert (response.status, response.data) == (200, b"loaded")
