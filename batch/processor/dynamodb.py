"""BatchWriteItem with its request body serialized by one json.dumps instead of by botocore.

botocore builds a request by walking the operation's shapes for each attribute of each item,
and validates it the same way; for 25 small items that was most of the processor's CPU per
row (bench/processor.py measures it). The items are already in DynamoDB's wire format
(`{"S": "..."}`), so this client serializes the whole body at once and leaves the rest to
botocore as before: endpoint, signing, retries, response and error parsing. The body is put
in place by a `before-sign` handler, so that every retry attempt is signed with it.
"""

import json
from typing import Any


class JsonBodyClient:
    """A DynamoDB client's batch_write_item with the body made here. Like the writer that
    holds it, one per thread: the body waiting to be signed is the client's own."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._body: bytes | None = None
        client.meta.events.register("before-sign.dynamodb.BatchWriteItem", self._use_body)

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        request = {"RequestItems": RequestItems}
        self._body = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()
        # What botocore serializes and validates instead: one empty item per table.
        placeholder = {table: [{"PutRequest": {"Item": {}}}] for table in RequestItems}
        try:
            return dict(self._client.batch_write_item(RequestItems=placeholder))
        finally:
            self._body = None

    def _use_body(self, request: Any, **_: Any) -> None:
        if self._body is not None:
            request.data = self._body
