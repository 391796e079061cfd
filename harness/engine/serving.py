"""Serving an engine's WSGI app on one or more addresses until SIGTERM (both engines' edges)."""

import logging
import signal
import sys
import threading
from typing import Any

from werkzeug.serving import make_server


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def serve(app: Any, addresses: list[tuple[str, int]], logger: str) -> None:
    """Serve `app` on every (host, port) until SIGTERM; the first one on this thread."""
    servers = [make_server(host, port, app, threaded=True) for host, port in addresses]
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, daemon=True).start()

    def stop(*_: Any) -> None:  # shutdown() waits for serve_forever(): not on this thread
        for server in servers:
            threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    for server in servers:
        logging.getLogger(logger).info("serving on http://%s:%d", server.host, server.port)
    servers[0].serve_forever()
