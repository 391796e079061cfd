"""The writes the journal keeps (journal.py), recorded in front of the engine's app.

Recorded: S3, DynamoDB and CloudWatch Logs requests that change something, answered with a
2xx: the data a user or a job writes between two saves of the engine's state. Everything else
(deploys, functions, IAM, parameters) changes with a deploy, after which the engine saves its
whole state; docs/local-cloud.md says what a crash between two saves can lose.

Writes to one service pass the engine one at a time, each with its record appended before the
next starts, so the journal holds them in the order the engine applied them; the answer
waits for the record to be on disk.
"""

import contextlib
import io
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.engine.edge.journal import Delivered, Journal, Request
from harness.engine.edge.router import WsgiApp
from harness.engine.edge.sigv4 import signed_service
from harness.faults.middleware import buffered_body

RECORDED_SERVICES = ("s3", "dynamodb", "logs")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# JSON-protocol operations that read (DynamoDB's and CloudWatch Logs' others change state)
READ_ACTIONS = ("Get", "BatchGet", "Query", "Scan", "Describe", "List", "Filter", "Test")
TARGET_SERVICES = {"DynamoDB_": "dynamodb", "Logs_": "logs"}


def service_of(environ: dict[str, Any]) -> str:
    """The service a request is for: by its signature, a presigned URL's credential, its
    JSON-protocol target, else S3 (moto's own default for a request it cannot place)."""
    service = signed_service(environ)
    if service:
        return service
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    credential = query.get("X-Amz-Credential", [""])[0].split("/")
    if len(credential) == 5:
        return credential[3]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    for prefix, service in TARGET_SERVICES.items():
        if target.startswith(prefix):
            return service
    return "s3"


def written_service(environ: dict[str, Any]) -> str | None:
    """The service of a request the journal records (when the engine acknowledges it); None
    for any other request."""
    if environ["REQUEST_METHOD"] in READ_METHODS:
        return None
    if environ.get("PATH_INFO", "").startswith(("/_harness/", "/moto-api/")):
        return None
    service = service_of(environ)
    action = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    if service not in RECORDED_SERVICES or action.startswith(READ_ACTIONS):
        return None
    return service


class Deliveries:
    """Counts the asynchronous deliveries a recorded request starts (S3 invoking Lambda), and
    records each one's end, so that a replay delivers again only what never ended."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._current = threading.local()

    @contextlib.contextmanager
    def during(self, request: Request) -> Iterator[None]:
        self._current.request = request
        try:
            yield
        finally:
            self._current.request = None

    def handed_off(self) -> int | None:
        """Called on the request's thread as it starts a delivery; the request's sequence
        (None when no recorded request is under way)."""
        request = getattr(self._current, "request", None)
        if request is None:
            return None
        request.handed_off += 1
        return request.sequence

    def ended(self, sequence: int | None) -> None:
        if sequence is not None:
            self._journal.append(Delivered(sequence))


class Recorder:
    """WSGI middleware: passes every request to `app`, recording the writes in `journal`."""

    def __init__(self, app: WsgiApp, journal: Journal, deliveries: Deliveries) -> None:
        self._app = app
        self._journal = journal
        self._deliveries = deliveries
        self._order = {service: threading.Lock() for service in RECORDED_SERVICES}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        service = written_service(environ)
        if service is None:
            return self._app(environ, start_response)
        body = buffered_body(environ)
        request = Request(self._journal.next_sequence(), recorded_environ(environ), body)
        with self._order[service], self._deliveries.during(request):
            answer = answered(self._app, environ)
            position = self._journal.append(request) if answer.succeeded else 0
        self._journal.flush(position)
        start_response(answer.status, answer.headers, answer.exc_info)
        return [answer.content]


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[tuple[str, str]]
    exc_info: Any
    content: bytes

    @property
    def succeeded(self) -> bool:
        return self.status.startswith("2")


def answered(app: WsgiApp, environ: dict[str, Any]) -> Answer:
    """`app`'s whole answer to the request in `environ`."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers, exc_info]
        return lambda data: None  # moto's apps return their body, never write it

    response = app(environ, start_response)
    try:
        content = b"".join(response)
    finally:
        if hasattr(response, "close"):
            response.close()
    status, headers, exc_info = started
    return Answer(status, headers, exc_info, content)


def recorded_environ(environ: dict[str, Any]) -> dict[str, str]:
    """The parts of a WSGI environ that describe the request (its CGI variables)."""
    return {
        key: value for key, value in environ.items() if key.isupper() and isinstance(value, str)
    }


def replayed_environ(request: Request) -> dict[str, Any]:
    """A WSGI environ that sends `request` again."""
    return {
        **request.environ,
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
