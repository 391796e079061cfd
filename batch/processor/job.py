"""Process one object: parse, build items, write, and account for every row."""

import time
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from processor.items import RESERVED_ATTRIBUTES, Source, build_item
from processor.logs import log
from processor.parallel import ParallelWriter
from processor.rows import BlankLine, Rejection, parse_rows
from processor.writer import BatchWriter

Writer = BatchWriter | ParallelWriter


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
) -> None:
    """Write every usable row of `text`; record rejected rows in `summary` and the log.

    `summary` is filled in as rows go by, so a caller that catches an exception still
    knows how far the job got.
    """
    started = time.monotonic()
    seen_keys: set[str] = set()
    try:
        for result in parse_rows(text, key_column, delimiter, RESERVED_ATTRIBUTES):
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


def reject(summary: Summary, rejection: Rejection) -> None:
    summary.rejected += 1
    summary.rejected_lines.append(rejection.line)
    log("row_rejected", line=rejection.line, reason=rejection.reason)
