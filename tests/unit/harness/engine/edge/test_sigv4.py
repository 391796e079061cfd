"""The region and service a request was signed for, as the edges route it."""

from harness.engine.edge.sigv4 import credential_scope, signed_service

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=test/20261127/eu-west-1/batch/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def test_the_scope_names_region_and_service():
    assert credential_scope(SIGNED) == ("eu-west-1", "batch")
    assert signed_service({"HTTP_AUTHORIZATION": SIGNED}) == "batch"


def test_unsigned_or_other_schemes_have_no_scope():
    assert credential_scope("") is None
    assert credential_scope("Basic dXNlcjpwYXNz") is None
    assert signed_service({}) == ""
