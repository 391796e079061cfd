"""The edge's guard (harness/engine/edge/guard.py): requests from this machine's programs pass,
requests a web page makes and requests to foreign host names are refused."""

import http.client
import json
from typing import Any

import boto3
import botocore.exceptions
import pytest

from harness.engine.edge.guard import RequestGuard, host_name
from tests.unit.conftest import serving


def reached(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "7")])
    return [b"reached"]


def guarded(own_hosts=("172.18.0.1",), environ=None) -> RequestGuard:
    return RequestGuard(reached, own_hosts, environ={} if environ is None else environ)


def request(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    port = int(url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path, body=b"", headers=headers)
    response = connection.getresponse()
    answer = (response.status, response.read())
    connection.close()
    return answer


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:4566", "localhost"),
        ("[::1]:4566", "::1"),
        ("::1", "::1"),
        ("Example.COM.", "example.com"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_host_name_drops_port_brackets_case_and_final_dot(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:4566",
        "localhost:4566",
        "[::1]:4566",
        "127.0.0.2",
        "bucket.localhost:4566",
        "host.docker.internal:4566",
        "s3.localhost.localstack.cloud:4566",
        "172.18.0.1:4567",
        "",
    ],
)
def test_requests_to_this_machine_and_the_edge_own_addresses_pass(host):
    assert guarded().refusal({"HTTP_HOST": host} if host else {}) is None


@pytest.mark.parametrize("host", ["attacker.example:4566", "192.168.1.20:4566", "localhost.evil"])
def test_a_foreign_host_is_refused_naming_the_switch(host):
    reason = guarded().refusal({"HTTP_HOST": host})

    assert reason is not None and "HARNESS_ALLOWED_HOSTS=" in reason


def test_the_switch_allows_named_hosts_or_any():
    assert (
        guarded(environ={"HARNESS_ALLOWED_HOSTS": "dev-box, lab.example"}).refusal(
            {"HTTP_HOST": "lab.example:4566"}
        )
        is None
    )
    assert guarded(environ={"HARNESS_ALLOWED_HOSTS": "*"}).refusal({"HTTP_HOST": "x.y"}) is None


def test_a_page_origin_is_refused_unless_allowed():
    page = {"HTTP_HOST": "127.0.0.1:4566", "HTTP_ORIGIN": "https://attacker.example"}

    assert "HARNESS_ALLOWED_ORIGINS=https://attacker.example" in guarded().refusal(page)
    assert (
        guarded(environ={"HARNESS_ALLOWED_ORIGINS": "https://attacker.example"}).refusal(page)
        is None
    )
    assert guarded().refusal({**page, "HTTP_ORIGIN": "null"}) is not None


@pytest.mark.parametrize(
    ("site", "refused"),
    [("cross-site", True), ("same-site", True), ("same-origin", False), ("none", False)],
)
def test_a_page_get_without_origin_is_judged_by_sec_fetch_site(site, refused):
    environ = {"HTTP_HOST": "127.0.0.1:4566", "HTTP_SEC_FETCH_SITE": site}

    assert (guarded().refusal(environ) is not None) is refused


def test_a_cross_origin_post_to_a_control_route_gets_403_json_and_never_reaches_the_app():
    with serving(guarded()) as url:
        status, body = request(
            url, "POST", "/moto-api/reset", {"Origin": "https://attacker.example"}
        )

    assert status == 403
    assert json.loads(body)["error"] == "Forbidden"
    assert b"reached" not in body


def test_a_rebound_host_gets_403():
    with serving(guarded()) as url:
        status, body = request(url, "GET", "/_harness/faults", {"Host": "rebind.example:4566"})

    assert status == 403 and b"rebind.example" in body


def test_sdk_requests_pass_and_a_refused_one_is_an_aws_error_botocore_parses():
    with serving(guarded()) as url:
        s3 = boto3.client("s3", endpoint_url=url)
        s3.meta.events.register(
            "before-send.s3.*", lambda request, **_: request.headers.__setitem__("Origin", "x")
        )

        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.list_buckets()

    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert "requests from web pages are refused" in error["Message"]


def test_sdk_requests_without_browser_headers_reach_the_app():
    with serving(guarded()) as url:
        status, body = request(url, "GET", "/", {"User-Agent": "Boto3/1.44"})

    assert (status, body) == (200, b"reached")


def test_an_address_the_edge_starts_to_listen_on_is_accepted_from_then_on():
    guard = guarded(own_hosts=())
    environ = {"HTTP_HOST": "172.17.0.1:4566"}
    assert "is not a name of this machine" in str(guard.refusal(environ))

    guard.also_called_by("172.17.0.1")

    assert guard.refusal(environ) is None
