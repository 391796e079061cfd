"""Where the harness's own files are, which project (a CDK app) it serves, and where it keeps
its state."""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # its scripts and image sources travel with it
PROJECT_VARIABLE = "HARNESS_PROJECT"


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


REPO = project_root()
CACHE = REPO / ".cache"  # git-ignored: images, the running cloud's state, downloaded wheels
