"""The engines' server (harness/engine/edge/serving.py): kept-alive connections, paths as sent,
requests without a body answered even when they expect 100 Continue; moto given each path as
sent (harness/engine/moto/apps.py)."""

import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from harness.engine.base import EngineError
from harness.engine.edge import serving
from harness.engine.edge.serving import create_server
from harness.engine.moto.apps import with_raw_uri
from tests.unit.conftest import serving as served


def echo_raw_uri(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["RAW_URI"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def port() -> Iterator[int]:
    server = create_server(with_raw_uri(echo_raw_uri), [("127.0.0.1", 0)])
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()


def test_one_connection_serves_request_after_request(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    answers, sockets = [], []
    for _ in range(3):
        connection.request("GET", "/health")
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Connection"), response.read()))
        sockets.append(connection.sock)

    assert answers == [(200, None, b"/health")] * 3
    assert sockets[0] is not None and sockets == [sockets[0]] * 3  # never reconnected
    connection.close()


def test_the_app_sees_the_path_as_sent_before_percent_decoding(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/bucket/a%2Fb%20c.csv?versionId=1")

    assert connection.getresponse().read() == b"/bucket/a%2Fb%20c.csv?versionId=1"
    connection.close()


def answer(connection: socket.socket) -> bytes:
    """What the server sends until the echoed path "/x" ends it, or until 5 s of silence."""
    received = b""
    while not received.endswith(b"/x"):
        try:
            data = connection.recv(4096)
        except TimeoutError:
            break
        if not data:
            break
        received += data
    return received


def response_to(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request)
        return answer(connection)


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_request_without_a_body_that_expects_100_continue_is_answered(port, method):
    request = f"{method} /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
    answer = response_to(port, (request + "Content-Length: 0\r\n\r\n").encode())

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer  # no 100 Continue: no body to wait for
    assert answer.endswith(b"\r\n\r\n/x")


def test_a_request_with_a_body_that_expects_100_continue_gets_it_then_its_answer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        headers = b"Host: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n"
        connection.sendall(b"PUT /x HTTP/1.1\r\n" + headers + b"\r\n")
        interim = connection.recv(4096)
        connection.sendall(b"abc")
        final = answer(connection)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n") and final.endswith(b"/x")


@pytest.mark.parametrize("body", [b"", b"x"])
def test_boto3_puts_an_empty_object_and_uploads_an_empty_part(body):
    """botocore sends Expect: 100-continue with both, the empty ones included."""
    from moto.moto_server.werkzeug_app import create_backend_app

    with served(create_backend_app("s3")) as url:
        quick = Config(read_timeout=5, retries={"max_attempts": 1})
        s3 = boto3.client("s3", endpoint_url=url, config=quick)
        s3.create_bucket(Bucket="uploads")
        s3.put_object(Bucket="uploads", Key="empty.csv", Body=body)
        upload = s3.create_multipart_upload(Bucket="uploads", Key="parts.csv")
        part = s3.upload_part(
            Bucket="uploads",
            Key="parts.csv",
            UploadId=upload["UploadId"],
            PartNumber=1,
            Body=body,
        )
        s3.complete_multipart_upload(
            Bucket="uploads",
            Key="parts.csv",
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )

        for key in ("empty.csv", "parts.csv"):
            assert s3.get_object(Bucket="uploads", Key=key)["Body"].read() == body


def test_a_waitress_without_what_the_server_relies_on_is_refused(monkeypatch):
    relied_on = (*serving.WAITRESS_RELIED_ON, (serving.HTTPChannel, "gone_in_an_upgrade"))
    monkeypatch.setattr(serving, "WAITRESS_RELIED_ON", relied_on)

    lacks = r"waitress 3\.\S+ lacks waitress\.channel\.HTTPChannel\.gone_in_an_upgrade"
    with pytest.raises(EngineError, match=lacks):
        create_server(with_raw_uri(echo_raw_uri), [("127.0.0.1", 0)])


@pytest.mark.parametrize(
    "first_bytes",
    [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"\x00\xff\x10junk", b'{"json": 1}\r\n'],
)
def test_bytes_that_cannot_start_a_request_are_answered_400_at_once(port, first_bytes):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(first_bytes)
        answer = b"".join(iter(lambda: connection.recv(4096), b""))  # until the server closes

    assert answer.startswith(b"HTTP/1.0 400 Bad Request\r\n")
    assert b"speaks plain HTTP/1.1" in answer


def test_a_request_split_across_packets_is_not_mistaken_for_junk(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        for piece in (b"G", b"ET /in", b"-pieces HTTP/1.1\r\nHost: a\r\n", b"\r\n"):
            connection.sendall(piece)
        received = b""
        while not received.endswith(b"/in-pieces"):
            received += connection.recv(4096)

    assert received.startswith(b"HTTP/1.1 200 OK")


def test_a_client_stalled_mid_body_is_closed_after_the_idle_timeout_and_others_are_served():
    server = create_server(with_raw_uri(echo_raw_uri), [("127.0.0.1", 0)], idle_timeout=1)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        stalled = socket.create_connection(("127.0.0.1", server.effective_port), timeout=10)
        stalled.sendall(b"PUT /stalled HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
        other = response_to(server.effective_port, b"GET /other HTTP/1.1\r\nHost: a\r\n\r\n")
        closed = stalled.recv(4096)  # b"" once the server closes it
        stalled.close()
    finally:
        server.close()

    assert other.startswith(b"HTTP/1.1 200 OK")
    assert closed == b""


@pytest.mark.parametrize(("value", "seconds"), [("", 120), ("300", 300)])
def test_the_idle_timeout_comes_from_the_environment(value, seconds):
    assert serving.idle_timeout_seconds({"HARNESS_IDLE_TIMEOUT": value}) == seconds


def test_an_idle_timeout_that_is_not_whole_seconds_is_refused():
    with pytest.raises(EngineError, match="HARNESS_IDLE_TIMEOUT must be a whole number"):
        serving.idle_timeout_seconds({"HARNESS_IDLE_TIMEOUT": "1.5"})
