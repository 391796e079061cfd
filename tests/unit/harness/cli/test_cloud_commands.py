"""`harness status` says where the state is kept and how much disk it takes."""

from harness.cli.cloud import on_disk


def test_the_state_on_disk_is_named_with_the_size_of_its_files(tmp_path):
    saved = tmp_path / "engine.state"
    saved.write_bytes(b"x" * 1_500_000)
    (tmp_path / "engine.state.journal").write_bytes(b"y" * 500_000)

    said = on_disk(saved)

    assert said == f"{saved} and the journal of writes since (2.0 MB in 2 files)"


def test_before_the_first_save_it_says_nothing_is_saved_yet(tmp_path):
    saved = tmp_path / "engine.state"

    assert on_disk(saved) == f"{saved} (nothing saved yet)"
