"""The Lambda init program the harness supplies to LocalStack, run as a real process against
a recording stand-in for LocalStack's runtime endpoint."""

import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.paths import REPO
from harness.waiting import wait_until
from tests.integration.helpers import free_port

RUNTIME_ID = "runtime-1"


class RuntimeEndpoint:
    """Records what the init posts, as LocalStack's executor endpoint would receive it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"] or 0))
                recorder.posts.append((self.path, json.loads(body or b"null")))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/_localstack_lambda/{RUNTIME_ID}"

    def posted(self, suffix: str, timeout: float = 10) -> dict:
        def find() -> dict | None:
            return next((body for path, body in self.posts if path.endswith(suffix)), None)

        found = wait_until(find, timeout, interval=0.05)
        assert found is not None, f"nothing posted to ...{suffix}; posts: {self.posts}"
        return found


@pytest.fixture
def endpoint() -> Iterator[RuntimeEndpoint]:
    recorder = RuntimeEndpoint()
    yield recorder
    recorder.server.shutdown()


def start_init(task_root: Path, handler: str, endpoint: RuntimeEndpoint) -> tuple:
    port = free_port()
    program = (
        "import harness.engine.localstack.lambda_init as init\n"
        f"init.LISTEN = ('127.0.0.1', {port})\n"
        "init.main()\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LAMBDA_TASK_ROOT": str(task_root),
        "_HANDLER": handler,
        "LOCALSTACK_RUNTIME_ENDPOINT": endpoint.url,
        "LOCALSTACK_RUNTIME_ID": RUNTIME_ID,
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
        "AWS_LAMBDA_FUNCTION_NAME": "unit-function",
        "LOCALSTACK_CHMOD_PATHS": json.dumps([{"path": str(task_root), "mode": "0755"}]),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", program],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return process, port


def invoke(port: int, invoke_id: str, payload: dict) -> int:
    body = json.dumps(
        {
            "invoke-id": invoke_id,
            "invoked-function-arn": "arn:aws:lambda:us-east-1:000000000000:function:unit-function",
            "payload": json.dumps(payload),
        }
    ).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/invoke", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


HANDLER = """
import logging
logging.basicConfig(level=logging.INFO)

def handle(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("printed for", event["name"])
    logging.getLogger("unit").info("logged for %s", event["name"])
    return {"hello": event["name"], "request": context.aws_request_id,
            "function": context.function_name, "left_ms": context.get_remaining_time_in_millis()}
"""


def test_ready_then_invocations_report_logs_and_result_or_error(tmp_path, endpoint):
    (tmp_path / "app.py").write_text(HANDLER)
    process, port = start_init(tmp_path, "app.handle", endpoint)
    try:
        assert endpoint.posted(f"/status/{RUNTIME_ID}/ready") == {}
        assert invoke(port, "inv-1", {"name": "ada"}) == 200
        result = endpoint.posted("/invocations/inv-1/response")
        logs = endpoint.posted("/invocations/inv-1/logs")["logs"]

        assert invoke(port, "inv-2", {"fail": True}) == 200
        error = endpoint.posted("/invocations/inv-2/error")
        failed_logs = endpoint.posted("/invocations/inv-2/logs")["logs"]
    finally:
        process.kill()
        process.wait()

    assert result["hello"] == "ada"
    assert result["request"] == "inv-1" and result["function"] == "unit-function"
    assert 0 < result["left_ms"] <= 30_000
    assert "printed for ada" in logs and "logged for ada" in logs
    assert "logged for" not in failed_logs, "each invocation takes only its own output"
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "asked to fail"
    assert "ValueError: asked to fail" in failed_logs
    paths = [path for path, _ in endpoint.posts]
    logs_first = paths.index(f"/_localstack_lambda/{RUNTIME_ID}/invocations/inv-1/logs")
    assert logs_first < paths.index(f"/_localstack_lambda/{RUNTIME_ID}/invocations/inv-1/response")


def test_a_handler_that_cannot_load_reports_a_startup_error(tmp_path, endpoint):
    (tmp_path / "app.py").write_text("import no_such_module\n")
    process, _ = start_init(tmp_path, "app.handle", endpoint)
    try:
        error = endpoint.posted(f"/status/{RUNTIME_ID}/error")
        assert process.wait(timeout=10) == 1
    finally:
        process.kill()

    assert error["errorType"] == "ModuleNotFoundError"
    assert "no_such_module" in error["errorMessage"]


def test_a_nodejs_handler_is_refused_by_name(tmp_path, endpoint):
    (tmp_path / "index.js").write_text("exports.handler = async () => ({});\n")
    process, _ = start_init(tmp_path, "index.handler", endpoint)
    try:
        error = endpoint.posted(f"/status/{RUNTIME_ID}/error")
    finally:
        process.kill()
        process.wait()

    assert error["errorType"] == "NotPython"
    assert "runs Python handlers only" in error["errorMessage"]
