"""The Batch stand-in's own file: written whole when asked and while jobs run, read back only
on top of the saved state it follows."""

from harness.engine import stand_in_state
from harness.engine.stand_in_state import StandInStateFile
from harness.waiting import wait_until


class FakeBatch:
    def __init__(self) -> None:
        self.state: dict = {"us-east-1": {"jobs": {}}}
        self.unfinished = False

    def saved_state(self) -> dict:
        return self.state

    def has_unfinished_jobs(self) -> bool:
        return self.unfinished


def test_it_holds_the_stand_in_as_it_was_when_written(tmp_path):
    batch = FakeBatch()
    path = tmp_path / "engine.state.batch"
    written = StandInStateFile(path, batch, follows="save-1")  # type: ignore[arg-type]

    batch.state = {"us-east-1": {"jobs": {"a": 1}}}
    written.write()

    assert stand_in_state.read(path, follows="save-1") == {"us-east-1": {"jobs": {"a": 1}}}
    assert stand_in_state.read(path, follows="save-2") is None  # it follows another save
    assert stand_in_state.read(tmp_path / "absent", follows="save-1") is None


def test_after_a_save_it_follows_that_one(tmp_path):
    path = tmp_path / "engine.state.batch"
    written = StandInStateFile(path, FakeBatch(), follows="save-1")  # type: ignore[arg-type]

    written.follow("save-2")

    assert stand_in_state.read(path, follows="save-2") == {"us-east-1": {"jobs": {}}}


def test_while_a_job_is_unfinished_it_is_written_again_and_again(tmp_path):
    batch = FakeBatch()
    path = tmp_path / "engine.state.batch"
    written = StandInStateFile(path, batch, follows="save-1")  # type: ignore[arg-type]
    batch.unfinished = True
    written.keep_writing()
    try:
        batch.state = {"us-east-1": {"jobs": {"running": 1}}}
        assert wait_until(
            lambda: stand_in_state.read(path, "save-1") == batch.state or None,
            timeout=5,
            interval=0.1,
        )
        batch.unfinished = False  # the last job ended: written once more, then no more
        batch.state = {"us-east-1": {"jobs": {"running": 0}}}
        assert wait_until(
            lambda: stand_in_state.read(path, "save-1") == batch.state or None,
            timeout=5,
            interval=0.1,
        )
    finally:
        written.stop()


def test_an_unreadable_file_is_ignored(tmp_path):
    path = tmp_path / "engine.state.batch"
    path.write_bytes(b"not a pickle")

    assert stand_in_state.read(path, follows="save-1") is None


class RestorableBatch(FakeBatch):
    def __init__(self) -> None:
        super().__init__()
        self.restored: dict | None = None
        self.changed = lambda: None

    def restore(self, state: dict) -> int:
        self.restored = state
        return len(state["us-east-1"]["jobs"])


def test_standing_alone_it_brings_the_stand_in_back_and_is_written_on_every_change(tmp_path):
    """In front of an engine that saves nothing of its own (LocalStack), the file is all
    the stand-in has: read back at start, written on each change."""
    path = tmp_path / "stand-in.state"
    first = RestorableBatch()
    kept = stand_in_state.kept_alone(path, first)  # type: ignore[arg-type]
    assert first.restored is None  # nothing kept yet
    first.state = {"us-east-1": {"jobs": {"a": 1}}}
    first.changed()  # as the stand-in calls it before its answer

    second = RestorableBatch()
    stand_in_state.kept_alone(path, second)  # type: ignore[arg-type]

    assert kept.path == path
    assert second.restored == {"us-east-1": {"jobs": {"a": 1}}}
