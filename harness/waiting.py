"""Polling with a deadline: the one loop every wait of the harness uses."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float, interval: float) -> T | None:
    """Call `check` every `interval` seconds until it returns something other than None,
    which is returned, or until `timeout` seconds have passed: then None. `check` is always
    called at least once, and may raise to stop waiting early."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
