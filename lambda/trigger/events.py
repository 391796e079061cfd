"""Typed view of the S3 event notification records the function receives."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class ObjectCreated:
    event_name: str
    bucket: str
    key: str
    size: int
    etag: str | None
    version_id: str | None
    sequencer: str | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ObjectCreated":
        s3 = record["s3"]
        obj = s3["object"]
        return cls(
            event_name=record["eventName"],
            bucket=s3["bucket"]["name"],
            # S3 URL-encodes keys in events, spaces as '+'.
            key=unquote_plus(obj["key"]),
            size=int(obj.get("size", 0)),
            etag=obj.get("eTag") or None,
            version_id=obj.get("versionId") or None,
            sequencer=obj.get("sequencer") or None,
        )


def object_created_records(event: Mapping[str, Any]) -> Iterator[ObjectCreated]:
    """Every ObjectCreated record of an S3 event, in order.

    Other records (and the s3:TestEvent S3 sends when a notification is configured,
    which has no Records at all) yield nothing.
    """
    for record in event.get("Records", []):
        if record.get("eventSource") == "aws:s3" and record.get("eventName", "").startswith(
            "ObjectCreated:"
        ):
            yield ObjectCreated.from_record(record)
