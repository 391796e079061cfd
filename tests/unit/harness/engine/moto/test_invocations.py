"""S3's Lambda invocations on the embedded engine: a function that fails is tried three times
in all, and a run that moto's Docker handling failed is made again without counting as one."""

import contextlib

from harness.engine.moto import invocations
from harness.engine.moto.invocations import LambdaInvocations

FUNCTION_ERROR = b'{"errorMessage": "denied", "errorType": "AccessDeniedException"}'
DOCKER_ERROR = b"error running docker: 409 Client Error: volume is in use"


class Function:
    """Answers each invocation with the next of `results`, as a failed function (moto sets
    x-amz-function-error for both kinds)."""

    def __init__(self, results: list[bytes]) -> None:
        self.results = results
        self.invoked = 0

    def invoke(self, body: str, context: dict, headers: dict[str, str]) -> bytes:
        result = self.results[min(self.invoked, len(self.results) - 1)]
        self.invoked += 1
        headers["x-amz-function-error"] = "Unhandled"
        return result


def invoked(monkeypatch, results: list[bytes]) -> int:
    function = Function(results)

    class Backend:
        def get_function(self, arn: str) -> Function:
            return function

    monkeypatch.setattr(invocations, "RETRY_BASE_DELAY_SECONDS", 0)
    monkeypatch.setattr(invocations.internals, "get", lambda module, name: lambda *a: Backend())
    calls = LambdaInvocations(lambda function: contextlib.nullcontext())
    calls._invoke(None, "000000000000", {}, "arn:fn", "us-east-1")
    calls.shutdown()
    return function.invoked


def test_a_failing_function_is_tried_three_times(monkeypatch):
    assert invoked(monkeypatch, [FUNCTION_ERROR]) == 3


def test_a_run_that_docker_failed_is_made_again_without_counting(monkeypatch):
    results = [DOCKER_ERROR, FUNCTION_ERROR, FUNCTION_ERROR, DOCKER_ERROR, FUNCTION_ERROR]

    assert invoked(monkeypatch, results) == 5


def test_docker_failing_for_good_still_ends_the_invocation(monkeypatch):
    assert invoked(monkeypatch, [DOCKER_ERROR]) == invocations.ENGINE_RETRIES + 3
