"""A DynamoDB endpoint that accepts every BatchWriteItem and keeps nothing, over keep-alive
HTTP/1.1 connections: the processor measured against it pays only for its own work (parsing,
items, requests, HTTP), not for the engine's. `delay_ms` answers that much later (about what
the engine takes per request on a 2-core machine), to measure what waiting costs the
processor."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCEPTED = b'{"UnprocessedItems":{}}'


def handler(delay_ms: float) -> type[BaseHTTPRequestHandler]:
    class AcceptEverything(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits for the client's delayed ACK

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay_ms:
                time.sleep(delay_ms / 1000)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(ACCEPTED)))
            self.end_headers()
            self.wfile.write(ACCEPTED)

        def log_message(self, *_: object) -> None:
            pass

    return AcceptEverything


@contextmanager
def null_dynamodb(delay_ms: float = 0) -> Iterator[str]:
    """Serve it on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(delay_ms))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
