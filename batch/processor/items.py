"""Turn a parsed row into a DynamoDB item that records where it came from."""

from dataclasses import dataclass

from processor.rows import Rejection, Row

SOURCE_OBJECT = "source_object"
SOURCE_ETAG = "source_etag"
SOURCE_LINE = "source_line"
RESERVED_ATTRIBUTES = frozenset({SOURCE_OBJECT, SOURCE_ETAG, SOURCE_LINE})

# DynamoDB's item size limit: the UTF-8 lengths of attribute names and values.
MAX_ITEM_BYTES = 400 * 1024

Item = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Source:
    bucket: str
    key: str
    etag: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def item_size(item: Item) -> int:
    """An upper bound of DynamoDB's size for an item of string and number attributes."""
    size = 0
    for name, value in item.items():
        (payload,) = value.values()
        size += utf8_length(name) + utf8_length(payload) + ("N" in value)
    return size


def build_item(row: Row, source: Source) -> Item | Rejection:
    """The row's columns as string attributes plus its source object, ETag and line."""
    item: Item = {name: {"S": value} for name, value in row.values.items()}
    item[SOURCE_OBJECT] = {"S": source.uri}
    item[SOURCE_ETAG] = {"S": source.etag}
    item[SOURCE_LINE] = {"N": str(row.line)}
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        return Rejection(row.line, f"item is {size} bytes, over DynamoDB's {MAX_ITEM_BYTES}")
    return item
