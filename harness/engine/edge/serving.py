"""Serving an engine's WSGI app on one or more addresses until SIGTERM (both engines' edges).

The server is waitress, not werkzeug's development server: werkzeug closes the connection
after every response, so every SDK call and every processor request connected anew, which
AWS's endpoints do not make clients do. waitress keeps HTTP/1.1 connections alive and runs
requests on a fixed pool of threads; an idle kept-alive connection holds no thread.

What the edge does with each kind of request is in docs/local-cloud.md ("The edge's contract"). This
module is the one place the harness reaches into waitress: its request parser is replaced
(see RequestParser), and `check_waitress()` verifies, before a server is created, that the
names this relies on still exist.
"""

import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import waitress
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.utilities import BadRequest

from harness.engine.base import EngineError, answering
from harness.waiting import wait_until

# Requests run at once. A request can wait on another one to the same engine (an S3 upload
# whose notification invokes a function that calls Batch), so there are many more than
# the cores; each waits mostly on sockets or containers.
THREADS = 64
ALSO_THREADS = 16  # for an address added later, which only some containers call
# Open connections: every SDK client pools up to 10, every processor writer keeps one.
CONNECTION_LIMIT = 1000
# A connection that sends nothing for this long while the edge waits for its request (a
# stalled upload, a client gone without closing) is closed. A slow upload that keeps sending
# is never idle; a request the engine is still working on is never closed.
IDLE_TIMEOUT = "HARNESS_IDLE_TIMEOUT"
DEFAULT_IDLE_TIMEOUT_SECONDS = 120
# How an HTTP request starts: a method name, then a space. Anything else (a TLS handshake
# sent to this plain-HTTP port, binary junk) is answered 400 at once instead of waiting for
# the end of a header that will never come.
REQUEST_START = re.compile(rb"[A-Za-z]{1,20}( |$)")
NOT_HTTP = (
    "not an HTTP request: this endpoint speaks plain HTTP/1.1 (a client given an https:// "
    "URL sends TLS to it; use http://)"
)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


class RequestParser(HTTPRequestParser):
    """waitress's request parser, except that a request without a body never waits for one.

    botocore sends `Expect: 100-continue` with every PutObject and UploadPart, an empty one
    too (`Content-Length: 0`). waitress parses such a request as complete, then answers the
    expectation with 100 Continue and marks the request incomplete again, waiting for a body
    that never comes: the client times out (60 s, three tries). With no body there is nothing
    to continue (RFC 9110, 10.1.1: a server need not send 100 for content it has), so the
    expectation is dropped and the request is served at once, as every other one is.
    """

    completed: bool  # waitress's, declared for the type checker
    header_plus: bytes

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if self.body_rcv is None:  # no Content-Length above 0 and not chunked: no body
            self.expect_continue = False

    def received(self, data: bytes) -> int:
        """Bytes that cannot start a request line end the request with 400 at once."""
        if self.body_rcv is None and not self.completed:
            # the first bytes only: this runs for every request, whose data may be its body too
            start = (self.header_plus[:64] + data[:64]).lstrip(b"\r\n")[:21]
            if start and not REQUEST_START.match(start):
                self.parse_header(b"GET / HTTP/1.0\r\n")  # as waitress does for its errors
                self.error = BadRequest(NOT_HTTP)
                self.completed = True
                return len(data)
        return int(super().received(data))


class Channel(HTTPChannel):
    parser_class = RequestParser


# (class, attribute) pairs the two classes above rely on.
WAITRESS_RELIED_ON = (
    (HTTPRequestParser, "parse_header"),
    (HTTPRequestParser, "received"),
    (HTTPRequestParser, "header_plus"),
    (HTTPRequestParser, "completed"),
    (HTTPRequestParser, "error"),
    (HTTPRequestParser, "body_rcv"),
    (HTTPRequestParser, "expect_continue"),
    (HTTPChannel, "parser_class"),
    (BaseWSGIServer, "channel_class"),
)


def check_waitress() -> None:
    """Raise EngineError naming what is missing when waitress no longer has what this module
    relies on (usually after an upgrade)."""
    missing = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls, name in WAITRESS_RELIED_ON
        if not hasattr(cls, name)
    ]
    if missing:
        raise EngineError(
            f"waitress {version('waitress')} lacks {', '.join(missing)}, which "
            "harness/engine/edge/serving.py relies on: install the version "
            "constraints.txt pins"
        )


def idle_timeout_seconds(environ: dict[str, str] | None = None) -> int:
    """HARNESS_IDLE_TIMEOUT (whole seconds, at least 1), else the default."""
    value = (os.environ if environ is None else environ).get(IDLE_TIMEOUT, "")
    if not value:
        return DEFAULT_IDLE_TIMEOUT_SECONDS
    if not value.isdigit() or int(value) < 1:
        raise EngineError(f"{IDLE_TIMEOUT} must be a whole number of seconds, not {value!r}")
    return int(value)


def create_server(
    app: Any,
    addresses: list[tuple[str, int]],
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT_SECONDS,
    threads: int = THREADS,
) -> Any:
    """A server of `app` bound to every (host, port); run() serves until SystemExit."""
    check_waitress()
    sockets: dict[int, Any] = {}  # waitress's socket map: a server per address, then channels
    server = waitress.create_server(
        app,
        map=sockets,
        listen=" ".join(f"{host}:{port}" for host, port in addresses),
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=idle_timeout,
        cleanup_interval=max(1, min(30, idle_timeout // 2)),  # how often idleness is checked
        asyncore_use_poll=True,  # select() cannot watch descriptors above 1024
        ident="csv-pipeline-harness",  # Server header, unless the app sends its own
    )
    for listener in sockets.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
    return server


def serve(app: Any, addresses: list[tuple[str, int]], logger: str) -> None:
    """Serve `app` on every (host, port) until SIGTERM."""
    server = create_server(app, addresses, idle_timeout_seconds())

    def stop(*_: Any) -> None:  # run() ends on SystemExit: requests get 5 s to finish
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    for host, port in addresses:
        logging.getLogger(logger).info("serving on http://%s:%d", host, port)
    server.run()


def serve_also(app: Any, address: tuple[str, int], logger: str) -> None:
    """Serve `app` on one more (host, port) from now on, in a thread of its own, until the
    process ends; raises at once when the address cannot be bound."""
    server = create_server(app, [address], idle_timeout_seconds(), threads=ALSO_THREADS)
    threading.Thread(target=server.run, name=f"serving-{address[0]}", daemon=True).start()
    logging.getLogger(logger).info("serving also on http://%s:%d", *address)


def once_serving(endpoint: str, engine: str, go_on: Callable[[], None]) -> None:
    """Call `go_on` in a thread of its own once the edge at `endpoint` answers as `engine`:
    what must wait until it serves (restored jobs go on: their containers call it)."""

    def wait_then_go_on() -> None:
        wait_until(lambda: answering(endpoint) == engine or None, timeout=60, interval=0.1)
        go_on()

    threading.Thread(target=wait_then_go_on, name="once-serving", daemon=True).start()
