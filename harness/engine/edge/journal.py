"""The engine's journal: the writes it acknowledged since its last saved state, appended and
flushed to disk before the client hears success, so that a crash of the engine process
loses none of them. The engine replays the journal on top of the saved state it follows when
it starts, and starts a new one each time it saves its state.

The file: a one-line JSON header naming the saved state it follows, then records, each a
4-byte length, a 4-byte CRC-32 and a pickled body. A record cut short by a crash fails its
check; reading stops there (a record is only acknowledged once it is whole on disk).

Disk flushes are grouped: a request waits for one fsync that covers its record, and writes
that arrive during a flush share the next one.
"""

import io
import json
import logging
import os
import pickle
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.cloud import saved_state

logger = logging.getLogger("harness.engine")

FORMAT = 1
HEADER_MAX_BYTES = 4096
PREFIX = struct.Struct(">II")  # length, CRC-32 of the body


@dataclass
class Request:
    """A write the engine acknowledged: the WSGI environ's text values and the body.
    `handed_off`: how many asynchronous deliveries (S3's Lambda invocations) it started."""

    sequence: int
    environ: dict[str, str]
    body: bytes
    handed_off: int = 0


@dataclass(frozen=True)
class Delivered:
    """One asynchronous delivery of request `sequence` ended (the function ran)."""

    sequence: int


@dataclass
class Contents:
    """What a journal holds, in the order its records were written."""

    requests: list[Request] = field(default_factory=list)
    delivered: dict[int, int] = field(default_factory=dict)  # sequence -> deliveries ended
    dropped_bytes: int = 0  # a record cut short at the end

    def pending_deliveries(self, request: Request) -> bool:
        return self.delivered.get(request.sequence, 0) < request.handed_off

    @property
    def last_sequence(self) -> int:
        return max((request.sequence for request in self.requests), default=0)


class Journal:
    """An open journal, appended to by request threads."""

    def __init__(self, path: Path, follows: str, first_sequence: int = 1) -> None:
        """Open the journal of the saved state `follows` at `path`: the existing one when it
        follows that state, else a new, empty one in its place."""
        self.path = path
        self.follows = follows
        path.parent.mkdir(parents=True, exist_ok=True)
        if read_follows(path) != follows:
            _write_header(path, follows)
        self._file = path.open("ab")
        self._lock = threading.Lock()  # appends
        self._flush_lock = threading.Lock()  # one fsync at a time
        self._written = self._flushed = self._file.tell()
        self._sequence = first_sequence - 1

    def next_sequence(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def append(self, record: Request | Delivered) -> int:
        """Write `record`; returns the position `flush` must reach for it to be on disk."""
        body = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._file.write(PREFIX.pack(len(body), zlib.crc32(body)) + body)
            self._written += PREFIX.size + len(body)
            return self._written

    def flush(self, position: int) -> None:
        """Return once everything up to `position` is on disk."""
        if self._flushed >= position:
            return
        with self._flush_lock:
            if self._flushed >= position:  # another thread's flush covered it
                return
            with self._lock:
                self._file.flush()
                reached = self._written
            os.fsync(self._file.fileno())
            self._flushed = reached

    def restart(self, follows: str) -> None:
        """An empty journal in place of this one, following the saved state `follows` (what
        this one held is in it)."""
        with self._flush_lock, self._lock:
            self._file.close()
            _write_header(self.path, follows)
            self.follows = follows
            self._file = self.path.open("ab")
            self._written = self._flushed = self._file.tell()

    @property
    def size(self) -> int:
        return self._written

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read(path: Path, follows: str) -> Contents:
    """What the journal at `path` holds, when it follows the saved state `follows` (else, or
    when there is none, nothing)."""
    contents = Contents()
    if read_follows(path) != follows:
        return contents
    with path.open("rb") as file:
        file.readline(HEADER_MAX_BYTES)
        for record in _records(file, contents):
            if isinstance(record, Request):
                contents.requests.append(record)
            else:
                delivered = contents.delivered.get(record.sequence, 0)
                contents.delivered[record.sequence] = delivered + 1
    return contents


def read_follows(path: Path) -> str | None:
    """The saved state the journal at `path` follows; None when there is no journal there."""
    try:
        with path.open("rb") as file:
            return str(json.loads(file.readline(HEADER_MAX_BYTES))["follows"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        logger.warning("%s is not a journal of the engine: ignored", path)
        return None


def _records(file: io.BufferedReader, contents: Contents) -> Iterator[Request | Delivered]:
    while prefix := file.read(PREFIX.size):
        body = b""
        if len(prefix) == PREFIX.size:
            length, checksum = PREFIX.unpack(prefix)
            body = file.read(length)
            if len(body) == length and zlib.crc32(body) == checksum:
                yield pickle.loads(body)
                continue
        contents.dropped_bytes = len(prefix) + len(body) + len(file.read())
        logger.warning(
            "the journal ends in %d bytes of a write cut short (never acknowledged): ignored",
            contents.dropped_bytes,
        )
        return


def _write_header(path: Path, follows: str) -> None:
    header = json.dumps({"follows": follows, "format": FORMAT}).encode() + b"\n"
    saved_state.replace_whole(path, [header])
