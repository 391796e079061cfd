"""S3's invocations of Lambda on the embedded engine: asynchronous, as AWS makes them, so an
upload is answered at once and a failed invocation is retried.

Each invocation tells `deliveries` (when the engine keeps a journal) that it started and that
it ended, so that after a crash the journal's replay invokes again only what never ran to
its end. While the engine replays its journal, before it serves, invocations are held (to run
once it serves: a function calls the engine) or dropped (their first delivery ended).
"""

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Protocol

from harness.engine.moto import internals

logger = logging.getLogger("harness.engine")

# Lambda retries a failed asynchronous invocation twice, AWS after about 1 and 2 minutes;
# here after 1 and 2 seconds, as the harness configures LocalStack (its engine.py).
ATTEMPTS = 3
RETRY_BASE_DELAY_SECONDS = 1.0
THREADS = 8
# What moto answers when Docker fails it while running a function (moto.awslambda.models,
# `_invoke_lambda`), e.g. a 409 removing a code volume another invocation still uses: the
# engine's failure, not the function's, so the attempt is made again, up to this many times.
MOTO_DOCKER_ERROR = "error running docker"
ENGINE_RETRIES = 3

# Wraps one invocation of a moto Lambda function, e.g. in its role's credentials (iam.py).
FunctionCredentials = Callable[[Any], AbstractContextManager[None]]


class DeliveryTracker(Protocol):
    def handed_off(self) -> int | None: ...

    def ended(self, sequence: int | None) -> None: ...


class _Untracked:
    def handed_off(self) -> int | None:
        return None

    def ended(self, sequence: int | None) -> None:
        pass


class LambdaInvocations:
    """What moto's S3 calls (its `_invoke_awslambda`) to invoke a function."""

    def __init__(self, credentials: FunctionCredentials) -> None:
        self._credentials = credentials
        self._pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="s3-to-lambda")
        self.deliveries: DeliveryTracker = _Untracked()
        self._replay = threading.local()
        self._held: list[tuple[Any, ...]] = []

    def __call__(self, account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        call = (self.deliveries.handed_off(), account_id, event_body, fn_arn, region_name)
        deliver = getattr(self._replay, "deliver", None)
        if deliver is None:
            self._pool.submit(self._invoke, *call)
        elif deliver:
            self._held.append(call)

    @contextlib.contextmanager
    def replaying(self, deliver: bool) -> Iterator[None]:
        """Invocations started on this thread meanwhile are held (`deliver`) or dropped."""
        self._replay.deliver = deliver
        try:
            yield
        finally:
            self._replay.deliver = None

    def release(self) -> int:
        """Start the held invocations; how many."""
        held, self._held = self._held, []
        for call in held:
            self._pool.submit(self._invoke, *call)
        return len(held)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False)

    def _invoke(
        self,
        sequence: int | None,
        account_id: str,
        event_body: Any,
        function_arn: str,
        region_name: str,
    ) -> None:
        get_backend = internals.get("moto.awslambda.utils", "get_backend")
        attempt, engine_failures = 1, 0
        while attempt <= ATTEMPTS:
            time.sleep((attempt - 1) * RETRY_BASE_DELAY_SECONDS)
            try:
                function = get_backend(account_id, region_name).get_function(function_arn)
                response_headers: dict[str, str] = {}
                with self._credentials(function):
                    result = function.invoke(json.dumps(event_body), {}, response_headers)
            except Exception:
                logger.exception("invoking %s failed (attempt %d)", function_arn, attempt)
                attempt += 1
                continue
            if "x-amz-function-error" not in response_headers:
                break
            if engine_failed(result) and engine_failures < ENGINE_RETRIES:
                engine_failures += 1
                logger.warning("the engine could not run %s: %s; again", function_arn, result)
                continue
            logger.warning(
                "function %s failed (attempt %d of %d): %s",
                function_arn,
                attempt,
                ATTEMPTS,
                result,
            )
            attempt += 1
        # AWS, too, gives up on an event after its retries: delivered either way
        self.deliveries.ended(sequence)


def engine_failed(result: Any) -> bool:
    """Whether moto's answer for an invocation is its own Docker failure."""
    text = result.decode("utf-8", "replace") if isinstance(result, bytes) else str(result)
    return text.startswith(MOTO_DOCKER_ERROR)
