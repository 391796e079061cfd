"""Writers in parallel: every row once, the later row of a key wins, a key never in two
requests at once, errors surface, memory bounded (a fake DynamoDB, no network)."""

import json
import threading
import time

import pytest
from processor.items import PutRequest
from processor.parallel import QUEUED_CHUNKS, ParallelWriter
from processor.writer import BATCH_SIZE, BatchWriter, WriteFailed


class SharedTable:
    """A thread-safe fake BatchWriteItem that keeps the table and checks concurrency."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.items: dict[str, str] = {}
        self.in_flight: set[str] = set()
        self.overlaps: list[str] = []
        self.requests = 0
        self.delay = delay
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def batch_write(self, table: str, requests: list[str]) -> dict:
        items = [json.loads(r)["PutRequest"]["Item"] for r in requests]
        keys = {item["k"]["S"] for item in items}
        with self._lock:
            self.requests += 1
            self.overlaps += sorted(keys & self.in_flight)
            self.in_flight |= keys
        time.sleep(self.delay)
        if self.fail_on in keys:
            raise RuntimeError(f"throttled on {self.fail_on}")
        with self._lock:
            self.in_flight -= keys
            for item in items:
                self.items[item["k"]["S"]] = item["v"]["S"]
        return {"UnprocessedItems": {}}


def item(key: str, value: str) -> PutRequest:
    return PutRequest(
        key, json.dumps({"PutRequest": {"Item": {"k": {"S": key}, "v": {"S": value}}}})
    )


def parallel(table: SharedTable, count: int = 4) -> ParallelWriter:
    writers = [BatchWriter(table, "t", "k", sleep=lambda _: None) for _ in range(count)]
    return ParallelWriter(writers)


def test_every_row_is_written_once_and_the_later_row_of_a_key_wins():
    table = SharedTable(delay=0.001)
    writer = parallel(table)

    for n in range(2_000):
        writer.add(item(f"key-{n % 700}", f"row-{n}"))  # each key repeated, interleaved
    writer.flush()

    assert writer.written_rows == 2_000
    assert table.items == {f"key-{k}": f"row-{max(range(k, 2_000, 700))}" for k in range(700)}
    assert table.overlaps == [], "a key was in two requests in flight at once"
    assert table.requests >= 2_000 // BATCH_SIZE // 2


def test_an_error_in_a_writer_stops_the_run_and_counts_only_accepted_rows():
    table = SharedTable(fail_on="key-5")
    writer = parallel(table, count=2)

    with pytest.raises(RuntimeError, match="throttled on key-5"):
        for n in range(500):
            writer.add(item(f"key-{n}", "v"))
        writer.flush()
    writer.close()

    assert writer.written_rows == len(table.items) < 500


def test_unprocessed_rows_after_every_retry_fail_the_flush():
    class Refusing(SharedTable):
        def batch_write(self, table, requests):
            return {"UnprocessedItems": {table: [json.loads(r) for r in requests]}}

    writers = [BatchWriter(Refusing(), "t", "k", max_attempts=2, sleep=lambda _: None)]
    writer = ParallelWriter(writers)
    writer.add(item("a", "v"))

    with pytest.raises(WriteFailed, match="1 rows still unprocessed after 2"):
        writer.flush()


def test_parsing_waits_when_the_writers_fall_behind():
    release = threading.Event()

    class Stuck(SharedTable):
        def batch_write(self, table, requests):
            release.wait(5)
            return super().batch_write(table, requests)

    writer = parallel(Stuck(), count=1)
    added: list[int] = []

    def produce() -> None:
        for n in range(10 * BATCH_SIZE * QUEUED_CHUNKS):
            writer.add(item(f"key-{n}", "v"))
            added.append(n)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    time.sleep(0.3)
    held = len(added)
    release.set()
    producer.join(5)
    writer.flush()

    # the writer's chunk, the queued ones and the producer's own, not yet handed over
    assert held <= (QUEUED_CHUNKS + 2) * BATCH_SIZE, "the queue is bounded"
    assert writer.written_rows == 10 * BATCH_SIZE * QUEUED_CHUNKS
