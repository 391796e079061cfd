"""The engine's edge (either engine) answers request shapes SDKs send that the pipeline's
happy path does not: here, bodies that are empty although the request expects 100 Continue.

Each upload gets a client that waits 10 s for an answer and does not retry, so a request the
edge leaves unanswered fails in seconds instead of botocore's 60 s per try.
"""

import time

import pytest
from botocore.config import Config

from harness import aws

ANSWER_WITHIN_S = 10


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
