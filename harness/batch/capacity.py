"""vCPU capacity of compute environments: a job waits in RUNNABLE until its vCPUs are free."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.batch.models import ComputeEnvironment

POLL_SECONDS = 0.2  # how soon a waiting job notices that it was cancelled


class CapacityPool:
    def __init__(self) -> None:
        self._in_use: dict[str, float] = {}
        self._changed = threading.Condition()

    @contextmanager
    def reserve(
        self, environment: ComputeEnvironment, vcpus: float, cancelled: threading.Event
    ) -> Iterator[bool]:
        """Hold `vcpus` of the environment; yields False (holding nothing) once `cancelled`."""

        def fits() -> bool:
            return self._in_use.get(environment.arn, 0.0) + vcpus <= environment.max_vcpus

        with self._changed:
            while not self._changed.wait_for(fits, timeout=POLL_SECONDS):
                if cancelled.is_set():
                    break
            reserved = fits() and not cancelled.is_set()
            if reserved:
                self._in_use[environment.arn] = self._in_use.get(environment.arn, 0.0) + vcpus
        if not reserved:
            yield False
            return
        try:
            yield True
        finally:
            with self._changed:
                self._in_use[environment.arn] -= vcpus
                self._changed.notify_all()
