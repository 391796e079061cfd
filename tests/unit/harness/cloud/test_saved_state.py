"""The saved state's file (its header read alone) and the names and checks of `harness state`
save, load, export and import, before any engine is asked."""

import pytest

from harness.cloud import lifecycle, saved_state, snapshots
from harness.cloud.lifecycle import LocalCloud
from harness.cloud.saved_state import Header
from harness.engine import choice
from harness.errors import BadInput
from harness.project import CdkApp

HEADER = Header(engine="moto", harness="0.1.0", moto="5.2.0", saved_at="2026-12-03T04:00:00Z")


def test_the_header_is_read_without_the_payload(tmp_path):
    path = tmp_path / "engine.state"
    saved_state.write(path, HEADER, b"\x80payload\nwith newlines")

    assert saved_state.read_header(path) == HEADER
    assert saved_state.read(path) == (HEADER, b"\x80payload\nwith newlines")
    assert not (tmp_path / "engine.state.partial").exists()


def test_a_new_file_replaces_the_old_one_whole(tmp_path):
    path = tmp_path / "engine.state"
    saved_state.write(path, HEADER, b"old")
    saved_state.write(path, HEADER, b"new")

    assert saved_state.read(path)[1] == b"new"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 a zip file", "is not a saved state of the local cloud"),
        (b'{"engine": "moto"}\n', "is not a saved state of the local cloud"),
        (
            b'{"engine": "moto", "harness": "1", "moto": "1", "saved_at": "x", "format": 9}\n',
            "is a saved state of format 9, not 1",
        ),
    ],
)
def test_a_file_that_is_not_a_saved_state_is_bad_input(tmp_path, content, message):
    path = tmp_path / "other.state"
    path.write_bytes(content)

    with pytest.raises(BadInput, match=message):
        saved_state.read_header(path)


def test_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        saved_state.read_header(tmp_path / "absent.state")


@pytest.mark.parametrize("name", ["seeded", "before-migration.1", "ci_2026"])
def test_snapshot_names_are_files_under_harness_snapshots(name):
    assert snapshots.named(name) == snapshots.SNAPSHOTS / f"{name}.state"


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "x" * 101])
def test_other_names_are_refused(name):
    with pytest.raises(BadInput, match="is not a snapshot name"):
        snapshots.named(name)


class StoppedCloud:
    """Only what the checks before any engine call read."""

    class engine:  # an attribute, as LocalCloud's
        name = "moto"
        saved_state = None

        @staticmethod
        def healthy() -> bool:
            raise AssertionError("the engine must not be asked")


def test_an_engine_without_saved_state_has_nothing_to_export():
    with pytest.raises(BadInput, match=r"keeps no saved state .HARNESS_PERSIST=0"):
        snapshots.export(StoppedCloud(), snapshots.named("x"))  # type: ignore[arg-type]


def test_an_import_of_a_file_that_is_not_a_saved_state_changes_nothing(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a state\n")

    with pytest.raises(BadInput, match="is not a saved state"):
        snapshots.import_(StoppedCloud(), other)  # type: ignore[arg-type]


def test_a_copy_is_the_same_file_and_a_file_that_is_not_a_state_is_not_copied(tmp_path):
    source, other = tmp_path / "engine.state", tmp_path / "notes.txt"
    saved_state.write(source, HEADER, b"payload" * 300_000)  # over one copied chunk
    other.write_text("not a state\n")

    assert saved_state.copy(source, tmp_path / "copy.state") == HEADER
    assert (tmp_path / "copy.state").read_bytes() == source.read_bytes()
    with pytest.raises(BadInput, match="is not a saved state"):
        saved_state.copy(other, tmp_path / "never.state")
    assert not (tmp_path / "never.state").exists()


@pytest.mark.parametrize(("engine_says", "saves"), [("/state/engine.state", 1), (None, 0)])
def test_after_a_deploy_the_engine_saves_its_state_when_it_keeps_one(
    monkeypatch, tmp_path, engine_says, saves
):
    """The running engine's own setting counts: one started by the tests keeps its state in
    memory only, whatever a LocalCloud made for the developer's cloud would do."""
    saved: list[str] = []
    monkeypatch.setattr(lifecycle, "deploy", lambda *arguments: "outputs")
    monkeypatch.setattr(lifecycle, "engine_health", lambda endpoint: {"saved_state": engine_says})
    monkeypatch.setattr(lifecycle.EngineState, "save", lambda self: saved.append(self.endpoint))
    engine = choice.create("moto", tmp_path, 4601, kept=tmp_path)
    cloud = LocalCloud(engine=engine, state_dir=tmp_path)

    assert cloud._deploy("base", None, CdkApp(tmp_path, "unit-stack")) == "outputs"
    assert len(saved) == saves
