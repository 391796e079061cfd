#!/usr/bin/env python3
"""The init program LocalStack starts in each Python function container (/var/rapid/init).

LocalStack's own init is a Go program it downloads; offline, the harness supplies this one,
which speaks the same protocol for Python handlers (standard library only):

- at start it loads the handler named by _HANDLER from /var/task and reports
  POST {LOCALSTACK_RUNTIME_ENDPOINT}/status/{LOCALSTACK_RUNTIME_ID}/ready, or .../error with
  the import error;
- it serves POST /invoke on port 9563 (JSON: invoke-id, invoked-function-arn, payload),
  answers at once, runs the handler, then posts the invocation's output to
  .../invocations/{invoke-id}/logs and the result to .../response (or .../error);
- invocations run one at a time, as in one Lambda execution environment.

What it does not do (docs/localstack-and-compose.md says so): runtimes other than Python,
extensions, the Runtime API (AWS_LAMBDA_RUNTIME_API), dropping privileges to LOCALSTACK_USER.
"""

import http.server
import importlib
import json
import os
import sys
import threading
import time
import traceback
import urllib.request
from typing import Any

# Where LocalStack sends invocations: every address of the container's own network namespace
# (LocalStack calls the container's address on its bridge network), port 9563.
LISTEN = ("0.0.0.0", 9563)
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")


class Context:
    """The handler's context object, with the attributes Python handlers use."""

    def __init__(self, invoke_id: str, function_arn: str, timeout_seconds: float) -> None:
        self.aws_request_id = invoke_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# Written through the same pipe after an invocation's output: once the pump has read it, it
# has read everything written before it.
TAKE_MARKER = b"\0harness-lambda-init-take\0"
TAKE_WAIT_SECONDS = 5


class OutputCapture:
    """Everything written to file descriptors 1 and 2 (print, logging, C code) goes on to the
    container's output and into a buffer, which each invocation takes as its logs."""

    def __init__(self) -> None:
        self._read = threading.Condition()
        self._buffer = bytearray()
        read_end, write_end = os.pipe()
        self._original = os.dup(1)
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        threading.Thread(target=self._pump, args=(read_end,), daemon=True).start()

    def _pump(self, read_end: int) -> None:
        while chunk := os.read(read_end, 65536):
            os.write(self._original, chunk.replace(TAKE_MARKER, b""))
            with self._read:
                self._buffer += chunk
                self._read.notify_all()

    def take(self) -> str:
        """What was written since the last take: a marker written after it through the same
        pipe says when the pump has read it all, however busy the machine."""
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(1, TAKE_MARKER)
        with self._read:
            self._read.wait_for(lambda: TAKE_MARKER in self._buffer, timeout=TAKE_WAIT_SECONDS)
            taken, _, after = bytes(self._buffer).partition(TAKE_MARKER)
            self._buffer = bytearray(after)
        return taken.decode("utf-8", "replace")


def post(path: str, body: dict[str, Any] | bytes) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        os.environ["LOCALSTACK_RUNTIME_ENDPOINT"] + path,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def error_body(error: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class NotPython(Exception):
    pass


def load_handler() -> Any:
    sys.path.insert(0, TASK_ROOT)
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    path = module_name.replace(".", "/")
    if not any(os.path.exists(f"{TASK_ROOT}/{path}{suffix}") for suffix in (".py", "/")):
        scripts = [f"{TASK_ROOT}/{path}{suffix}" for suffix in (".js", ".mjs", ".cjs")]
        if any(os.path.exists(script) for script in scripts):
            raise NotPython(
                f"{os.environ['_HANDLER']} is a Node.js handler; the harness's Lambda init "
                "runs Python handlers only"
            )
    return getattr(importlib.import_module(module_name.replace("/", ".")), function_name)


def apply_chmod_paths() -> None:
    for entry in json.loads(os.environ.get("LOCALSTACK_CHMOD_PATHS", "[]")):
        try:
            os.chmod(entry["path"], int(entry["mode"], 8))
        except OSError as error:
            print(f"init: chmod {entry['mode']} {entry['path']}: {error}", file=sys.stderr)


class Runtime:
    def __init__(self, handler: Any, capture: OutputCapture) -> None:
        self.handler = handler
        self.capture = capture
        self.timeout = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
        self._one_at_a_time = threading.Lock()

    def invoke(self, request: dict[str, Any]) -> None:
        with self._one_at_a_time:
            invoke_id = request["invoke-id"]
            context = Context(invoke_id, request.get("invoked-function-arn", ""), self.timeout)
            try:
                result = self.handler(json.loads(request.get("payload") or "null"), context)
                outcome, body = "response", json.dumps(result).encode()
            except Exception as error:
                traceback.print_exc()
                outcome, body = "error", json.dumps(error_body(error)).encode()
            post(f"/invocations/{invoke_id}/logs", {"logs": self.capture.take()})
            post(f"/invocations/{invoke_id}/{outcome}", body)


def invoke_server(runtime: Runtime) -> http.server.ThreadingHTTPServer:
    class InvokeHandler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/invoke":
                self.send_error(404)
                return
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
            self.send_response(200)
            self.end_headers()
            threading.Thread(target=runtime.invoke, args=(request,), daemon=True).start()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per invoke would land in the function's logs

    return http.server.ThreadingHTTPServer(LISTEN, InvokeHandler)


def main() -> None:
    apply_chmod_paths()
    capture = OutputCapture()
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    try:
        handler = load_handler()
    except Exception as error:
        traceback.print_exc()
        post(f"/status/{os.environ['LOCALSTACK_RUNTIME_ID']}/error", error_body(error))
        sys.exit(1)
    server = invoke_server(Runtime(handler, capture))  # listening before "ready" is said
    post(f"/status/{os.environ['LOCALSTACK_RUNTIME_ID']}/ready", {})
    server.serve_forever()


if __name__ == "__main__":
    main()
