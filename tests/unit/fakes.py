"""Stand-ins the unit tests share: AWS clients and services, the Docker SDK, the Batch
stand-in as an edge uses it."""

import json
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from harness.batch.backend import BatchBackend
from harness.batch.responses import BatchApp


class FakeLogs:
    """Just enough of a CloudWatch Logs client for the log sink."""

    class exceptions:  # boto3's attribute name
        ResourceAlreadyExistsException = KeyError

    def __init__(self) -> None:
        self.events: list[str] = []

    def create_log_group(self, **_: Any) -> None:
        pass

    def create_log_stream(self, **_: Any) -> None:
        pass

    def put_log_events(self, logEvents: list[dict[str, Any]], **_: Any) -> None:
        self.events += [event["message"] for event in logEvents]


class FakeContainer:
    """A Docker container that prints one line and runs until stopped (exit 143), or, when
    `exits_at_once`, ends with exit code 0."""

    def __init__(self, exits_at_once: bool) -> None:
        self.stopped = threading.Event()
        if exits_at_once:
            self.stopped.set()
        self.exit_code = 0 if exits_at_once else 143
        self.attrs: dict[str, Any] = {"State": {"OOMKilled": False}}

    def start(self) -> None:
        pass

    def logs(
        self, stream: bool, follow: bool, since: float | None, timestamps: bool
    ) -> Iterator[bytes]:
        yield b"2026-12-03T06:31:03.123456789Z working\n" if timestamps else b"working\n"
        self.stopped.wait(5)

    def wait(self) -> dict[str, int]:
        self.stopped.wait(5)
        return {"StatusCode": self.exit_code}

    def reload(self) -> None:
        pass

    def stop(self, timeout: int) -> None:
        self.stopped.set()

    def kill(self) -> None:
        self.stopped.set()

    def remove(self, force: bool) -> None:
        pass


class FakeDocker:
    """The Docker SDK's client as ContainerRunner uses it: the first container runs until
    stopped, later ones exit 0 at once."""

    def __init__(self) -> None:
        self.containers = self
        self.created: list[FakeContainer] = []

    def create(self, image: str, **options: Any) -> FakeContainer:
        self.created.append(FakeContainer(exits_at_once=bool(self.created)))
        return self.created[-1]


class FakeTable:
    """BatchWriteItem as a WSGI app: keeps the items, records requests and keys in flight at once.
    Requests wait for `open` (set unless a test closes it) and `delay`; a request holding
    `fail_on` is refused with a ValidationException; with `refuse_all` every item comes back
    unprocessed."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.items: dict[str, str] = {}
        self.in_flight: set[str] = set()
        self.overlaps: list[str] = []
        self.requests = 0
        self.delay = delay
        self.fail_on = fail_on
        self.refuse_all = False
        self.open = threading.Event()
        self.open.set()
        self._lock = threading.Lock()

    def answer(self, body: bytes) -> tuple[int, dict]:
        requests = json.loads(body)["RequestItems"]["t"]
        items = [request["PutRequest"]["Item"] for request in requests]
        keys = {item["k"]["S"] for item in items}
        with self._lock:
            self.requests += 1
            self.overlaps += sorted(keys & self.in_flight)
            self.in_flight |= keys
        self.open.wait(10)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= keys
            if self.fail_on in keys:
                return 400, {"__type": "x#ValidationException", "message": f"no {self.fail_on}"}
            if self.refuse_all:
                return 200, {"UnprocessedItems": {"t": requests}}
            for item in items:
                self.items[item["k"]["S"]] = item["v"]["S"]
        return 200, {"UnprocessedItems": {}}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status, answer = self.answer(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        payload = json.dumps(answer).encode()
        headers = [("Content-Length", str(len(payload)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]


class FakeDynamoDB:
    """Records requests; refuses the first `refusals` items of each request while any remain."""

    def __init__(self, refusals: int = 0) -> None:
        self.requests: list[list[str]] = []
        self.refusals = refusals

    def start(self, table: str, put_requests: list[str]) -> None:
        self.started = (table, put_requests)

    def finish(self) -> dict[str, Any]:
        return self.batch_write(*self.started)

    def batch_write(self, table: str, put_requests: list[str]) -> dict[str, Any]:
        requests = [json.loads(request) for request in put_requests]
        self.requests.append([r["PutRequest"]["Item"]["k"]["S"] for r in requests])
        refused = requests[: self.refusals]
        self.refusals = max(0, self.refusals - len(refused))
        return {"UnprocessedItems": {table: refused} if refused else {}}


class FakeBatchService:
    """The Batch stand-in as the LocalStack edge uses it, with jobs that never start."""

    def __init__(self) -> None:
        self.backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)

    def app(self) -> BatchApp:
        return BatchApp(lambda region: self.backend)

    def reclaim_host(self, job_id: str) -> str:
        return self.backend.reclaim_host(job_id)
