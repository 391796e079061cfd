"""Nothing reaches the local cloud from outside this machine (either engine): nothing the
harness starts listens beyond loopback and its own bridge gateway, and the edge refuses what a
web page or a foreign host name sends (harness/engine/edge/guard.py), control routes included."""

import http.client
import json
import urllib.parse

import docker

from harness.control.routes import FAULTS_PATH
from harness.paths import REPO
from tests.integration import listeners


def send(
    endpoint: str, method: str, path: str, headers: dict[str, str], body: dict | None = None
) -> tuple[int, dict]:
    url = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request(method, path, body=json.dumps(body or {}).encode(), headers=headers)
    response = connection.getresponse()
    answer = response.status, json.loads(response.read() or b"{}")
    connection.close()
    return answer


def test_nothing_started_for_the_cloud_listens_beyond_loopback_and_its_bridge(
    pipeline, local_cloud, listeners_before
):
    upload = pipeline.upload(REPO / "samples" / "Sample.csv")
    pipeline.wait_for_jobs(upload)  # every service of the pipeline has run (DynamoDB included)

    assert listeners.exposed(listeners_before, docker.from_env()) == []


def test_a_web_page_cannot_reset_the_cloud(local_cloud, pipeline):
    page = {"Origin": "https://attacker.example", "Content-Type": "text/plain"}

    status, body = send(local_cloud.endpoint, "POST", "/moto-api/reset", page)

    assert (status, body["error"]) == (403, "Forbidden")
    assert "Origin: https://attacker.example" in body["message"]
    pipeline.s3.head_bucket(Bucket=pipeline.outputs.bucket)  # still there


def test_a_web_page_cannot_add_a_fault_rule(faults):
    rule = {"service": "s3", "error": "SlowDown"}
    page = {"Origin": "http://127.0.0.1:8000", "Content-Type": "application/json"}

    refused, _ = send(faults.endpoint, "POST", FAULTS_PATH, page, rule)
    added, _ = send(faults.endpoint, "POST", FAULTS_PATH, {}, rule)  # the same, from a program

    assert (refused, added) == (403, 200)
    assert [r["error"] for r in faults.listed()] == ["SlowDown"]


def test_a_request_to_a_foreign_host_name_is_refused(local_cloud):
    rebound = {"Host": "rebound.attacker.example:4566"}

    status, body = send(local_cloud.endpoint, "GET", FAULTS_PATH, rebound)

    assert status == 403
    assert "HARNESS_ALLOWED_HOSTS=rebound.attacker.example" in body["message"]
