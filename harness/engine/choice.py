"""Which local engine the harness runs: HARNESS_ENGINE=moto (the default) or localstack.

Without HARNESS_ENGINE, the engine that already answers on the harness's port is the one
meant (so `make demo` and `make local-down` after `HARNESS_ENGINE=localstack make local-up`
need not repeat it); with nothing running, moto.
"""

import os
from pathlib import Path

from harness.engine.base import Engine, answering
from harness.errors import HarnessError

VARIABLE = "HARNESS_ENGINE"
NAMES = ("moto", "localstack")  # as each says at HEALTH_PATH
DEFAULT = "moto"


def selected(endpoint: str | None = None) -> str:
    """HARNESS_ENGINE, else the engine answering at `endpoint`, else moto."""
    name = os.environ.get(VARIABLE)
    if name is None:
        return (answering(endpoint) if endpoint else None) or DEFAULT
    if name not in NAMES:
        raise HarnessError(f"{VARIABLE} must be one of {', '.join(NAMES)}, not {name!r}")
    return name


def create(name: str, state_dir: Path, port: int, kept: Path | None = None) -> Engine:
    """The engine `name`, keeping its pid file and log in `state_dir`; `kept`: the folder of
    what outlives its process (None: it keeps everything in memory only). The embedded engine
    keeps its whole state there; LocalStack's free runtime keeps nothing, and the harness keeps
    what it owns of that cloud there (the Batch stand-in's state); either keeps its fault
    rules there."""
    if name == "localstack":
        from harness.engine.localstack.engine import LocalStackEngine

        return LocalStackEngine(state_dir, port=port, kept=kept)
    from harness.engine.moto.engine import MotoEngine

    return MotoEngine(state_dir, port=port, kept=kept)
