"""The engine's edge (either engine) answers every request shape: what SDKs send beyond the
pipeline's happy path (empty bodies that expect 100 Continue, chunked and aws-chunked uploads
with trailing checksums) and what broken or hostile clients send (a body cut short, a stall
mid-body, bytes that are not HTTP, oversized headers). Each case is answered, or closed, within
a bound, and another client is served meanwhile. docs/local-cloud.md: "The edge's contract".

The SDK client waits 10 s for an answer and does not retry, so a request the edge leaves
unanswered fails in seconds instead of botocore's 60 s per try.
"""

import base64
import time
import zlib

import pytest
from botocore.config import Config

from harness.client import aws
from tests.integration.engine.raw_http import ANSWER_WITHIN_S, Edge, read_response


@pytest.fixture
def s3(local_cloud):
    quick = Config(connect_timeout=5, read_timeout=ANSWER_WITHIN_S, retries={"max_attempts": 1})
    return aws.client("s3", local_cloud.endpoint, config=quick)


def test_an_empty_object_is_stored_and_read_back(s3, pipeline, unique):
    key = f"other/{unique}/empty.txt"
    started = time.monotonic()

    s3.put_object(Bucket=pipeline.outputs.bucket, Key=key, Body=b"")

    assert time.monotonic() - started < ANSWER_WITHIN_S
    stored = s3.get_object(Bucket=pipeline.outputs.bucket, Key=key)
    assert (stored["ContentLength"], stored["Body"].read()) == (0, b"")


def test_an_empty_part_is_uploaded_and_completes_an_empty_object(s3, pipeline, unique):
    bucket, key = pipeline.outputs.bucket, f"other/{unique}/parts.bin"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    assert part["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'  # the MD5 of no bytes
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 0


# -- the rest of the edge's contract, over raw connections ------------------------------------

SIGNED_FOR_S3 = (
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0\r\n"
)


@pytest.fixture
def edge(local_cloud) -> Edge:
    return Edge(local_cloud.endpoint)


def put(edge: Edge, path: str, headers: str, body: bytes) -> bytes:
    return (
        f"PUT {path} HTTP/1.1\r\nHost: {edge.host}:{edge.port}\r\n{SIGNED_FOR_S3}{headers}\r\n"
    ).encode() + body


def test_a_chunked_upload_is_stored_whole(edge, s3, pipeline, unique):
    key = f"other/{unique}/chunked.csv"
    body = b"5\r\nA,B\n1\r\n3\r\n,2\n\r\n0\r\n\r\n"

    seconds, answer = edge.exchange(
        put(edge, f"/{pipeline.outputs.bucket}/{key}", "Transfer-Encoding: chunked\r\n", body)
    )

    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert seconds < ANSWER_WITHIN_S
    assert s3.get_object(Bucket=pipeline.outputs.bucket, Key=key)["Body"].read() == b"A,B\n1,2\n"


def aws_chunked_upload(edge: Edge, path: str, payload: bytes, checksum: str) -> bytes:
    body = (
        f"{len(payload):x}\r\n".encode()
        + payload
        + b"\r\n0\r\n"
        + f"x-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    )
    headers = (
        "Content-Encoding: aws-chunked\r\n"
        "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n"
        f"x-amz-decoded-content-length: {len(payload)}\r\n"
        "x-amz-trailer: x-amz-checksum-crc32\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    return put(edge, path, headers, body)


def test_an_aws_chunked_upload_with_a_trailing_checksum_is_stored_decoded(
    edge, s3, pipeline, unique
):
    payload = b"ProductId,Name\nA-1,One\n"
    crc32 = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    bucket, key = pipeline.outputs.bucket, f"other/{unique}/aws-chunked.csv"

    seconds, answer = edge.exchange(aws_chunked_upload(edge, f"/{bucket}/{key}", payload, crc32))

    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert seconds < ANSWER_WITHIN_S
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == payload


def test_an_upload_whose_trailing_checksum_does_not_match_is_bad_digest_and_not_stored(
    edge, s3, pipeline, unique
):
    bucket, key = pipeline.outputs.bucket, f"other/{unique}/corrupt.csv"

    seconds, answer = edge.exchange(
        aws_chunked_upload(edge, f"/{bucket}/{key}", b"A\n", "AAAAAA==")
    )

    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"<Code>BadDigest</Code>" in answer
    assert seconds < ANSWER_WITHIN_S
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"other/{unique}/")
    assert listed.get("KeyCount", 0) == 0


def test_expect_100_continue_gets_continue_then_the_answer(edge, s3, pipeline, unique):
    bucket, key = pipeline.outputs.bucket, f"other/{unique}/continue.csv"
    with edge.connect() as connection:
        connection.sendall(
            put(edge, f"/{bucket}/{key}", "Expect: 100-continue\r\nContent-Length: 4\r\n", b"")
        )
        interim = connection.recv(4096)
        connection.sendall(b"A,B\n")
        final = read_response(connection)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200"), final[:300]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"A,B\n"


def test_a_body_shorter_than_its_length_then_a_close_stores_nothing(edge, s3, pipeline, unique):
    bucket, key = pipeline.outputs.bucket, f"other/{unique}/short.csv"
    request = put(edge, f"/{bucket}/{key}", "Content-Length: 100\r\n", b"only this")

    seconds, answer = edge.exchange(request, close_after=True)

    assert seconds < ANSWER_WITHIN_S and answer == b""  # closed, unanswered
    assert edge.another_client_served_within(1.0)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"other/{unique}/").get("KeyCount", 0) == 0


def test_a_client_stalled_mid_body_does_not_hold_up_others(edge, pipeline, unique):
    with edge.connect() as stalled:
        stalled.sendall(
            put(
                edge,
                f"/{pipeline.outputs.bucket}/other/{unique}/stalled.csv",
                "Content-Length: 1000\r\n",
                b"the first bytes",
            )
        )

        assert all(edge.another_client_served_within(1.0) for _ in range(5))
    # The close after HARNESS_IDLE_TIMEOUT: tests/unit/harness/engine/edge/test_serving.py.


@pytest.mark.parametrize(
    "first_bytes", [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"\x00\xff junk"]
)
def test_bytes_that_are_not_http_are_answered_400(edge, first_bytes):
    seconds, answer = edge.exchange(first_bytes)

    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    assert seconds < 1.0
    assert edge.another_client_served_within(1.0)


def test_headers_over_the_limit_are_answered_431(edge):
    request = f"GET / HTTP/1.1\r\nHost: {edge.host}\r\nX-Big: {'a' * 300_000}\r\n\r\n".encode()

    seconds, answer = edge.exchange(request)

    assert answer.startswith(b"HTTP/1.0 431 Request Header Fields Too Large")
    assert seconds < ANSWER_WITHIN_S
    assert edge.another_client_served_within(1.0)
