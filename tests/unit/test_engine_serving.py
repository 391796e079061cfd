"""The engines' server (harness/engine/serving.py): kept-alive connections, paths as sent."""

import http.client
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from harness.engine.serving import create_server


def echo_raw_uri(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["RAW_URI"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def port() -> Iterator[int]:
    server = create_server(echo_raw_uri, [("127.0.0.1", 0)])
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
