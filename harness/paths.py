"""Where the harness's own files are, which project (a CDK app) it serves, and where it keeps
its state."""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # its scripts and image sources travel with it
PROJECT_VARIABLE = "HARNESS_PROJECT"
PORT_VARIABLE = "HARNESS_PORT"


def project_root(start: Path | None = None) -> Path:
    """HARNESS_PROJECT, else the nearest folder from the working directory up that holds a
    cdk.json, else the checkout the harness runs from, else the working directory."""
    if named := os.environ.get(PROJECT_VARIABLE):
        return Path(named).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cdk.json").is_file():
            return folder
    checkout = PACKAGE.parent
    return checkout if (checkout / "cdk.json").is_file() else here


def local_up_command() -> str:
    """How to bring the local cloud up, with the HARNESS_PORT this process was given (a hint
    in messages): `make local-up` in a project whose Makefile has it, else `harness up`."""
    makefile = REPO / "Makefile"
    has_target = makefile.is_file() and "\nlocal-up:" in makefile.read_text()
    command = "make local-up" if has_target else "harness up"
    port = os.environ.get(PORT_VARIABLE)
    return f"{PORT_VARIABLE}={port} {command}" if port else command


REPO = project_root()
CACHE = REPO / ".cache"  # git-ignored: images, the running cloud's state, downloaded wheels
