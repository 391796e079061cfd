"""Which requests the journal records: the writes of S3, DynamoDB and CloudWatch Logs."""

import pytest

from harness.engine.edge.recording import service_of, written_service


def signed(service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/{service}/aws4_request, x"


def environ(method: str, path: str = "/", service: str = "", target: str = "", query: str = ""):
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        **({"HTTP_AUTHORIZATION": signed(service)} if service else {}),
        **({"HTTP_X_AMZ_TARGET": target} if target else {}),
    }


@pytest.mark.parametrize(
    ("request_environ", "recorded"),
    [
        (environ("PUT", "/bucket/key", "s3"), True),
        (environ("DELETE", "/bucket/key", "s3"), True),
        (environ("POST", "/bucket", "s3", query="delete"), True),
        (environ("GET", "/bucket/key", "s3"), False),
        (environ("HEAD", "/bucket/key", "s3"), False),
        (environ("PUT", "/bucket/key"), True),  # unsigned: S3, as moto takes it
        (
            environ(
                "PUT", "/bucket/key", query="X-Amz-Credential=t/20261203/us-east-1/s3/aws4_request"
            ),
            True,
        ),
        (environ("POST", "/", "dynamodb", "DynamoDB_20120810.BatchWriteItem"), True),
        (environ("POST", "/", "dynamodb", "DynamoDB_20120810.UpdateItem"), True),
        (environ("POST", "/", "dynamodb", "DynamoDB_20120810.Query"), False),
        (environ("POST", "/", "dynamodb", "DynamoDB_20120810.BatchGetItem"), False),
        (environ("POST", "/", "logs", "Logs_20140328.PutLogEvents"), True),
        (environ("POST", "/", "logs", "Logs_20140328.GetLogEvents"), False),
        (environ("POST", "/", "lambda"), False),  # in the saved state, not the journal
        (environ("POST", "/", "cloudformation"), False),
        (environ("POST", "/moto-api/reset"), False),
        (environ("POST", "/_harness/state"), False),
    ],
)
def test_the_writes_of_data_are_recorded_and_nothing_else(request_environ, recorded):
    assert (written_service(request_environ) is not None) is recorded


def test_an_unsigned_json_request_is_placed_by_its_target():
    assert service_of(environ("POST", "/", target="DynamoDB_20120810.PutItem")) == "dynamodb"
