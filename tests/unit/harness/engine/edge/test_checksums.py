"""S3 upload checksums checked at the edge (harness/engine/edge/checksums.py), in headers and in
aws-chunked trailers, as S3 checks them: a mismatch is BadDigest, and nothing is stored."""

import base64
import zlib

import boto3
import botocore.exceptions
import pytest

from harness.engine.edge.checksums import (
    ChecksumCheck,
    MalformedChunks,
    decode_aws_chunked,
    mismatch,
)
from tests.unit.conftest import serving

PAYLOAD = b"ProductId,Name\nA-1,One\n"
BUCKET = "checksum-uploads"
CRC32 = base64.b64encode(zlib.crc32(PAYLOAD).to_bytes(4, "big")).decode()


def aws_chunked(payload: bytes, checksum: str, chunk: int = 10) -> bytes:
    parts = [
        f"{len(payload[i : i + chunk]):x}\r\n".encode() + payload[i : i + chunk] + b"\r\n"
        for i in range(0, len(payload), chunk)
    ]
    return b"".join(parts) + b"0\r\n" + f"x-amz-checksum-crc32:{checksum}\r\n\r\n".encode()


def test_an_aws_chunked_body_decodes_to_its_payload_and_trailers():
    payload, trailers = decode_aws_chunked(aws_chunked(PAYLOAD, CRC32))

    assert (payload, trailers) == (PAYLOAD, {"x-amz-checksum-crc32": CRC32})


def test_a_chunk_shorter_than_its_size_is_malformed():
    with pytest.raises(MalformedChunks):
        decode_aws_chunked(b"20\r\nabc\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    ("environ", "body", "refused"),
    [
        ({"HTTP_X_AMZ_CHECKSUM_CRC32": CRC32}, PAYLOAD, None),
        ({"HTTP_X_AMZ_CHECKSUM_CRC32": "AAAAAA=="}, PAYLOAD, "BadDigest"),
        ({"HTTP_CONTENT_ENCODING": "aws-chunked"}, aws_chunked(PAYLOAD, CRC32), None),
        ({"HTTP_CONTENT_ENCODING": "aws-chunked"}, aws_chunked(PAYLOAD, "AAAAAA=="), "BadDigest"),
        ({"HTTP_CONTENT_ENCODING": "aws-chunked"}, b"zz\r\n", "IncompleteBody"),
        ({"HTTP_X_AMZ_CHECKSUM_SHA256": base64.b64encode(b"x" * 32).decode()}, b"", "BadDigest"),
        ({"HTTP_X_AMZ_CHECKSUM_ALGORITHM": "CRC32"}, PAYLOAD, None),  # names one, claims none
    ],
)
def test_a_body_is_refused_only_when_it_does_not_match_what_it_claims(environ, body, refused):
    found = mismatch(environ, body)

    assert (found[0] if found else None) == refused


def test_an_upload_with_a_wrong_checksum_is_bad_digest_and_is_not_stored():
    from moto.moto_server.werkzeug_app import create_backend_app

    # moto's S3 state lives as long as the process: a bucket no other test uses
    with serving(ChecksumCheck(create_backend_app("s3"))) as url:
        s3 = boto3.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET)
        corrupt = lambda request, **_: request.headers.__setitem__(  # noqa: E731
            "x-amz-checksum-crc32", "AAAAAA=="
        )
        s3.meta.events.register("before-send.s3.PutObject", corrupt)

        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.put_object(Bucket=BUCKET, Key="a.csv", Body=PAYLOAD)
        s3.meta.events.unregister("before-send.s3.PutObject", corrupt)
        s3.put_object(Bucket=BUCKET, Key="b.csv", Body=PAYLOAD)  # the SDK's own checksum
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]

    assert refused.value.response["Error"]["Code"] == "BadDigest"
    assert keys == ["b.csv"]
