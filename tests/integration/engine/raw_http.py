"""Raw HTTP/1.1 exchanges with the local cloud's edge, timed, for the edge's tests."""

import socket
import time
import urllib.parse

# How long a request may wait for its answer (an SDK client in these tests, too).
ANSWER_WITHIN_S = 10


class Edge:
    """Raw HTTP/1.1 to the local cloud's edge; every exchange is timed."""

    def __init__(self, endpoint: str) -> None:
        url = urllib.parse.urlsplit(endpoint)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80

    def connect(self, timeout: float = ANSWER_WITHIN_S) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def exchange(self, request: bytes, close_after: bool = False) -> tuple[float, bytes]:
        """Seconds until the edge answered or closed, and what it sent."""
        started = time.monotonic()
        with self.connect() as connection:
            connection.sendall(request)
            if close_after:
                connection.shutdown(socket.SHUT_WR)
            return time.monotonic() - started, read_response(connection)

    def another_client_served_within(self, seconds: float = 1.0) -> bool:
        """A health check on a connection of its own is answered within `seconds`."""
        started = time.monotonic()
        with self.connect(timeout=seconds) as connection:
            connection.sendall(
                f"GET /_harness/health HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
            )
            answered = read_response(connection).startswith(b"HTTP/1.1 200")
        return answered and time.monotonic() - started < seconds


def read_response(connection: socket.socket) -> bytes:
    """One response (by its Content-Length), or what came before the edge closed."""
    received = b""
    while True:
        head, found, body = received.partition(b"\r\n\r\n")
        if found:
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(body) >= length:
                return received
        data = connection.recv(65536)
        if not data:
            return received
        received += data
