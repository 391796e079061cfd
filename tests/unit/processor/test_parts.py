"""The processor's parts in isolation: streaming, parsing and the batch writer."""

import datetime
import io
import json
import os
import ssl
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.response import StreamingBody
from processor.dynamodb import CONTENT_TYPE, TARGET, BatchWriteClient, signed_headers
from processor.items import MAX_ITEM_BYTES, ItemBuilder, PutRequest, Source
from processor.rows import BlankLine, InputError, Rejection, Row, parse_rows
from processor.source import open_text
from processor.writer import BATCH_SIZE, BatchWriter, WriteFailed

from tests.unit.conftest import TABLE, serving
from tests.unit.fakes import FakeDynamoDB


class CountingStream(io.RawIOBase):
    """A 50 MB CSV body generated on demand that counts the bytes handed out."""

    def __init__(self, rows: int) -> None:
        self._header = b"ProductId,ProductName\n"
        self._rows = rows
        self._buffer = b""
        self._next_row = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while len(self._buffer) < len(target) and self._next_row <= self._rows:
            if self._next_row == 0:
                self._buffer += self._header
            else:
                self._buffer += f"P-{self._next_row},{'n' * 40}\n".encode()
            self._next_row += 1
        chunk, self._buffer = self._buffer[: len(target)], self._buffer[len(target) :]
        target[: len(chunk)] = chunk
        self.bytes_read += len(chunk)
        return len(chunk)


class FakeS3:
    def __init__(self, body: Any) -> None:
        self.body = body
        self.requests: list[dict[str, str]] = []

    def get_object(self, **request: str) -> dict[str, Any]:
        self.requests.append(request)
        return {"Body": self.body}


def test_an_item_carries_its_row_and_source_and_is_sized_in_utf8_bytes():
    items = ItemBuilder(Source("bucket", "uploads/a.csv", "e1"))
    names = "ProductId" + "Name" + "source_object" + "s3://bucket/uploads/a.csv"
    overhead = len(names + "source_etag" + "e1" + "source_line") + len("2") + 1
    fits = "é" * ((MAX_ITEM_BYTES - overhead - len("P-1")) // 2)  # two bytes each
    size = overhead + len("P-1") + 2 * len(fits)
    assert size <= MAX_ITEM_BYTES < size + 2

    names = ["ProductId", "Name"]
    item = items.build(Row(2, "P-1", names, ["P-1", fits]))
    other = items.build(Row(3, "P-2", names, ["P-2", "b"]))
    too_big = items.build(Row(2, "P-1", names, ["P-1", fits + "é"]))

    assert item.key == "P-1" and other.key == "P-2"
    assert decoded(item) == {
        "ProductId": {"S": "P-1"},
        "Name": {"S": fits},
        "source_object": {"S": "s3://bucket/uploads/a.csv"},
        "source_etag": {"S": "e1"},
        "source_line": {"N": "2"},
    }
    assert decoded(other)["source_line"] == {"N": "3"}
    assert too_big == Rejection(2, f"item is {size + 2} bytes, over DynamoDB's {MAX_ITEM_BYTES}")


@pytest.mark.parametrize(
    "text",
    [
        'say "hi"',
        "back\\slash",
        "tab\tnew\nline\r",
        "nul \x00 bell \x07",
        "naïve 😀 \u2028",
        "100% %s %d %(x)s {} {{}}",
    ],
)
def test_an_items_json_is_the_json_of_its_values_whatever_they_hold(text):
    names = ["ProductId", f"Name {text}"]
    items = ItemBuilder(Source("bucket", f"uploads/{text}.csv", f"e-{text}"))

    item = items.build(Row(7, "P-1", names, ["P-1", text]))

    assert decoded(item) == {
        "ProductId": {"S": "P-1"},
        f"Name {text}": {"S": text},
        "source_object": {"S": f"s3://bucket/uploads/{text}.csv"},
        "source_etag": {"S": f"e-{text}"},
        "source_line": {"N": "7"},
    }


def decoded(item: PutRequest | Rejection) -> dict[str, Any]:
    assert isinstance(item, PutRequest), item
    request = json.loads(item.json)
    assert list(request) == ["PutRequest"] and list(request["PutRequest"]) == ["Item"]
    return dict(request["PutRequest"]["Item"])


def test_object_is_streamed_not_read_whole():
    raw = CountingStream(rows=1_000_000)  # about 50 MB
    s3 = FakeS3(StreamingBody(raw, content_length=None))

    rows = parse_rows(open_text(s3, "b", "k"), "ProductId")
    first = next(rows)

    assert first == Row(2, "P-1", ["ProductId", "ProductName"], ["P-1", "n" * 40])
    assert raw.bytes_read < 1024 * 1024


def test_conditional_read_uses_the_events_etag_and_version():
    s3 = FakeS3(StreamingBody(io.BytesIO(b"ProductId\n"), content_length=10))

    open_text(s3, "bucket", "key.csv", version_id="v1", etag="abc")

    assert s3.requests == [
        {"Bucket": "bucket", "Key": "key.csv", "VersionId": "v1", "IfMatch": '"abc"'}
    ]


def test_commas_inside_quotes_are_not_split():
    text = io.StringIO('ProductId,Name\nP-1,"Grinder, conical"\n')

    assert list(parse_rows(text, "ProductId")) == [
        Row(2, "P-1", ["ProductId", "Name"], ["P-1", "Grinder, conical"])
    ]


def test_blank_lines_are_counted_not_rows():
    text = io.StringIO("ProductId\nP-1\n\nP-2\n")

    assert list(parse_rows(text, "ProductId")) == [
        Row(2, "P-1", ["ProductId"], ["P-1"]),
        BlankLine(3),
        Row(4, "P-2", ["ProductId"], ["P-2"]),
    ]


def test_whitespace_key_is_rejected():
    assert list(parse_rows(io.StringIO("ProductId,Name\n  ,x\n"), "ProductId")) == [
        Rejection(2, "empty key column 'ProductId'")
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("ProductId,Name,Name", "repeats column names: Name"),
        ("ProductId,,Name", "empty column name"),
        ("ProductId,source_line", "reserves: source_line"),
    ],
)
def test_unusable_headers_are_input_errors(header, message):
    text = io.StringIO(header + "\n")

    with pytest.raises(InputError, match=message):
        list(parse_rows(text, "ProductId", reserved=frozenset({"source_line"})))


def test_unterminated_quote_is_an_input_error():
    with pytest.raises(InputError, match="malformed CSV"):
        list(parse_rows(io.StringIO('ProductId,Name\nP-1,"never closed\n'), "ProductId"))


def item(key: str, value: str = "v") -> PutRequest:
    return PutRequest(
        key, json.dumps({"PutRequest": {"Item": {"k": {"S": key}, "v": {"S": value}}}})
    )


def test_writes_go_in_file_order_25_at_a_time():
    client = FakeDynamoDB()
    writer = BatchWriter(client, "t", "k", sleep=lambda _: None)

    for n in range(60):
        writer.add(item(f"{n:03}"))
    writer.flush()

    assert [len(request) for request in client.requests] == [BATCH_SIZE, BATCH_SIZE, 10]
    assert [key for request in client.requests for key in request] == [f"{n:03}" for n in range(60)]
    assert writer.written_rows == 60


def test_unprocessed_items_are_retried_after_a_jittered_delay():
    client = FakeDynamoDB(refusals=3)
    delays: list[float] = []
    writer = BatchWriter(client, "t", "k", base_delay=1.0, max_delay=100.0, sleep=delays.append)

    for key in "abcde":
        writer.add(item(key))
    writer.flush()

    assert client.requests[0] == list("abcde")
    assert client.requests[1] == list("abc")
    assert writer.written_rows == 5
    assert len(delays) == 1 and 0 <= delays[0] <= 2.0


def test_the_backoff_doubles_with_each_attempt_up_to_its_cap(monkeypatch):
    monkeypatch.setattr("processor.writer.random.uniform", lambda low, high: high)  # no jitter
    client = FakeDynamoDB(refusals=5)  # one item refused by five requests in a row
    delays: list[float] = []
    writer = BatchWriter(client, "t", "k", base_delay=1.0, max_delay=10.0, sleep=delays.append)

    writer.add(item("a"))
    writer.flush()

    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert (len(client.requests), writer.written_rows) == (6, 1)


def test_items_still_unprocessed_after_every_attempt_raise():
    client = FakeDynamoDB(refusals=10_000)
    writer = BatchWriter(client, "t", "k", max_attempts=4, sleep=lambda _: None)
    writer.add(item("a"))
    writer.add(item("b"))

    with pytest.raises(WriteFailed, match="2 rows still unprocessed after 4"):
        writer.flush()

    assert len(client.requests) == 4
    assert writer.written_rows == 0


def test_a_repeated_key_in_one_batch_is_sent_once_with_the_later_values():
    client = FakeDynamoDB()
    writer = BatchWriter(client, "t", "k")

    writer.add(item("a", "first"))
    writer.add(item("b"))
    writer.add(item("a", "second"))
    writer.flush()

    assert client.requests == [["b", "a"]]
    assert writer.written_rows == 3


def batch_write_client(url: str, max_attempts: int = 3, sleeps: list | None = None) -> Any:
    credentials = boto3.session.Session().get_credentials()
    record = sleeps.append if sleeps is not None else (lambda seconds: None)
    tls = ssl.create_default_context()
    return BatchWriteClient(url, "us-east-1", credentials, max_attempts, tls, sleep=record)


def test_the_batch_write_client_writes_what_botocore_would_have_sent(aws):
    client = batch_write_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    items = [
        {
            "ProductId": {"S": f"P-{n}"},
            "Name": {"S": f"naïve, “quoted” {n}"},
            "source_line": {"N": str(n + 2)},
        }
        for n in range(25)
    ]

    response = client.batch_write(TABLE, [json.dumps({"PutRequest": {"Item": i}}) for i in items])

    assert response["UnprocessedItems"] == {}
    stored = aws["dynamodb"].get_item(TableName=TABLE, Key={"ProductId": {"S": "P-7"}})["Item"]
    assert stored == items[7]
    assert aws["dynamodb"].scan(TableName=TABLE, Select="COUNT")["Count"] == 25


def test_the_batch_write_client_surfaces_dynamodbs_errors_as_botocore_does(aws):
    sleeps: list[float] = []
    client = batch_write_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], sleeps=sleeps)
    item = {"ProductId": {"S": "P-1"}}

    with pytest.raises(ClientError) as raised:
        client.batch_write("no-such-table", [json.dumps({"PutRequest": {"Item": item}})])

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.operation_name == "BatchWriteItem"
    assert sleeps == [], "not an error the SDKs retry"


@pytest.mark.parametrize("token", [None, "session-token-from-sts"])
def test_the_signature_is_the_one_botocore_makes(monkeypatch, token):
    credentials = Credentials("AKIDEXAMPLE", "secret/example", token)
    now = datetime.datetime(2026, 11, 27, 12, 34, 56)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: now)
    body = b'{"RequestItems":{"t":[]}}'
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}
    request = AWSRequest(method="POST", url="http://127.0.0.1:4566/", data=body, headers=headers)
    SigV4Auth(credentials, "dynamodb", "eu-west-1").add_auth(request)

    ours = signed_headers(
        body,
        "127.0.0.1:4566",
        "/",
        "eu-west-1",
        credentials.get_frozen_credentials(),
        "20261127T123456Z",
    )

    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def answers(*statuses_and_types: tuple[int, str]) -> Any:
    """A DynamoDB endpoint answering each request with the next (status, error type); 200
    with nothing unprocessed after the list."""
    calls = iter(statuses_and_types)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        status, error = next(calls, (200, ""))
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{error}", "message": error}
        payload = json.dumps(body if error else {"UnprocessedItems": {}}).encode()
        start_response(f"{status} X", [("Content-Type", CONTENT_TYPE)])
        return [payload]

    return app


def test_throttling_and_5xx_are_retried_with_the_sdks_backoff_then_given_up():
    throttled = (400, "ProvisionedThroughputExceededException")
    with serving(answers(throttled, (503, "ServiceUnavailable"))) as url:
        sleeps: list[float] = []
        response = batch_write_client(url, sleeps=sleeps).batch_write("t", [])
    with (
        serving(answers(throttled, throttled, throttled)) as url,
        pytest.raises(ClientError) as raised,
    ):
        batch_write_client(url, max_attempts=3).batch_write("t", [])

    assert response == {"UnprocessedItems": {}}
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_an_endpoint_that_does_not_answer_is_a_connection_error_after_every_attempt():
    sleeps: list[float] = []
    client = batch_write_client("http://127.0.0.1:9", max_attempts=3, sleeps=sleeps)

    with pytest.raises(EndpointConnectionError):
        client.batch_write("t", [])

    assert len(sleeps) == 2
