"""Parse a CSV text stream into rows keyed by one column, rejecting rows that cannot be stored.

The header row names the attributes. Every later record becomes either a `Row` or a
`Rejection`; nothing is skipped without being counted. Line numbers are physical lines of
the file (the header is line 1), taken at the start of each record, so a quoted field that
spans lines still points at the line where its record begins.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# DynamoDB rejects items over 400 KB; a field larger than that can never be stored, but
# the csv module's own default limit (128 KB) would raise before we could say so per row.
csv.field_size_limit(1024 * 1024)


class InputError(ValueError):
    """The object as a whole cannot be processed (no header, missing key column, bad CSV)."""


@dataclass(slots=True)  # made once per row: not frozen, whose __init__ calls setattr per field
class Row:
    line: int
    key: str
    names: list[str]  # the header: one list shared by every row of the object
    fields: list[str]  # this record's values, as many as the header has names


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass(frozen=True)
class BlankLine:
    line: int


def check_header(header: list[str], key_column: str, reserved: frozenset[str]) -> None:
    """Raise InputError unless the header can name the attributes of an item."""
    if key_column not in header:
        raise InputError(
            f"header has no key column {key_column!r} (columns: {', '.join(header)}); "
            "set KEY_COLUMN to the column that identifies a row"
        )
    if any(not name.strip() for name in header):
        raise InputError("header has an empty column name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"header repeats column names: {', '.join(repeated)}")
    clashing = sorted(reserved.intersection(header))
    if clashing:
        raise InputError(
            f"header uses attribute names the processor reserves: {', '.join(clashing)}"
        )


def parse_rows(
    text: Iterable[str],
    key_column: str,
    delimiter: str = ",",
    reserved: frozenset[str] = frozenset(),
    first_line: int | None = None,
) -> Iterator[Row | Rejection | BlankLine]:
    """Yield one result per record after the header.

    `first_line` is the file line of the first record after the header, when `text` is the
    header followed by a range of the file that starts there (shards.py).

    Raises InputError when the stream is empty, the header is unusable or the CSV is
    malformed (for example a quote that never closes).
    """
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    shift = 0  # file line minus the reader's line
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("the object is empty: expected a header row")
        check_header(header, key_column, reserved)
        key_index = header.index(key_column)
        if first_line is not None:
            shift = first_line - (reader.line_num + 1)
        record_start = reader.line_num + 1 + shift
        columns = len(header)
        for record in reader:
            line, record_start = record_start, reader.line_num + 1 + shift
            if len(record) != columns:
                if record:
                    yield Rejection(line, f"expected {columns} columns, found {len(record)}")
                else:
                    yield BlankLine(line)
            elif not record[key_index].strip():
                yield Rejection(line, f"empty key column {key_column!r}")
            else:
                yield Row(line, record[key_index], header, record)
    except csv.Error as error:
        raise InputError(f"malformed CSV at line {reader.line_num + shift}: {error}") from error
