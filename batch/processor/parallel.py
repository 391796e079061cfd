"""Writers in parallel: each item goes to one of N BatchWriters, chosen by its key.

A key always goes to the same writer and each writer sends one request at a time, so a key is
never in two requests in flight and the later row of a repeated key still wins. Items go to a
writer in chunks of a request's size (one queue hand-over, with its locks, per 25 items
instead of per item) through a bounded queue: parsing waits when the writers fall behind,
so memory stays flat however large the file. The first error of any writer stops the run
(WriteFailed, or what the client raised); the rows counted as written are the rows DynamoDB
accepted.
"""

import queue
import threading
from typing import Any

from processor.items import PutRequest
from processor.writer import BATCH_SIZE, BatchWriter

QUEUED_CHUNKS = 4  # per writer, of BATCH_SIZE items: how far parsing may run ahead of writing
_STOP = object()
PUT_SECONDS = 0.5  # how often a waiting producer checks whether a writer has failed


class ParallelWriter:
    def __init__(self, writers: list[BatchWriter]) -> None:
        self._writers = writers
        self._queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=QUEUED_CHUNKS) for _ in writers]
        self._chunks: list[list[PutRequest]] = [[] for _ in writers]
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._drain, args=(w, q), name=f"writer-{n}", daemon=True)
            for n, (w, q) in enumerate(zip(writers, self._queues, strict=True))
        ]
        for thread in self._threads:
            thread.start()
        self._closed = False

    @property
    def written_rows(self) -> int:
        return sum(writer.written_rows for writer in self._writers)

    def add(self, request: PutRequest) -> None:
        index = hash(request.key) % len(self._queues)  # str hashes: fixed within a process
        chunk = self._chunks[index]
        chunk.append(request)
        if len(chunk) >= BATCH_SIZE:
            self._chunks[index] = []
            self._hand_over(self._queues[index], chunk)

    def _hand_over(self, target: "queue.Queue[Any]", chunk: list[PutRequest]) -> None:
        while True:
            self._raise_if_failed()
            try:
                target.put(chunk, timeout=PUT_SECONDS)
                return
            except queue.Full:
                continue

    def flush(self) -> None:
        """Write everything added, stop the writers, raise the first error of any."""
        self.close()
        self._raise_if_failed()

    def close(self) -> None:
        """Let the writers finish what they were given, then stop them (no error raised)."""
        if self._closed:
            return
        self._closed = True
        for target, chunk in zip(self._queues, self._chunks, strict=True):
            if chunk:
                target.put(chunk)
            target.put(_STOP)
        for thread in self._threads:
            thread.join()

    def _drain(self, writer: BatchWriter, source: "queue.Queue[Any]") -> None:
        while True:
            chunk = source.get()
            if chunk is _STOP:
                break
            if self._error is None:
                try:
                    for request in chunk:
                        writer.add(request)
                except BaseException as error:  # re-raised in the producer's thread
                    self._error = error
        if self._error is None:
            try:
                writer.flush()
            except BaseException as error:
                self._error = error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
