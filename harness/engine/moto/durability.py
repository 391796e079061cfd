"""The embedded engine's state on disk, and how it comes back after a stop or a crash.

Three files, side by side:
- the saved state (`engine.state`, persistence.py): everything, written at stop, when asked
  (`harness up` asks after each deploy) and when the journal outgrows it (see COMPACT_*);
- the journal (`engine.state.journal`, harness/engine/edge/journal.py): the S3, DynamoDB
  and CloudWatch Logs writes acknowledged since that save, each on disk before its answer;
- the Batch stand-in's own file (`engine.state.batch`, harness/engine/stand_in_state.py).
At start the engine loads the saved state, replays the journal that follows it and takes the
stand-in's file over the saved state's Batch part when it follows it too. Each save starts a
new journal, so it never holds what a save already has.
"""

import logging
import threading
from dataclasses import dataclass

from harness.batch.service import BatchService
from harness.cloud import saved_state
from harness.cloud.saved_state import Header
from harness.engine import stand_in_state
from harness.engine.edge import journal
from harness.engine.edge.gate import RequestGate
from harness.engine.edge.journal import Journal
from harness.engine.edge.recording import Deliveries, Recorder, answered, replayed_environ
from harness.engine.edge.router import WsgiApp
from harness.engine.moto.invocations import LambdaInvocations
from harness.engine.moto.persistence import SavedState
from harness.engine.stand_in_state import StandInStateFile

logger = logging.getLogger("harness.engine")

# A save writes the whole state with requests held, so its cost grows with the state: the
# journal grows to twice the saved state (at least this) before the next one, which keeps
# saves rare with much data and a crash's replay at most about twice the state's size.
COMPACT_AT_LEAST_BYTES = 64 * 1024 * 1024
COMPACT_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Replayed:
    writes: int
    refused: int
    redelivered: int  # S3 events whose function had not run to its end


class DurableState:
    """Restores the engine at start, then keeps its writes durable until it stops."""

    def __init__(
        self,
        saved: SavedState,
        batch: BatchService,
        invocations: LambdaInvocations,
        gate: RequestGate,
    ) -> None:
        self.saved = saved
        self._batch = batch
        self._invocations = invocations
        self._gate = gate
        self._journal_path, self._stand_in_path = saved_state.companions(saved.path)
        self._journal: Journal | None = None
        self._stand_in: StandInStateFile | None = None
        self._stopped = threading.Event()

    def restore(self, app: WsgiApp) -> WsgiApp:
        """Bring the engine's state back into `app` (moto's, not yet serving) and the Batch
        stand-in; returns `app` with its writes journaled from now on."""
        if size := saved_state.bytes_on_disk(self.saved.path):
            logger.info("restoring %.1f MB of saved state and journal", size / 1e6)
        restored = self.saved.load()
        follows = restored.header.id if restored else ""
        contents = journal.read(self._journal_path, follows)
        stand_in = stand_in_state.read(self._stand_in_path, follows)
        batch_state = stand_in or (restored.batch if restored else None)
        if batch_state is not None:
            jobs = self._batch.restore(batch_state)
            logger.info("Batch stand-in restored: %d jobs", jobs)
        self._journal = Journal(self._journal_path, follows, contents.last_sequence + 1)
        deliveries = Deliveries(self._journal)
        self._invocations.deliveries = deliveries
        if contents.requests:
            replayed = self._replay(contents, app, deliveries)
            logger.info(
                "journal replayed: %d writes acknowledged since the state was saved "
                "(%d refused), %d S3 events to deliver again",
                replayed.writes,
                replayed.refused,
                replayed.redelivered,
            )
        self._stand_in = StandInStateFile(self._stand_in_path, self._batch, follows)
        self._batch.changed = self._stand_in.write
        return Recorder(app, self._journal, deliveries)

    def serving(self) -> None:
        """The engine answers: deliver the held S3 events, keep the files current."""
        assert self._stand_in is not None
        self._invocations.release()
        self._stand_in.keep_writing()
        threading.Thread(target=self._compact_when_large, name="compaction", daemon=True).start()

    def save(self) -> Header:
        """Save the whole state with requests held at the gate, and start a new journal."""
        assert self._journal is not None and self._stand_in is not None
        with self._gate.closed():
            header = self.saved.save(self._batch)
            self._journal.restart(header.id)
            self._stand_in.follow(header.id)
        return header

    def stop(self) -> Header:
        """The engine's last save, once it no longer serves."""
        self._stopped.set()
        assert self._stand_in is not None
        self._stand_in.stop()
        return self.save()

    def _replay(self, contents: journal.Contents, app: WsgiApp, deliveries: Deliveries) -> Replayed:
        refused = redelivered = 0
        for request in contents.requests:
            pending = contents.pending_deliveries(request)
            redelivered += pending
            with deliveries.during(request), self._invocations.replaying(deliver=pending):
                answer = answered(app, replayed_environ(request))
            if not answer.succeeded:
                refused += 1
                logger.warning(
                    "journal: %s %s was acknowledged but is refused on replay (%s)",
                    request.environ.get("REQUEST_METHOD"),
                    request.environ.get("PATH_INFO"),
                    answer.status,
                )
        return Replayed(len(contents.requests), refused, redelivered)

    def _compact_when_large(self) -> None:
        while not self._stopped.wait(COMPACT_CHECK_SECONDS):
            assert self._journal is not None
            saved = self.saved.path.stat().st_size if self.saved.path.exists() else 0
            if self._journal.size >= max(COMPACT_AT_LEAST_BYTES, 2 * saved):
                try:
                    self.save()
                except Exception:
                    logger.exception("the state was not saved; the journal goes on growing")
