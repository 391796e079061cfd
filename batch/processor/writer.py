"""Write items with BatchWriteItem: 25 per request, unprocessed items retried with backoff.

DynamoDB refuses a request that writes the same key twice, so a row whose key is already
waiting in the current batch replaces it there: the later row wins, exactly as if both
had been written in file order.
"""

import random
import time
from collections.abc import Callable
from typing import Any

from processor.items import PutRequest

BATCH_SIZE = 25


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
        # key -> (request, how many rows of the file this pending request stands for)
        self._pending: dict[str, tuple[PutRequest, int]] = {}
        self.written_rows = 0

    def add(self, request: PutRequest) -> None:
        _, rows = self._pending.pop(request.key, (None, 0))
        self._pending[request.key] = (request, rows + 1)
        if len(self._pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Write everything pending; raise WriteFailed if DynamoDB keeps refusing some."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        for attempt in range(1, self._max_attempts + 1):
            requests = [request.json for request, _ in pending.values()]
            response = self._client.batch_write(self._table, requests)
            unprocessed = {
                request["PutRequest"]["Item"][self._key_attribute]["S"]
                for request in response.get("UnprocessedItems", {}).get(self._table, [])
            }
            done = [key for key in pending if key not in unprocessed]
            self.written_rows += sum(pending.pop(key)[1] for key in done)
            if not pending:
                return
            if attempt < self._max_attempts:
                self._sleep(self._backoff(attempt))
        raise WriteFailed(sum(rows for _, rows in pending.values()), self._max_attempts)

    def close(self) -> None:
        """Nothing runs in the background; rows still pending (after an error) stay unwritten."""

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff."""
        return random.uniform(0, min(self._max_delay, self._base_delay * 2**attempt))
