"""Fault injection at the engine's edge, as WSGI middleware in front of either engine.

`/_harness/faults` manages the rules: GET lists them, POST adds one (a JSON rule, see
rules.py), DELETE removes them all. Every other request is identified (service from its
signature, operation, the tables, bucket or key it names) only while rules exist, and passed
on, delayed, answered with an error, or, for BatchWriteItem, passed on with part of its items
held back and returned as UnprocessedItems. Each injected fault is logged.
"""

import io
import json
import logging
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from harness.control.routes import FAULTS_PATH, RECLAIM_PATH
from harness.engine.edge.sigv4 import signed_service
from harness.errors import HarnessError
from harness.faults.aws_errors import error_response
from harness.faults.rules import Call, FaultRule, FaultRuleError, FaultRules

logger = logging.getLogger("harness.faults")


def buffered_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for the app behind."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def identify(environ: dict[str, Any]) -> Call:
    service = signed_service(environ)
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocol: the operation is in the header, the resources in the body
        data = json.loads(buffered_body(environ) or b"{}")
        tables = [data.get("TableName", ""), *data.get("RequestItems", {})]
        names = [str(data.get(key, "")) for key in ("logGroupName", "FunctionName")]
        return Call(service, target.rpartition(".")[2], tuple(filter(None, tables + names)))
    if service == "s3":
        return s3_call(environ, method, path)
    if path.startswith("/v1/"):  # REST-JSON (Batch): /v1/<operation>
        return Call(service, path.removeprefix("/v1/").split("/")[0])
    form = environ.get("QUERY_STRING", "")
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form += "&" + buffered_body(environ).decode(errors="replace")
    action = urllib.parse.parse_qs(form).get("Action", [""])[0]
    return Call(service, action)


def s3_call(environ: dict[str, Any], method: str, path: str) -> Call:
    host = environ.get("HTTP_HOST", "")
    if ".s3." in host:  # virtual-hosted style: bucket.s3.<domain>/key
        bucket, key = host.split(".s3.")[0], path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    key = urllib.parse.unquote(key)
    if key:
        copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
        operation = {
            "GET": "GetObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
            "PUT": "CopyObject" if copy else "PutObject",
        }.get(method, method)
    else:
        operation = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket"}.get(
            method, method
        )
    return Call("s3", operation, tuple(filter(None, (bucket, key))))


def respond(start_response: Any, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}", headers)
    return [data]


def call_app(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return captured["status"], captured["headers"], body


class FaultInjector:
    """`reclaim_host(job_id)` ends a RUNNING job's attempt as a Spot interruption and returns
    its statusReason (the Batch stand-in's; raises HarnessError when it cannot)."""

    def __init__(
        self,
        app: Any,
        rules: FaultRules | None = None,
        reclaim_host: Callable[[str], str] | None = None,
    ) -> None:
        self.app = app
        self.rules = rules or FaultRules()
        self.reclaim_host = reclaim_host

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return self.manage(environ, start_response)
        if environ.get("PATH_INFO") == RECLAIM_PATH and self.reclaim_host:
            return self.reclaim(environ, start_response)
        if not self.rules.any():
            return self.app(environ, start_response)
        call = identify(environ)
        rule = self.rules.decide(call)
        if rule is None:
            return self.app(environ, start_response)
        logger.warning(
            "fault injected (rule %s): %s %s %s -> %s",
            rule.id,
            call.service,
            call.operation,
            ",".join(call.resources) or "-",
            rule.effect(),
        )
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
            return self.app(environ, start_response)
        if rule.error:
            return self.error(call.service, rule.error, rule.status, start_response)
        return self.hold_back_items(rule, environ, start_response)

    def error(
        self, service: str, code: str, status: int | None, start_response: Any
    ) -> list[bytes]:
        http_status, headers, body = error_response(service, code, status)
        start_response(
            f"{http_status} Error", [*headers.items(), ("Content-Length", str(len(body)))]
        )
        return [body]

    def hold_back_items(
        self, rule: FaultRule, environ: dict[str, Any], start_response: Any
    ) -> list[bytes]:
        """BatchWriteItem with part of its items returned as UnprocessedItems, as DynamoDB
        does under throttling; none processed is ProvisionedThroughputExceededException."""
        data = json.loads(buffered_body(environ))
        kept: dict[str, list[Any]] = {}
        held: dict[str, list[Any]] = {}
        for table, requests in data.get("RequestItems", {}).items():
            for request in requests:
                chosen = held if self.rules.fraction_held_back(rule) else kept
                chosen.setdefault(table, []).append(request)
        if not kept:
            return self.error(
                "dynamodb", "ProvisionedThroughputExceededException", None, start_response
            )
        forwarded = json.dumps({**data, "RequestItems": kept}).encode()
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = (
            io.BytesIO(forwarded),
            str(len(forwarded)),
        )
        status, headers, body = call_app(self.app, environ)
        if status.startswith("200"):
            result = json.loads(body or b"{}")
            unprocessed = result.setdefault("UnprocessedItems", {})
            for table, requests in held.items():
                unprocessed.setdefault(table, []).extend(requests)
            body = json.dumps(result).encode()
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
        headers += [("Content-Length", str(len(body))), ("x-amz-crc32", str(zlib.crc32(body)))]
        start_response(status, headers)
        return [body]

    def reclaim(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        assert self.reclaim_host is not None
        try:
            job_id = json.loads(buffered_body(environ) or b"{}")["jobId"]
            reason = self.reclaim_host(job_id)
        except (ValueError, KeyError) as error:
            return respond(start_response, 400, {"message": f"POST {{'jobId': ...}}: {error}"})
        except HarnessError as error:
            return respond(start_response, 400, {"message": str(error)})
        logger.warning("fault injected: host of job %s reclaimed (%s)", job_id, reason)
        return respond(start_response, 200, {"jobId": job_id, "statusReason": reason})

    def manage(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "GET":
            return respond(start_response, 200, {"rules": self.rules.listed()})
        if method == "DELETE":
            return respond(start_response, 200, {"removed": self.rules.clear()})
        if method == "POST":
            try:
                rule = FaultRule.from_dict(json.loads(buffered_body(environ) or b"{}"))
            except (ValueError, FaultRuleError) as error:
                return respond(start_response, 400, {"message": str(error)})
            self.rules.add(rule)
            logger.info("fault rule added: %s", rule.as_dict())
            return respond(start_response, 200, {"rule": rule.as_dict()})
        return respond(
            start_response, 400, {"message": f"{method} {FAULTS_PATH}: GET, POST or DELETE"}
        )
