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


class ItemBuilder:
    """Builds the items of one source object: each row's columns as string attributes, plus
    the object, its ETag and the row's line. What every item of the object shares (the source
    attributes and their size) is worked out once; those attribute values are shared between
    items and never changed."""

    def __init__(self, source: Source) -> None:
        self._source_attributes: Item = {
            SOURCE_OBJECT: {"S": source.uri},
            SOURCE_ETAG: {"S": source.etag},
        }
        # DynamoDB counts the UTF-8 lengths of names and values; a number counts at most
        # one byte more than its digits, so this is an upper bound.
        self._fixed_size = (
            utf8_length(SOURCE_OBJECT + source.uri + SOURCE_ETAG + source.etag + SOURCE_LINE) + 1
        )

    def build(self, row: Row) -> Item | Rejection:
        values = row.values
        item: Item = {name: {"S": value} for name, value in values.items()}
        item.update(self._source_attributes)
        line = str(row.line)
        item[SOURCE_LINE] = {"N": line}
        size = (
            self._fixed_size
            + len(line)
            + utf8_length("".join(values))
            + utf8_length("".join(values.values()))
        )
        if size > MAX_ITEM_BYTES:
            return Rejection(row.line, f"item is {size} bytes, over DynamoDB's {MAX_ITEM_BYTES}")
        return item
