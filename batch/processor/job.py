"""Process one object: parse, build items, write, and account for every row."""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from processor.items import RESERVED_ATTRIBUTES, Source, build_item
from processor.logs import log
from processor.parallel import ParallelWriter
from processor.rows import BlankLine, Rejection, parse_rows
from processor.writer import BatchWriter

Writer = BatchWriter | ParallelWriter
PROGRESS_SECONDS = 10.0


@dataclass
class Summary:
    rows_read: int = 0
    written: int = 0
    rejected: int = 0
    duplicate_keys: int = 0
    blank_lines: int = 0
    seconds: float = 0.0
    rejected_lines: list[int] = field(default_factory=list)

    def as_log_fields(self) -> dict[str, Any]:
        fields = asdict(self)
        fields["rejected_lines"] = self.rejected_lines[:100]
        return fields


def process(
    text: TextIO,
    source: Source,
    writer: Writer,
    key_column: str,
    delimiter: str,
    summary: Summary,
    bytes_read: Callable[[], int] | None = None,
    progress_every: float = PROGRESS_SECONDS,
) -> None:
    """Write every usable row of `text`; record rejected rows in `summary` and the log.

    `summary` is filled in as rows go by, so a caller that catches an exception still
    knows how far the job got. Every `progress_every` seconds a progress line says how far.
    """
    started = time.monotonic()
    next_progress = started + progress_every
    seen_keys: set[str] = set()
    try:
        for result in parse_rows(text, key_column, delimiter, RESERVED_ATTRIBUTES):
            now = time.monotonic()
            if now >= next_progress:
                next_progress = now + progress_every
                log_progress(summary, writer, now - started, bytes_read)
            if isinstance(result, BlankLine):
                summary.blank_lines += 1
                continue
            summary.rows_read += 1
            if isinstance(result, Rejection):
                reject(summary, result)
                continue
            item = build_item(result, source)
            if isinstance(item, Rejection):
                reject(summary, item)
                continue
            if result.key in seen_keys:
                summary.duplicate_keys += 1
            seen_keys.add(result.key)
            writer.add(item)
        writer.flush()
    finally:
        writer.close()  # after an error too: the rows already handed over are written first
        summary.written = writer.written_rows
        summary.seconds = round(time.monotonic() - started, 3)


def log_progress(
    summary: Summary, writer: Writer, seconds: float, bytes_read: Callable[[], int] | None
) -> None:
    log(
        "progress",
        rows_read=summary.rows_read,
        written=writer.written_rows,
        rows_per_second=round(summary.rows_read / seconds) if seconds else 0,
        **({"bytes_read": bytes_read()} if bytes_read else {}),
    )


def reject(summary: Summary, rejection: Rejection) -> None:
    summary.rejected += 1
    summary.rejected_lines.append(rejection.line)
    log("row_rejected", line=rejection.line, reason=rejection.reason)
