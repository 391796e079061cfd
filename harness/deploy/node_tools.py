"""The npm tools the harness runs: cdklocal (with the CDK CLI it drives) and aws-cdk-lib.

cdklocal is the app's own (its node_modules), else one on PATH, else one the harness installs
once, with npm, into its cache (.cache/npm in the project), at the versions below: the ones
this harness is tested with. aws-cdk-lib, which watch mode's fast path computes image asset
hashes with, must be the version the app synthesizes with, so it is only ever found, in the
app's node_modules or that cache, never installed: without it the fast path says why and every
change deploys in full.
"""

import logging
import os
import shutil
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import CACHE as CACHE_ROOT
from harness.project import CdkApp
from harness.setup_command import run

logger = logging.getLogger(__name__)

CACHE = CACHE_ROOT / "npm"
INSTALLED = {"aws-cdk": "2.1148.1", "aws-cdk-local": "3.0.4"}


class NodeToolsError(HarnessError):
    pass


def module_folders(app: CdkApp) -> list[Path]:
    """Where the harness looks for npm packages, in order: the app's, then its own cache."""
    return [app.directory / "node_modules", CACHE / "node_modules"]


def cdklocal(app: CdkApp) -> Path:
    """The cdklocal to deploy the app with, installed into the cache on first use if need be."""
    for folder in module_folders(app):
        if (found := folder / ".bin" / "cdklocal").exists():
            return found
    if on_path := shutil.which("cdklocal"):
        return Path(on_path)
    install(INSTALLED)
    return CACHE / "node_modules" / ".bin" / "cdklocal"


def install(packages: dict[str, str]) -> None:
    if shutil.which("npm") is None:
        raise NodeToolsError(
            "the harness deploys with cdklocal, which needs Node.js and npm: install them "
            "(Debian: `sudo apt-get install -y nodejs npm`), or add aws-cdk and aws-cdk-local "
            "to your app's devDependencies"
        )
    wanted = [f"{name}@{version}" for name, version in packages.items()]
    logger.info(f"installing {', '.join(wanted)} into {CACHE} (once; npm, about 20 s)")
    CACHE.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund"]
    run([*command, "--loglevel=error", *wanted], "npm install", NodeToolsError)


def node_path(app: CdkApp) -> str:
    """NODE_PATH for scripts of the harness that require the app's aws-cdk-lib."""
    folders = [str(folder) for folder in module_folders(app) if folder.is_dir()]
    return os.pathsep.join([*folders, os.environ.get("NODE_PATH", "")]).rstrip(os.pathsep)
