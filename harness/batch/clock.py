"""The Batch stand-in's clock: the wall clock, which a test may move forward through the
harness-only control `POST /_harness/batch/clock`, so that limits AWS sets long (a queue's
jobStateTimeLimitActions, 600 s at least; a job's attemptDurationSeconds, 60 s at least) pass
without being waited out.

Every time the stand-in reports (createdAt, startedAt, stoppedAt) or acts on (those two
limits) is read from it. There is one per engine process, as there is one stand-in; it is
not kept across a restart. Log events keep the time Docker read their lines, and fair-share
usage decays on the monotonic clock: neither moves with it.
"""

import math
import threading
import time

from harness.batch.errors import ClientException

MAX_ADVANCE_SECONDS = 366 * 24 * 3600  # a year: past any limit AWS lets a job or queue set


class StandInClock:
    def __init__(self) -> None:
        self._ahead_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """Milliseconds since the epoch, as the stand-in tells them."""
        return int(time.time() * 1000) + self._ahead_ms

    def advance(self, seconds: object) -> float:
        """Move the clock forward by `seconds`; how far ahead of the wall clock it now is, in
        seconds. ClientException for anything but a positive number up to a year."""
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or not 0 < seconds <= MAX_ADVANCE_SECONDS
        ):
            raise ClientException(
                f"advanceSeconds must be a number of seconds above 0 and at most "
                f"{MAX_ADVANCE_SECONDS}, not {seconds!r}"
            )
        with self._lock:
            self._ahead_ms += int(seconds * 1000)
            return self._ahead_ms / 1000

    @property
    def ahead_seconds(self) -> float:
        return self._ahead_ms / 1000


CLOCK = StandInClock()


def now_ms() -> int:
    """The stand-in's time (CLOCK's) in milliseconds since the epoch."""
    return CLOCK.now_ms()
