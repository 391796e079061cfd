"""vCPU capacity of compute environments: a job waits in RUNNABLE until its vCPUs are free."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.batch.models import ComputeEnvironment


class CapacityPool:
    def __init__(self) -> None:
        self._in_use: dict[str, float] = {}
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, environment: ComputeEnvironment, vcpus: float) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(
                lambda: self._in_use.get(environment.arn, 0.0) + vcpus <= environment.max_vcpus
            )
            self._in_use[environment.arn] = self._in_use.get(environment.arn, 0.0) + vcpus
        try:
            yield
        finally:
            with self._changed:
                self._in_use[environment.arn] -= vcpus
                self._changed.notify_all()
