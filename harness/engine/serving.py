"""Serving an engine's WSGI app on one or more addresses until SIGTERM (both engines' edges).

The server is waitress, not werkzeug's development server: werkzeug closes the connection
after every response, so every SDK call and every processor request connected anew, which
AWS's endpoints do not make clients do. waitress keeps HTTP/1.1 connections alive and runs
requests on a fixed pool of threads; an idle kept-alive connection holds no thread.
"""

import logging
import signal
import sys
from typing import Any

import waitress

# Requests run at once. A request can wait on another one to the same engine (an S3 upload
# whose notification invokes a function that calls Batch), so there are many more than
# the cores; each waits mostly on sockets or containers.
THREADS = 64
# Open connections: every SDK client pools up to 10, every processor writer keeps one.
CONNECTION_LIMIT = 1000


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def with_raw_uri(app: Any) -> Any:
    """moto reads the request's path as sent, before percent-decoding, from RAW_URI (set by
    werkzeug's server); waitress gives it as REQUEST_URI."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ.setdefault("RAW_URI", environ.get("REQUEST_URI", ""))
        return app(environ, start_response)

    return wrapped


def create_server(app: Any, addresses: list[tuple[str, int]]) -> Any:
    """A server of `app` bound to every (host, port); run() serves until SystemExit."""
    return waitress.create_server(
        with_raw_uri(app),
        listen=" ".join(f"{host}:{port}" for host, port in addresses),
        threads=THREADS,
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,  # select() cannot watch descriptors above 1024
        ident="csv-pipeline-harness",  # Server header, unless the app sends its own
    )


def serve(app: Any, addresses: list[tuple[str, int]], logger: str) -> None:
    """Serve `app` on every (host, port) until SIGTERM."""
    server = create_server(app, addresses)

    def stop(*_: Any) -> None:  # run() ends on SystemExit: requests get 5 s to finish
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    for host, port in addresses:
        logging.getLogger(logger).info("serving on http://%s:%d", host, port)
    server.run()
