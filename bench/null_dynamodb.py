"""A DynamoDB endpoint that accepts every BatchWriteItem at once and keeps nothing, over
keep-alive HTTP/1.1 connections: the processor measured against it pays only for its own
work (parsing, items, requests, HTTP), not for the engine's, which shares this machine's
cores and, like moto's server, closes the connection after every request."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCEPTED = b'{"UnprocessedItems":{}}'


class AcceptEverything(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits for the client's delayed ACK

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(ACCEPTED)))
        self.end_headers()
        self.wfile.write(ACCEPTED)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def null_dynamodb() -> Iterator[str]:
    """Serve it on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), AcceptEverything)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
