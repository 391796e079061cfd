"""Open an S3 object as a text stream without reading it into memory."""

import io
from typing import Any, TextIO


def open_text(
    s3: Any, bucket: str, key: str, version_id: str | None = None, etag: str | None = None
) -> TextIO:
    """Stream the object as UTF-8 text (a leading BOM is dropped), newlines left to csv.

    With an ETag the read is conditional (If-Match), so a job never processes a newer
    object than the event that started it; with a version id it reads that version.
    """
    request: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    if etag:
        request["IfMatch"] = f'"{etag.strip(chr(34))}"'
    body = s3.get_object(**request)["Body"]
    return io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
