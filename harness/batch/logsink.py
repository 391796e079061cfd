"""Container output to CloudWatch Logs (/aws/batch/job), as Batch's awslogs driver does."""

import contextlib
import logging
import threading
import time
from typing import Any

from harness.contracts import BATCH_LOG_GROUP

logger = logging.getLogger("harness.batch")
MAX_BATCH = 500
MAX_WAIT_SECONDS = 1.0


class LogStreamWriter:
    """Buffers lines and sends them with PutLogEvents every 500 lines and, from a thread of
    its own, every second: the line a program prints before it goes quiet reaches CloudWatch
    while it runs, as awslogs' timed batches do. Lines PutLogEvents refused stay, to go with
    the next batch."""

    def __init__(self, client: Any, group: str, stream: str) -> None:
        self._client = client
        self._group = group
        self._stream = stream
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._flush_while_open, name=f"logs-{stream}", daemon=True).start()

    def _flush_while_open(self) -> None:
        while not self._closed.wait(MAX_WAIT_SECONDS):
            with self._lock:
                try:
                    self._flush()
                except Exception as error:  # the engine is away: the lines wait for the next
                    logger.warning("log stream %s: lines not sent yet: %r", self._stream, error)

    def write(self, line: str, timestamp_ms: int | None = None) -> None:
        """One line of output, of its time (now unless given); an empty line is skipped, as
        Docker's awslogs driver skips empty messages (CloudWatch Logs refuses a message of
        length 0)."""
        if not line:
            return
        when = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        with self._lock:
            self._events.append({"timestamp": when, "message": line})
            if len(self._events) >= MAX_BATCH:
                self._flush()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if not self._events:
            return
        self._client.put_log_events(
            logGroupName=self._group, logStreamName=self._stream, logEvents=self._events
        )
        self._events = []


class CloudWatchLogSink:
    def __init__(self, client: Any, group: str = BATCH_LOG_GROUP) -> None:
        self._client = client
        self.group = group
        self._group_ready = False

    def open(self, stream: str) -> LogStreamWriter:
        if not self._group_ready:
            with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
                self._client.create_log_group(logGroupName=self.group)
            self._group_ready = True
        self._client.create_log_stream(logGroupName=self.group, logStreamName=stream)
        return LogStreamWriter(self._client, self.group, stream)

    def reopen(self, stream: str) -> LogStreamWriter:
        """A writer to a stream `open` created (after a crash of the engine), created again
        when the crash took it."""
        with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
            self.open(stream)
        return LogStreamWriter(self._client, self.group, stream)

    def last_event_seconds(self, stream: str) -> float | None:
        """When the stream's last event was written, in seconds since the epoch; None when
        it has none."""
        events = self._client.get_log_events(
            logGroupName=self.group, logStreamName=stream, startFromHead=False, limit=1
        )["events"]
        return events[-1]["timestamp"] / 1000 if events else None
