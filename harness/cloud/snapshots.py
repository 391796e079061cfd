"""`harness state save/load/export/import`: the local cloud's state as a file to keep, name,
give a teammate or load in CI. A snapshot is the engine's saved state (saved_state.py) taken
now; loading one replaces the state and restarts the engine on it (the deploy that follows
finds what the snapshot held)."""

import re
import shutil
from pathlib import Path

from harness.cloud.lifecycle import SAVED_STATE_DIR, LocalCloud
from harness.cloud.saved_state import Header, read_header
from harness.control.client import EngineState
from harness.control.routes import PERSIST
from harness.errors import BadInput

SNAPSHOTS = SAVED_STATE_DIR.parent / "snapshots"  # .harness/snapshots/<name>.state
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def named(name: str) -> Path:
    """The file of the snapshot called `name`."""
    if not NAME.match(name):
        raise BadInput(
            f"{name!r} is not a snapshot name: letters, digits, '.', '_' and '-', up to 100"
        )
    return SNAPSHOTS / f"{name}.state"


def saved_state_of(cloud: LocalCloud) -> Path:
    saved = cloud.engine.saved_state
    if saved is None:
        raise BadInput(
            f"the {cloud.engine.name} engine here keeps no saved state ({PERSIST}=0, or "
            "LocalStack, whose free runtime keeps nothing): there is nothing to save or load"
        )
    return saved


def export(cloud: LocalCloud, destination: Path) -> Header:
    """The cloud's state as it is now (saved by the running engine, else its last saved
    state) copied to `destination`."""
    saved = saved_state_of(cloud)
    if cloud.engine.healthy():
        EngineState(cloud.endpoint).save()
    elif not saved.exists():
        raise BadInput(f"nothing is saved at {saved} yet: bring the cloud up first (harness up)")
    header = read_header(saved)
    copy(saved, destination)
    return header


def import_(cloud: LocalCloud, source: Path) -> Header:
    """`source` as the cloud's state: a running cloud is stopped, given it, and started again."""
    header = read_header(source)  # a file that is not a saved state is refused before anything
    saved = saved_state_of(cloud)
    running = cloud.engine.healthy()
    if running:
        cloud.down()
    copy(source, saved)
    if running:
        cloud.up()
    return header


def copy(source: Path, destination: Path) -> None:
    """Whole or not at all: a copy beside the destination, renamed over it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f"{destination.name}.partial")
    shutil.copyfile(source, partial)
    partial.replace(destination)
