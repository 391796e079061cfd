"""`harness watch`: redeploy the app when its files change; time save -> ready.

Watched: infra/, lambda/, batch/ and cdk.json (not caches, not batch/wheels, not the files
editors write beside the ones they save: swap, backup and lock files). A change anywhere goes
through the same `cdklocal deploy` as `make local-up`. A change confined to the processor's
code takes a shorter path to the same end state (harness/deploy/fast_path.py: no synth,
the same image tag and job definition revision), once watch mode has checked at start that
the path computes the hashes the CDK does; otherwise it says why and deploys in full.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from harness.cloud.lifecycle import LocalCloud
from harness.deploy import fast_path
from harness.deploy.cdk import CdkApp
from harness.errors import HarnessError

logger = logging.getLogger(__name__)

WATCHED = ("infra", "lambda", "batch")
WATCHED_FILES = ("cdk.json",)
IGNORED = {"__pycache__", "wheels", "cdk.out", ".pytest_cache"}
EDITOR_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", "~")
EDITOR_NAMES = {"4913", ".DS_Store"}  # vim's probe that a folder is writable; macOS Finder
PROCESSOR_CODE = "batch/processor/"
POLL_SECONDS = 0.25
SETTLE_SECONDS = 0.3  # editors save in more than one write

Snapshot = dict[str, int]


def editor_file(name: str) -> bool:
    """A file an editor writes beside the one it saves (vim, emacs, and most others)."""
    return (
        name.endswith(EDITOR_SUFFIXES)
        or name in EDITOR_NAMES
        or name.startswith(".#")
        or (name.startswith("#") and name.endswith("#"))
    )


def snapshot(root: Path) -> Snapshot:
    """Relative path -> modification time (ns) of every watched file."""
    candidates = [root / name for name in WATCHED_FILES]
    for top in WATCHED:
        candidates += (root / top).rglob("*")
    files: Snapshot = {}
    for path in candidates:
        relative = path.relative_to(root)
        if (
            path.is_file()
            and not IGNORED & set(relative.parts)
            and path.suffix != ".pyc"
            and not editor_file(path.name)
        ):
            files[relative.as_posix()] = path.stat().st_mtime_ns
    return files


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def processor_only(changed: list[str]) -> bool:
    return all(path.startswith(PROCESSOR_CODE) for path in changed)


class Watcher:
    def __init__(self, cloud: LocalCloud, app: CdkApp) -> None:
        self.cloud = cloud
        self.app = app
        self.fast_path = False

    def check_fast_path(self) -> None:
        """Use the no-synth path for processor changes only where it matches the CDK."""
        reason = fast_path.unavailable(self.app)
        self.fast_path = reason is None
        if reason:
            logger.info(f"processor-only changes will take the full deploy: {reason}")
        else:
            logger.info("processor-only changes will deploy without a synth (hash check passed)")

    def run(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Redeploy after every settled change until `stop()` says so (or Ctrl-C)."""
        files = snapshot(self.app.directory)
        self.check_fast_path()
        watched = ", ".join((*WATCHED, *WATCHED_FILES))
        logger.info(f"watching {watched} in {self.app.directory} (Ctrl-C stops)")
        while not stop():
            time.sleep(POLL_SECONDS)
            current = snapshot(self.app.directory)
            if current == files:
                continue
            current = self._settled(current)
            changed = changed_files(files, current)
            files = current
            saved_at = max((current.get(path, 0) for path in changed), default=0) / 1e9
            self.redeploy(changed, saved_at or time.time())

    def _settled(self, current: Snapshot) -> Snapshot:
        while True:
            time.sleep(SETTLE_SECONDS)
            latest = snapshot(self.app.directory)
            if latest == current:
                return latest
            current = latest

    def redeploy(self, changed: list[str], saved_at: float) -> bool:
        """Deploy the change; report the seconds from the save to a deployed stack."""
        logger.info(f"changed: {', '.join(changed)}")
        try:
            if self.fast_path and processor_only(changed):
                fast_path.redeploy(
                    self.cloud.endpoint, self.app, after_deploy=self.cloud.engine.after_deploy
                )
            else:
                self.cloud.deploy(self.app)
        except HarnessError as error:
            logger.info(f"deploy failed; still watching.\n{error}")
            return False
        logger.info(f"ready: {time.time() - saved_at:.1f} s from save to deployed stack")
        return True
