"""A big object split into byte ranges that start and end on record boundaries, so that the
children of an AWS Batch array job can each write one range and every row is written once.

A planning job reads the object once, tracking only whether it is inside a quoted field (in
CSV a newline ends a record exactly when the number of quote characters before it is even;
a doubled quote inside a field counts twice), and writes a manifest: the header record, and
for each child the range [start, end) and the file line it starts on. The ranges cover the
bytes after the header exactly, in order; a range may be empty when one record is longer
than the spacing of the split points. Each child then reads its range with an S3 Range GET
and parses it after the header, so its rows, rejected lines and errors carry file lines.
"""

import json
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import NamedTuple

CHUNK_BYTES = 1024 * 1024
MANIFEST_PREFIX = "manifests/"  # in the object's bucket; MANIFEST_PREFIX overrides it


class ObjectVersion(NamedTuple):
    """The object a job processes, as its parameters name it."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None


def manifest_key(obj: ObjectVersion) -> str:
    """Where the planning job writes the manifest and the children read it."""
    prefix = os.environ.get("MANIFEST_PREFIX", MANIFEST_PREFIX)
    return f"{prefix}{obj.key}/{obj.etag or obj.version_id or 'latest'}.json"


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive
    first_line: int  # the file line the range starts on (the header is line 1)


@dataclass(frozen=True)
class Manifest:
    header: str  # the header record as text, its newline included
    ranges: list[ByteRange]

    def to_json(self) -> str:
        return json.dumps({"header": self.header, "ranges": [asdict(r) for r in self.ranges]})

    @classmethod
    def from_json(cls, text: str | bytes) -> "Manifest":
        document = json.loads(text)
        return cls(document["header"], [ByteRange(**r) for r in document["ranges"]])


class RecordStarts:
    """Fed an object's bytes in order, finds for each split point the first record start at or
    after it (a record starts at 0 and after each newline outside quotes), with its line."""

    def __init__(self, split_points: Iterable[int]) -> None:
        self._points = deque(sorted(split_points))
        self._offset = 0  # where the next chunk starts in the object
        self._quotes = 0  # quote characters before the position counted so far
        self._line = 1  # the line of the position counted so far
        self.found: list[tuple[int, int]] = []  # (record start, its line), per split point

    def feed(self, chunk: bytes) -> None:
        counted = 0  # the chunk's bytes before this index are in _quotes and _line

        def count_to(index: int) -> None:
            nonlocal counted
            self._quotes += chunk.count(b'"', counted, index)
            self._line += chunk.count(b"\n", counted, index)
            counted = index

        while self._points:
            # the record that ends at the split point's byte or later; its newline is there
            search = max(self._points[0] - 1 - self._offset, 0)
            newline = chunk.find(b"\n", search) if search < len(chunk) else -1
            while newline >= 0:
                count_to(newline)
                if self._quotes % 2 == 0:
                    break
                newline = chunk.find(b"\n", newline + 1)
            if newline < 0:
                break  # the record goes on in the next chunk
            start = self._offset + newline + 1
            while self._points and self._points[0] <= start:
                self._points.popleft()
                self.found.append((start, self._line + 1))
        count_to(len(chunk))
        self._offset += len(chunk)

    def finish(self) -> list[tuple[int, int]]:
        """Split points past the last record start map to the end of the object."""
        while self._points:
            self._points.popleft()
            self.found.append((self._offset, self._line))
        return self.found


def plan(chunks: Iterable[bytes], size: int, shards: int) -> Manifest:
    """The header and `shards` ranges of an object of `size` bytes read as `chunks`."""
    header = RecordStarts([1])
    splits = RecordStarts(size * i // shards for i in range(1, shards))
    head = b""
    for chunk in chunks:
        if not header.found:
            head += chunk
            header.feed(chunk)
        splits.feed(chunk)
    (header_end, first_line), *_ = header.finish()
    starts = [(header_end, first_line), *splits.finish()]
    ends = [start for start, _ in starts[1:]] + [size]
    ranges = [ByteRange(start, end, line) for (start, line), end in zip(starts, ends, strict=True)]
    return Manifest(head[:header_end].decode("utf-8-sig"), ranges)
