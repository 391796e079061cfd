"""A gate in front of the engine's own app: requests pass it together, and one task at a time
(the engine saving its state) can close it, once the requests inside have left, so that what
it reads is not changed under it. Requests that arrive meanwhile wait, then go on."""

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from harness.engine.edge.router import WsgiApp


class RequestGate:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._inside = 0
        self._closed = False

    @contextlib.contextmanager
    def passing(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._closed)
            self._inside += 1
        try:
            yield
        finally:
            with self._condition:
                self._inside -= 1
                self._condition.notify_all()

    @contextlib.contextmanager
    def closed(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._closed)
            self._closed = True
            self._condition.wait_for(lambda: self._inside == 0)
        try:
            yield
        finally:
            with self._condition:
                self._closed = False
                self._condition.notify_all()

    def wsgi(self, app: WsgiApp) -> WsgiApp:
        """`app` behind the gate. The call is what changes state; the answer it returns is
        read after the request has passed (an object's body streams without holding it)."""

        def gated(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with self.passing():
                return app(environ, start_response)

        return gated
