"""Writers in parallel from one thread: each item goes to one of N BatchWriters, chosen by its
key, and up to N BatchWriteItem requests are in flight at once.

A key always goes to the same writer and each writer has one request in flight at a time, so a
key is never in two requests at once and the later row of a repeated key still wins. The
parsing thread sends the requests itself and reads each answer when select() says it is
there, instead of handing batches to writer threads, where every answer woke a thread that
then had to take the GIL from the parser: `make bench` measured a third less CPU of its own
on 10^5 rows (docs/benchmarks.md). Each writer queues at most QUEUED_BATCHES full batches:
parsing waits for answers when one falls behind, so memory stays flat however large the
file. A writer's retries (errors the SDKs retry, unprocessed items) wait out their backoff
on this thread, so every writer waits then: against a throttled table, that is what the
backoff is for. The first error of any writer stops the run (WriteFailed, or what the client
raised); the rows counted as written are the rows DynamoDB accepted.
"""

import select
from collections.abc import Callable

from processor.items import PutRequest
from processor.writer import BatchWriter

QUEUED_BATCHES = 4  # per writer: how far parsing may run ahead of writing
ANSWER_SECONDS = 60.0  # with no answer for this long, read one: its own timeout then applies


class ParallelWriter:
    def __init__(self, writers: list[BatchWriter]) -> None:
        self._writers = writers
        self._failed = False

    @property
    def written_rows(self) -> int:
        return sum(writer.written_rows for writer in self._writers)

    def add(self, request: PutRequest) -> None:
        writer = self._writers[hash(request.key) % len(self._writers)]  # fixed in a process
        writer.add(request)
        if writer.queued:
            self._guarded(writer.send)
            while writer.queued >= QUEUED_BATCHES:
                self._complete_answered()

    def flush(self) -> None:
        """Write everything added; raise the first error of any writer."""
        for writer in self._writers:
            writer.seal()
            self._guarded(writer.send)
        while any(writer.busy for writer in self._writers):
            self._complete_answered()

    def close(self) -> None:
        """End a run that failed: after a writer's error, finish the requests still in flight
        (so that the rows DynamoDB accepted are counted) and start no new ones; after an
        error elsewhere, write what was added. The run's own error is the one raised: an
        error here only shows in the rows counted as written."""
        for writer in self._writers:
            try:
                if self._failed:
                    writer.complete()
                else:
                    writer.flush()
            except Exception:
                self._failed = True

    def _complete_answered(self) -> None:
        """Wait for at least one answer; complete each writer answered, and send its next.
        A writer whose request could not even be sent has no connection to wait on: its
        complete() retries at once."""
        busy = [writer for writer in self._writers if writer.busy]
        unsent = [writer for writer in busy if writer.fileno() < 0]
        answered = unsent or select.select(busy, [], [], ANSWER_SECONDS)[0] or busy[:1]
        for writer in answered:
            self._guarded(writer.complete)
            self._guarded(writer.send)

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except BaseException:
            self._failed = True
            raise
