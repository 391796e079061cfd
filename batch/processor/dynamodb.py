"""DynamoDB's BatchWriteItem sent over a kept-alive HTTP connection and signed here.

Through botocore, one BatchWriteItem of 25 small items cost about a millisecond of CPU even
with its body serialized by one json.dumps: its event hooks, endpoint rules, SigV4
canonicalisation and urllib3 (cProfile against bench/null_dynamodb.py), and a job makes
4,000 of them per 100,000 rows. This client sends the same request itself, over one
kept-alive connection (http_connection.py; with http.client in its place, `make bench` had
measured half the processor's CPU per row): one JSON POST to the endpoint's path, so the
canonical request of its SigV4 signature differs only in the body's hash, the time and the
session token. botocore still does what it does once per job: find the endpoint
(AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL or the region's) and the credentials
(refreshed as botocore refreshes them), and the errors are botocore's own types, which the
writer and the processor's exit codes already handle.

Retries follow the SDKs' standard mode: throttling errors, 500/502/503/504 and broken
connections, up to `max_attempts` attempts (AWS_MAX_ATTEMPTS), with full-jitter exponential
backoff capped at 20 s. TLS trusts what botocore trusts when AWS_CA_BUNDLE is the only
setting that names the certificates. Not supported, unlike botocore: HTTP(S) proxies, and
a `ca_bundle` in the AWS config file.
"""

import functools
import hashlib
import hmac
import json
import random
import ssl
import time
import urllib.parse
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from processor.http_connection import Connection, Response

TARGET = "DynamoDB_20120810.BatchWriteItem"
CONTENT_TYPE = "application/x-amz-json-1.0"
# The standard retry mode's throttling and transient errors.
RETRIED_ERRORS = frozenset(
    (
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
    )
)
RETRIED_STATUSES = frozenset((500, 502, 503, 504))
MAX_BACKOFF_SECONDS = 20.0
TIMEOUT_SECONDS = 60.0


def signed_headers(
    body: bytes, host: str, path: str, region: str, credentials: Any, amz_date: str
) -> dict[str, str]:
    """The headers of a signed BatchWriteItem request (AWS Signature Version 4)."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-Amz-Date": amz_date,
        "X-Amz-Target": TARGET,
    }
    if credentials.token:
        headers["X-Amz-Security-Token"] = credentials.token
    signed = sorted((name.lower(), value) for name, value in headers.items())
    names = ";".join(name for name, _ in signed)
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in signed)
    canonical_request = (
        f"POST\n{path}\n\n{canonical_headers}\n{names}\n{hashlib.sha256(body).hexdigest()}"
    )
    scope = f"{amz_date[:8]}/{region}/dynamodb/aws4_request"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
        f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    key = signing_key(credentials.secret_key, amz_date[:8], region)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return headers


@functools.lru_cache(maxsize=4)
def signing_key(secret_key: str, date: str, region: str) -> bytes:
    """SigV4's key for a day (four HMACs), the same for every request of that day."""
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, "dynamodb", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class BatchWriteClient:
    """BatchWriteItem of encoded PutRequests (items.py) to one table, answered as a botocore
    client answers it: the response as a dict, DynamoDB's errors as ClientError. It holds
    one connection, so one request at a time: batch_write(), or start() and later finish()
    while other clients' requests are in flight. An https endpoint is reached over TLS with
    `tls`, a context the job's clients share."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: Any,
        max_attempts: int,
        tls: ssl.SSLContext,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoint_url = endpoint_url
        url = urllib.parse.urlsplit(endpoint_url)
        self._host = url.netloc
        self._path = url.path or "/"
        https = url.scheme == "https"
        port = url.port or (443 if https else 80)
        self._connection = Connection(
            url.hostname or "", port, tls if https else None, TIMEOUT_SECONDS
        )
        self._region = region
        self._credentials = credentials
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._body = b""  # of the request in flight
        self._attempt = 0
        self._failed: OSError | None = None  # its last send's failure

    def batch_write(self, table: str, put_requests: list[str]) -> dict[str, Any]:
        """Write the items of `put_requests`, each the JSON of a {"PutRequest": ...}."""
        self.start(table, put_requests)
        return self.finish()

    def start(self, table: str, put_requests: list[str]) -> None:
        """Send the first attempt of a batch_write; finish() reads its answer, which is there
        to read when this client's descriptor is (select)."""
        body = f'{{"RequestItems":{{{encode_basestring(table)}:[{",".join(put_requests)}]}}}}'
        self._body = body.encode()
        self._attempt = 1
        self._failed = self._try_send()

    def finish(self) -> dict[str, Any]:
        """The answer to the request start() sent, retried (blocking) until it succeeds or
        fails for good."""
        while True:
            outcome = self._failed if self._failed is not None else self._try_receive()
            result = self._result(outcome)
            if result is not None:
                return result
            self._sleep(random.uniform(0, min(MAX_BACKOFF_SECONDS, 2 ** (self._attempt - 1))))
            self._attempt += 1
            self._failed = self._try_send()

    def fileno(self) -> int:
        return self._connection.fileno()

    def _try_send(self) -> OSError | None:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        credentials = self._credentials.get_frozen_credentials()
        body = self._body
        headers = signed_headers(body, self._host, self._path, self._region, credentials, amz_date)
        try:
            self._connection.send(self._path, headers, body)
        except OSError as error:
            return error
        return None

    def _try_receive(self) -> Response | OSError:
        try:
            return self._connection.receive()
        except OSError as error:
            return error

    def _result(self, outcome: Response | OSError) -> dict[str, Any] | None:
        """The answer of a successful attempt; None to try again; raises when no attempt is
        left or the error is not one the SDKs retry."""
        last = self._attempt >= self._max_attempts
        if isinstance(outcome, OSError):
            if last:
                url = self._endpoint_url
                raise EndpointConnectionError(endpoint_url=url, error=outcome) from outcome
            return None
        if outcome.status == 200:
            return dict(json.loads(outcome.body))
        error_response = self._error_response(outcome)
        retried = error_response["Error"]["Code"] in RETRIED_ERRORS
        if last or not (retried or outcome.status in RETRIED_STATUSES):
            raise ClientError(error_response, "BatchWriteItem")
        return None

    @staticmethod
    def _error_response(response: Response) -> dict[str, Any]:
        """DynamoDB's JSON error ({"__type": "...#Code", "message": "..."}) as botocore's."""
        status, payload = response.status, response.body
        try:
            error = json.loads(payload)
        except ValueError:
            error = {}
        if not isinstance(error, dict):
            error = {}
        code = str(error.get("__type", "")).rpartition("#")[2] or str(status)
        message = error.get("message") or error.get("Message") or payload.decode(errors="replace")
        return {
            "Error": {"Code": code, "Message": str(message)},
            "ResponseMetadata": {
                "HTTPStatusCode": status,
                "RequestId": response.headers.get("x-amzn-requestid", ""),
            },
        }
