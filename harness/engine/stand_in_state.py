"""The Batch stand-in's resources and jobs in a file of their own, beside the engine's saved
state, so that a crash of the engine loses no job it acknowledged and little of a running
one's progress: rewritten whole after every API call that changed something (before its
answer), before a job's container is created or removed (ContainerRunner's write_ahead), and
every half second while a job is unfinished.

The file names the saved state it follows; at start it replaces that state's Batch part when
it follows it (it is then as new or newer), and is ignored otherwise. In front of an engine
that saves no state of its own (LocalStack's free runtime), the file stands alone
(`kept_alone`): it is all the stand-in has.
"""

import logging
import pickle
import threading
import time
from pathlib import Path
from typing import Any

from harness.batch.service import BatchService
from harness.cloud import saved_state

logger = logging.getLogger("harness.engine")

TICK_SECONDS = 0.5
STANDS_ALONE = ""  # what a file follows when the engine saves no state of its own


class StandInStateFile:
    def __init__(self, path: Path, batch: BatchService, follows: str) -> None:
        self.path = path
        self._batch = batch
        self._follows = follows
        self._lock = threading.Lock()
        self._last_write_started = 0
        self._stopped = threading.Event()

    def write(self) -> None:
        """Return once the file holds the stand-in as it is now (a write started meanwhile by
        another thread covers this one)."""
        asked = time.monotonic_ns()
        with self._lock:
            if self._last_write_started > asked:
                return
            self._last_write_started = time.monotonic_ns()
            saved_state.replace_whole(self.path, [self._pickled()])

    def follow(self, saved_state_id: str) -> None:
        """The engine saved its state as `saved_state_id`: the file now follows that one."""
        with self._lock:
            self._follows = saved_state_id
        self.write()

    def keep_writing(self) -> None:
        """Write every TICK_SECONDS while a job is unfinished (and once after the last ends),
        in a thread of its own, until `stop()`."""

        def tick() -> None:
            was_busy = False
            while not self._stopped.wait(TICK_SECONDS):
                busy = self._batch.has_unfinished_jobs()
                if busy or was_busy:
                    try:
                        self.write()
                    except Exception:
                        logger.exception("the Batch stand-in's state was not written")
                was_busy = busy

        threading.Thread(target=tick, name="stand-in-state", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _pickled(self) -> bytes:
        return saved_state.read_while_changing(
            lambda: pickle.dumps(
                {"follows": self._follows, "batch": self._batch.saved_state()},
                pickle.HIGHEST_PROTOCOL,
            )
        )


def read(path: Path, follows: str) -> dict[str, Any] | None:
    """The stand-in's state in the file at `path` when it follows the saved state `follows`."""
    try:
        payload = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as error:
        logger.warning("%s cannot be read (%r): ignored", path, error)
        return None
    return payload["batch"] if payload.get("follows") == follows else None


def kept_alone(path: Path, batch: BatchService) -> StandInStateFile:
    """The stand-in as the file at `path` last held it, for an engine that saves no state of
    its own, and the file kept current from now on (start its ticks once the edge serves)."""
    state = read(path, STANDS_ALONE)
    if state is not None:
        logger.info("Batch stand-in restored from %s: %d jobs", path, batch.restore(state))
    kept = StandInStateFile(path, batch, STANDS_ALONE)
    batch.changed = kept.write
    return kept
