"""Open an S3 object as a text stream without reading it into memory, counting what it read."""

import io
from typing import Any


class CountingReader(io.BufferedIOBase):
    """The object's bytes as the text layer reads them, with how many and how many newlines:
    the progress lines report bytes read, and a decoding error is placed at its byte and line."""

    def __init__(self, raw: Any, offset: int = 0, line: int = 1) -> None:
        """`offset` and `line`: where in the object `raw` starts (a byte range of it)."""
        super().__init__()
        self._raw = raw
        self._offset = offset
        self._line = line
        self.bytes_read = 0
        self.newlines = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(None if size is None or size < 0 else size)
        self.bytes_read += len(data)
        self.newlines += data.count(b"\n")
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def where(self, error: UnicodeDecodeError) -> tuple[int, int]:
        """(byte offset, line) of the first byte `error` names; the text layer decodes the
        last bytes read, so `error.object` ends where the reading stands."""
        not_yet = error.object[error.start :]
        offset = self._offset + self.bytes_read - len(not_yet)
        return offset, self._line + self.newlines - not_yet.count(b"\n")


def get_object(
    s3: Any,
    bucket: str,
    key: str,
    version_id: str | None = None,
    etag: str | None = None,
    byte_range: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """GetObject, of the bytes [start, end) when `byte_range` is given.

    With an ETag the read is conditional (If-Match), so a job never processes a newer
    object than the event that started it; with a version id it reads that version.
    """
    request: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    if etag:
        request["IfMatch"] = f'"{etag.strip(chr(34))}"'
    if byte_range:
        request["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
    return dict(s3.get_object(**request))


class CountedText(io.TextIOWrapper):
    """Text over a CountingReader, which `counted` gives with its type."""

    def __init__(self, reader: CountingReader, encoding: str) -> None:
        # typeshed's buffer protocol also asks for a file `name`, which a stream has not
        super().__init__(reader, encoding=encoding, newline="")  # type: ignore[arg-type]
        self.counted = reader


def open_text(
    s3: Any, bucket: str, key: str, version_id: str | None = None, etag: str | None = None
) -> CountedText:
    """Stream the object as UTF-8 text (a leading BOM is dropped), newlines left to csv."""
    body = get_object(s3, bucket, key, version_id, etag)["Body"]
    return CountedText(CountingReader(body), encoding="utf-8-sig")


def open_range(
    s3: Any,
    bucket: str,
    key: str,
    version_id: str | None,
    etag: str | None,
    start: int,
    end: int,
    line: int,
) -> CountedText:
    """Stream the bytes [start, end) of the object, which start on `line`, as UTF-8 text."""
    body = (
        get_object(s3, bucket, key, version_id, etag, (start, end))["Body"]
        if end > start
        else io.BytesIO()
    )
    return CountedText(CountingReader(body, start, line), encoding="utf-8")
