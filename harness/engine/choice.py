"""Which local engine the harness runs: HARNESS_ENGINE=moto (the default) or localstack."""

import os
from pathlib import Path

from harness.engine.base import Engine
from harness.errors import HarnessError

VARIABLE = "HARNESS_ENGINE"
NAMES = ("moto", "localstack")


def selected() -> str:
    name = os.environ.get(VARIABLE) or "moto"
    if name not in NAMES:
        raise HarnessError(f"{VARIABLE} must be one of {', '.join(NAMES)}, not {name!r}")
    return name


def create(name: str, state_dir: Path, port: int) -> Engine:
    if name == "localstack":
        from harness.engine.localstack.engine import LocalStackEngine

        return LocalStackEngine(state_dir, port=port)
    from harness.engine.moto.engine import MotoEngine

    return MotoEngine(state_dir, port=port)
