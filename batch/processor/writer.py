"""One writer's BatchWriteItem requests: 25 items each, one in flight at a time, unprocessed
items retried with backoff.

DynamoDB refuses a request that writes the same key twice, so a row whose key is already
waiting in the batch being filled replaces it there: the later row wins, exactly as if both
had been written in file order. Full batches wait in this writer's queue and are sent in
order, one at a time, so a later row of a key is never sent before, or beside, an earlier
one. parallel.py drives several writers from one thread: send() starts a request, and
complete() reads its answer once select() says it is there.
"""

import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from processor.items import PutRequest

BATCH_SIZE = 25

# key -> (request, how many rows of the file it stands for)
Batch = dict[str, tuple[PutRequest, int]]


class WriteFailed(RuntimeError):
    """Items were still unprocessed after every retry."""

    def __init__(self, unwritten_rows: int, attempts: int) -> None:
        super().__init__(
            f"{unwritten_rows} rows still unprocessed after {attempts} BatchWriteItem attempts"
        )
        self.unwritten_rows = unwritten_rows


class BatchWriter:
    def __init__(
        self,
        client: Any,
        table: str,
        key_attribute: str,
        max_attempts: int = 8,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table
        self._key_attribute = key_attribute
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._filling: Batch = {}
        self._full: deque[Batch] = deque()
        self._in_flight: Batch | None = None
        self.written_rows = 0

    @property
    def queued(self) -> int:
        """Full batches waiting to be sent."""
        return len(self._full)

    @property
    def busy(self) -> bool:
        """A request is in flight: complete() will read its answer."""
        return self._in_flight is not None

    def add(self, request: PutRequest) -> None:
        _, rows = self._filling.pop(request.key, (None, 0))
        self._filling[request.key] = (request, rows + 1)
        if len(self._filling) >= BATCH_SIZE:
            self.seal()

    def seal(self) -> None:
        """Queue the batch being filled (full, or the last one of the rows)."""
        if self._filling:
            self._full.append(self._filling)
            self._filling = {}

    def send(self) -> None:
        """Send the next full batch, unless one is in flight or none is queued."""
        if self._in_flight is None and self._full:
            batch = self._full.popleft()
            self._client.start(self._table, [request.json for request, _ in batch.values()])
            self._in_flight = batch

    def complete(self) -> None:
        """Read the answer to the batch in flight and write what DynamoDB left unprocessed,
        with backoff; raise WriteFailed if some never are written."""
        if self._in_flight is None:
            return
        pending, self._in_flight = self._in_flight, None
        response = self._client.finish()
        attempt = 1
        while True:
            unprocessed = {
                request["PutRequest"]["Item"][self._key_attribute]["S"]
                for request in response.get("UnprocessedItems", {}).get(self._table, [])
            }
            done = [key for key in pending if key not in unprocessed]
            self.written_rows += sum(pending.pop(key)[1] for key in done)
            if not pending:
                return
            if attempt >= self._max_attempts:
                raise WriteFailed(sum(rows for _, rows in pending.values()), attempt)
            self._sleep(self._backoff(attempt))
            attempt += 1
            requests = [request.json for request, _ in pending.values()]
            response = self._client.batch_write(self._table, requests)

    def flush(self) -> None:
        """Write everything added, one request after another."""
        self.seal()
        self.complete()
        while self._full:
            self.send()
            self.complete()

    def fileno(self) -> int:
        """The descriptor of the connection the request in flight was sent on (for select)."""
        return int(self._client.fileno())

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff."""
        return random.uniform(0, min(self._max_delay, self._base_delay * 2**attempt))
