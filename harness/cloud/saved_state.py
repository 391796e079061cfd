"""The saved state's file: a one-line JSON header (which engine, which versions, when) and the
engine's own payload after it. The header is read without the payload, so the CLI can say
what a file holds without loading the engine's libraries.

A file is written whole to a temporary name beside it, flushed to disk and renamed over the
previous one: a failure while writing leaves the previous file as it was.
"""

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from harness.errors import BadInput

FORMAT = 1
HEADER_MAX_BYTES = 64 * 1024
COPY_CHUNK_BYTES = 1024 * 1024
READ_ATTEMPTS = 3  # reads of a state that threads other than requests change meanwhile
T = TypeVar("T")


@dataclass(frozen=True)
class Header:
    engine: str
    harness: str
    moto: str
    saved_at: str  # ISO 8601, UTC
    format: int = FORMAT
    id: str = ""  # this save's own: the journal of writes after it names it

    def describe(self) -> str:
        return f"saved {self.saved_at} by harness {self.harness} with moto {self.moto}"


def companions(path: Path) -> tuple[Path, Path]:
    """The files that go with the saved state at `path`: the journal of the writes after it
    (harness/engine/edge/journal.py) and the Batch stand-in's (harness/engine/stand_in_state.py).
    Each names the save it follows and counts only on top of that one."""
    return path.with_name(f"{path.name}.journal"), path.with_name(f"{path.name}.batch")


def files(path: Path) -> list[Path]:
    """The saved state at `path` and its companions, those that exist."""
    return [file for file in (path, *companions(path)) if file.exists()]


def bytes_on_disk(path: Path) -> int:
    """What the saved state at `path` and its companions take on disk."""
    return sum(file.stat().st_size for file in files(path))


def read_while_changing(read: Callable[[], T]) -> T:
    """`read()`, again when another thread changed a dict while it was read (RuntimeError:
    "changed size during iteration"), up to READ_ATTEMPTS times in all."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            return read()
        except RuntimeError:
            if attempt == READ_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def remove_companions(path: Path) -> None:
    """Before `path` is given another state: what followed the old one must not be replayed
    on top of the new one."""
    for companion in companions(path):
        companion.unlink(missing_ok=True)


def write(path: Path, header: Header, payload: bytes) -> None:
    replace_whole(path, [json.dumps(asdict(header)).encode() + b"\n", payload])


def replace_whole(path: Path, parts: Iterable[bytes]) -> None:
    """`path` holds `parts`, or, after any failure, what it held before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial")
    with partial.open("wb") as file:
        for part in parts:
            file.write(part)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def copy(source: Path, destination: Path) -> Header:
    """A saved state copied whole, streamed; BadInput, before anything is written, when
    `source` is not one."""
    with _opened(source) as file:
        header = _header(source, file)
        file.seek(0)
        replace_whole(destination, iter(lambda: file.read(COPY_CHUNK_BYTES), b""))
    return header


def read_header(path: Path) -> Header:
    """The file's header; BadInput when it is not a saved state of this format."""
    with _opened(path) as file:
        return _header(path, file)


def read(path: Path) -> tuple[Header, bytes]:
    with _opened(path) as file:
        return _header(path, file), file.read()


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    try:
        file = path.open("rb")
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    with file:
        yield file


def _header(path: Path, file: BinaryIO) -> Header:
    """The header on the file's first line, which it reads."""
    try:
        header = Header(**json.loads(file.readline(HEADER_MAX_BYTES)))
    except (ValueError, TypeError) as error:
        raise BadInput(f"{path} is not a saved state of the local cloud ({error})") from None
    if header.format != FORMAT:
        raise BadInput(f"{path} is a saved state of format {header.format}, not {FORMAT}")
    return header
