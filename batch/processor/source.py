"""Open an S3 object as a text stream without reading it into memory, counting what it read."""

import io
from typing import Any


class CountingReader(io.BufferedIOBase):
    """The object's bytes as the text layer reads them, with how many and how many newlines:
    the progress lines report bytes read, and a decoding error is placed at its byte and line."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw
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
        return self.bytes_read - len(not_yet), self.newlines - not_yet.count(b"\n") + 1


def open_text(
    s3: Any, bucket: str, key: str, version_id: str | None = None, etag: str | None = None
) -> io.TextIOWrapper:
    """Stream the object as UTF-8 text (a leading BOM is dropped), newlines left to csv; the
    wrapper's `buffer` is the CountingReader.

    With an ETag the read is conditional (If-Match), so a job never processes a newer
    object than the event that started it; with a version id it reads that version.
    """
    request: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    if etag:
        request["IfMatch"] = f'"{etag.strip(chr(34))}"'
    body = s3.get_object(**request)["Body"]
    return io.TextIOWrapper(CountingReader(body), encoding="utf-8-sig", newline="")
