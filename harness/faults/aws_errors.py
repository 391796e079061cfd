"""An AWS error in the shape the service's protocol uses, so SDKs parse and retry it as they
would in AWS (botocore retries throttling codes, 500s and 503s by itself)."""

import json
import uuid
from xml.sax.saxutils import escape

# Services whose APIs speak JSON (X-Amz-Target or REST-JSON); S3 speaks REST-XML; the rest
# the harness's stack uses (IAM, STS, CloudFormation, SQS, SNS) speak the query protocol.
JSON_SERVICES = frozenset(("dynamodb", "logs", "lambda", "batch", "ecr", "ssm", "events"))
STATUS = {
    "SlowDown": 503,
    "ServiceUnavailable": 503,
    "InternalServerError": 500,
    "InternalError": 500,
    "InternalFailure": 500,
    "ServerException": 500,
}
MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "ProvisionedThroughputExceededException": (
        "The level of configured provisioned throughput for the table was exceeded. Consider "
        "increasing your provisioning level with the UpdateTable API."
    ),
    "ThrottlingException": "Rate of requests exceeds the allowed throughput.",
}


def status_of(code: str, status: int | None = None) -> int:
    return status or STATUS.get(code, 400)


def error_response(
    service: str, code: str, status: int | None = None, message: str | None = None
) -> tuple[int, dict, bytes]:
    """(HTTP status, headers, body) of error `code` as `service` answers it."""
    request_id = uuid.uuid4().hex
    message = message or MESSAGES.get(code, f"{code} (injected by the harness)")
    http_status = status_of(code, status)
    if service in JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
    elif service == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id}
    else:
        kind = "Receiver" if http_status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return http_status, headers, body
