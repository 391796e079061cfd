"""`harness status` says where the state is kept and how much disk it takes."""

from pathlib import Path

from harness.cli.cloud import on_disk, state_line
from harness.cloud.lifecycle import Status


def test_the_state_on_disk_is_named_with_the_size_of_its_files(tmp_path):
    saved = tmp_path / "engine.state"
    saved.write_bytes(b"x" * 1_500_000)
    (tmp_path / "engine.state.journal").write_bytes(b"y" * 500_000)

    said = on_disk(saved)

    assert said == f"{saved} and the journal of writes since (2.0 MB in 2 files)"


def test_before_the_first_save_it_says_nothing_is_saved_yet(tmp_path):
    saved = tmp_path / "engine.state"

    assert on_disk(saved) == f"{saved} (nothing saved yet)"


def test_on_localstack_it_says_what_the_harness_keeps_of_the_cloud(tmp_path):
    status = Status("localstack", "http://127.0.0.1:4566", True, None, None, tmp_path)

    assert state_line(status) == (
        f"localstack's in memory only; the Batch stand-in's state and the fault rules on disk "
        f"in {tmp_path}"
    )
    assert state_line(Status("moto", "", True, None, None, None)) == "in memory only"
    saved = Status("moto", "", True, None, Path("/nowhere/engine.state"), Path("/nowhere"))
    assert state_line(saved) == "on disk: /nowhere/engine.state (nothing saved yet)"
