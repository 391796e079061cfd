"""Writers in parallel from one thread: every row once, the later row of a key wins, a key never
in two requests at once, errors surface, memory bounded. The writers' real clients talk HTTP to
a fake DynamoDB on loopback, so select() waits on real sockets."""

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from processor.dynamodb import BatchWriteClient
from processor.items import PutRequest
from processor.parallel import QUEUED_BATCHES, ParallelWriter
from processor.writer import BATCH_SIZE, BatchWriter, WriteFailed

from harness.waiting import wait_until
from tests.unit.conftest import serving
from tests.unit.fakes import FakeTable


@contextmanager
def served(table: FakeTable) -> Iterator[str]:
    """The fake on loopback; held requests are let go at the end."""
    with serving(table) as url:
        try:
            yield url
        finally:
            table.open.set()


class CountingClient(BatchWriteClient):
    started = 0  # requests started, by every client of the class

    def start(self, table: str, put_requests: list[str]) -> None:
        CountingClient.started += 1
        super().start(table, put_requests)


def parallel(
    url: str,
    count: int = 4,
    max_attempts: int = 8,
    sdk_attempts: int = 1,
    client: type[BatchWriteClient] = BatchWriteClient,
) -> ParallelWriter:
    credentials = SimpleNamespace(
        get_frozen_credentials=lambda: SimpleNamespace(access_key="a", secret_key="s", token="")
    )
    tls = ssl.create_default_context()  # unused: the fake answers plain HTTP
    clients = [
        client(url, "us-east-1", credentials, sdk_attempts, tls, sleep=lambda _: None)
        for _ in range(count)
    ]
    return ParallelWriter(
        [BatchWriter(c, "t", "k", max_attempts, sleep=lambda _: None) for c in clients]
    )


def item(key: str, value: str) -> PutRequest:
    return PutRequest(
        key, json.dumps({"PutRequest": {"Item": {"k": {"S": key}, "v": {"S": value}}}})
    )


def test_every_row_is_written_once_and_the_later_row_of_a_key_wins():
    table = FakeTable(delay=0.001)
    with served(table) as url:
        writer = parallel(url)
        for n in range(2_000):
            writer.add(item(f"key-{n % 700}", f"row-{n}"))  # each key repeated, interleaved
        writer.flush()

    assert writer.written_rows == 2_000
    assert table.items == {f"key-{k}": f"row-{max(range(k, 2_000, 700))}" for k in range(700)}
    assert table.overlaps == [], "a key was in two requests in flight at once"
    assert table.requests >= 2_000 // BATCH_SIZE // 2


def test_requests_of_different_writers_are_in_flight_at_once():
    table = FakeTable()
    table.open.clear()  # the fake holds every request until the test lets them go
    with served(table) as url:
        writer = parallel(url, count=4)
        for n in range(4 * BATCH_SIZE * 4):
            writer.add(item(f"key-{n}", "v"))
        started = time.monotonic()
        while table.requests < 4 and time.monotonic() - started < 5:
            time.sleep(0.01)
        in_flight_at_once = table.requests
        table.open.set()
        writer.flush()

    assert in_flight_at_once == 4, "each writer had one request in flight, from one thread"
    assert writer.written_rows == 4 * BATCH_SIZE * 4


def test_an_error_in_a_writer_stops_the_run_and_counts_only_accepted_rows():
    table = FakeTable(fail_on="key-5")
    with served(table) as url:
        writer = parallel(url, count=2, client=CountingClient)
        with pytest.raises(ClientError, match="no key-5"):
            for n in range(500):
                writer.add(item(f"key-{n}", "v"))
            writer.flush()
        started_before_the_error = CountingClient.started
        writer.close()

    assert CountingClient.started == started_before_the_error, "a request started after it"
    assert writer.written_rows == len(table.items) < 500


def test_unprocessed_rows_after_every_retry_fail_the_flush():
    table = FakeTable()
    table.refuse_all = True
    with served(table) as url:
        writer = parallel(url, count=1, max_attempts=2)
        writer.add(item("a", "v"))
        with pytest.raises(WriteFailed, match="1 rows still unprocessed after 2"):
            writer.flush()


def test_parsing_waits_for_answers_when_the_writers_fall_behind():
    table = FakeTable()
    table.open.clear()
    added: list[int] = []
    with served(table) as url:
        writer = parallel(url, count=1)

        def produce() -> None:
            for n in range(10 * BATCH_SIZE * QUEUED_BATCHES):
                writer.add(item(f"key-{n}", "v"))
                added.append(n)

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        held = wait_until(lambda: settled(added), timeout=5, interval=0.05)
        table.open.set()
        producer.join(5)
        writer.flush()

    # the producer ran ahead as far as the queue allows (its batches, the one in flight and
    # the one being filled) and then waited
    assert held is not None, "the producer never stopped adding"
    assert QUEUED_BATCHES * BATCH_SIZE <= held <= (QUEUED_BATCHES + 2) * BATCH_SIZE
    assert writer.written_rows == 10 * BATCH_SIZE * QUEUED_BATCHES


def settled(added: list[int], checks: int = 3) -> int | None:
    """How many rows were added, once that number held for `checks` looks in a row."""
    seen = [len(added)]
    for _ in range(checks):
        threading.Event().wait(0.02)
        seen.append(len(added))
    return seen[0] if seen[0] and len(set(seen)) == 1 else None


def test_close_after_an_error_elsewhere_writes_what_was_added():
    table = FakeTable()
    with served(table) as url:
        writer = parallel(url, count=2)
        for n in range(30):
            writer.add(item(f"key-{n}", "v"))
        writer.close()  # as process() does when parsing fails: no flush() before

    assert writer.written_rows == 30 == len(table.items)


def test_a_request_that_cannot_be_sent_is_retried_then_fails_without_waiting_on_it():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there: every connection is refused
    writer = parallel(f"http://127.0.0.1:{port}", count=2, sdk_attempts=3)
    for n in range(3 * BATCH_SIZE):
        writer.add(item(f"key-{n}", "v"))

    started = time.monotonic()
    with pytest.raises(EndpointConnectionError):
        writer.flush()
    assert time.monotonic() - started < 5
    assert writer.written_rows == 0
