"""`harness state save/load/export/import`: the local cloud's state as a file to keep, name,
give a teammate or load in CI. A snapshot is the engine's saved state (saved_state.py) taken
now; loading one replaces the state and restarts the engine on it (the deploy that follows
finds what the snapshot held)."""

import re
from pathlib import Path

from harness.cloud import saved_state
from harness.cloud.lifecycle import SAVED_STATE_DIR, LocalCloud
from harness.cloud.saved_state import Header
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
            "LocalStack, whose free runtime keeps nothing; the harness keeps only the Batch "
            "stand-in's state and the fault rules there): there is nothing to save or load"
        )
    return saved


def export(cloud: LocalCloud, destination: Path) -> Header:
    """The cloud's state as it is now (saved by the running engine, else its last saved
    state) copied to `destination`."""
    saved = saved_state_of(cloud)
    if cloud.engine.healthy():
        saved = EngineState(cloud.endpoint).save()  # the file the running engine wrote
    elif not saved.exists():
        raise BadInput(f"nothing is saved at {saved} yet: bring the cloud up first (harness up)")
    return saved_state.copy(saved, destination)


def import_(cloud: LocalCloud, source: Path) -> Header:
    """`source` as the cloud's state: a running cloud is stopped, given it, and started again."""
    header = saved_state.read_header(source)  # refused before anything when it is not one
    saved = saved_state_of(cloud)
    running = cloud.engine.healthy()
    if running:
        cloud.down()
    saved_state.copy(source, saved)
    saved_state.remove_companions(saved)
    if running:
        cloud.up()
    return header
