"""Process one object: parse, build items, write, and account for every row."""

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from processor.items import RESERVED_ATTRIBUTES, ItemBuilder, Source
from processor.logs import log
from processor.parallel import ParallelWriter
from processor.rows import BlankLine, Rejection, parse_rows

PROGRESS_SECONDS = 10.0
# Distinct keys remembered to count repeats: about 10 MB of 14-character keys (tracemalloc),
# a sixth of the processor's own size; memory stays flat beyond it.
DISTINCT_KEYS_TRACKED = 100_000


class DuplicateKeys:
    """Counts rows whose key an earlier row of the file had. Exact while the file has at most
    `limit` distinct keys; beyond that only repeats of the first `limit` keys are counted (a
    lower bound), and `exact` is False."""

    def __init__(self, limit: int = DISTINCT_KEYS_TRACKED) -> None:
        self.limit = limit
        self.keys: set[str] = set()
        self.count = 0
        self.exact = True

    def add(self, key: str) -> None:
        if key in self.keys:
            self.count += 1
        elif len(self.keys) < self.limit:
            self.keys.add(key)
        else:
            self.exact = False


@dataclass
class Summary:
    rows_read: int = 0
    written: int = 0
    rejected: int = 0
    duplicate_keys: int = 0
    duplicate_keys_exact: bool = True  # False: a lower bound (see DuplicateKeys)
    blank_lines: int = 0
    seconds: float = 0.0
    rejected_lines: list[int] = field(default_factory=list)

    def as_log_fields(self) -> dict[str, Any]:
        fields = asdict(self)
        fields["rejected_lines"] = self.rejected_lines[:100]
        return fields


def process(
    text: Iterable[str],
    source: Source,
    writer: ParallelWriter,
    key_column: str,
    delimiter: str,
    summary: Summary,
    bytes_read: Callable[[], int] | None = None,
    progress_every: float = PROGRESS_SECONDS,
    duplicates: DuplicateKeys | None = None,
    first_line: int | None = None,
) -> None:
    """Write every usable row of `text`; record rejected rows in `summary` and the log.

    `summary` is filled in as rows go by, so a caller that catches an exception still
    knows how far the job got. Every `progress_every` seconds a progress line says how far.
    """
    started = time.monotonic()
    next_progress = started + progress_every
    duplicates = duplicates or DuplicateKeys()
    items = ItemBuilder(source)
    try:
        for result in parse_rows(text, key_column, delimiter, RESERVED_ATTRIBUTES, first_line):
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
            item = items.build(result)
            if isinstance(item, Rejection):
                reject(summary, item)
                continue
            duplicates.add(result.key)
            writer.add(item)
        writer.flush()
    finally:
        writer.close()  # after an error too: the rows already handed over are written first
        summary.written = writer.written_rows
        summary.duplicate_keys, summary.duplicate_keys_exact = duplicates.count, duplicates.exact
        summary.seconds = round(time.monotonic() - started, 3)


def log_progress(
    summary: Summary, writer: ParallelWriter, seconds: float, bytes_read: Callable[[], int] | None
) -> None:
    fields: dict[str, Any] = {
        "rows_read": summary.rows_read,
        "written": writer.written_rows,
        "rows_per_second": round(summary.rows_read / seconds) if seconds else 0,
    }
    if bytes_read:
        fields["bytes_read"] = bytes_read()
    log("progress", **fields)


def reject(summary: Summary, rejection: Rejection) -> None:
    summary.rejected += 1
    summary.rejected_lines.append(rejection.line)
    log("row_rejected", level="WARNING", line=rejection.line, reason=rejection.reason)
