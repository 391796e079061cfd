"""The saved state's file: a one-line JSON header (which engine, which versions, when) and the
engine's own payload after it. The header is read without the payload, so the CLI can say
what a file holds without loading the engine's libraries.

A file is written whole to a temporary name beside it, flushed to disk and renamed over the
previous one: a failure while writing leaves the previous file as it was.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.errors import BadInput

FORMAT = 1


@dataclass(frozen=True)
class Header:
    engine: str
    harness: str
    moto: str
    saved_at: str  # ISO 8601, UTC
    format: int = FORMAT

    def describe(self) -> str:
        return f"saved {self.saved_at} by harness {self.harness} with moto {self.moto}"


def write(path: Path, header: Header, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial")
    with partial.open("wb") as file:
        file.write(json.dumps(asdict(header)).encode() + b"\n")
        file.write(payload)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def read_header(path: Path) -> Header:
    """The file's header; BadInput when it is not a saved state of this format."""
    try:
        with path.open("rb") as file:
            first = file.readline(64 * 1024)
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    try:
        fields = json.loads(first)
        header = Header(**fields)
    except (ValueError, TypeError) as error:
        raise BadInput(f"{path} is not a saved state of the local cloud ({error})") from None
    if header.format != FORMAT:
        raise BadInput(f"{path} is a saved state of format {header.format}, not {FORMAT}")
    return header


def read(path: Path) -> tuple[Header, bytes]:
    header = read_header(path)
    with path.open("rb") as file:
        file.readline(64 * 1024)
        return header, file.read()
