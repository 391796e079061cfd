"""`harness watch`: redeploy the app when its files change; time save -> ready.

Watched: the app's `watch` paths ([tool.harness]; by default its whole folder), not caches,
dependencies, build output or the files editors write beside the ones they save (swap, backup
and lock files). A change anywhere goes through the same `cdklocal deploy` as `make local-up`.
A change confined to the job's code (`job-code`) takes a shorter path to the same end state
(harness/deploy/fast_path.py: no synth, the same image tag and job definition revision), once
watch mode has checked at start that the path computes the hashes the CDK does; otherwise it
says why and deploys in full.
"""

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from harness.cloud.lifecycle import LocalCloud
from harness.deploy import fast_path
from harness.errors import HarnessError
from harness.project import CdkApp

logger = logging.getLogger(__name__)

IGNORED = {
    *("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "cdk.out", "wheels"),
    *(".git", ".venv", "node_modules", ".cache", ".harness"),
}
EDITOR_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", "~")
EDITOR_NAMES = {"4913", ".DS_Store"}  # vim's probe that a folder is writable; macOS Finder
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


def snapshot(app: CdkApp) -> Snapshot:
    """Relative path -> modification time (ns) of every watched file."""
    files: Snapshot = {}
    for watched in app.watch:
        top = app.directory / watched
        if top.is_file():
            files[top.relative_to(app.directory).as_posix()] = top.stat().st_mtime_ns
        for folder, subfolders, names in os.walk(top):
            subfolders[:] = [name for name in subfolders if name not in IGNORED]
            for name in names:
                path = Path(folder, name)
                if path.suffix != ".pyc" and not editor_file(name) and path.is_file():
                    files[path.relative_to(app.directory).as_posix()] = path.stat().st_mtime_ns
    return files


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def code_only(app: CdkApp, changed: list[str]) -> bool:
    """Every change is in the job's code (`job-code`: a folder or a file), so the fast path
    may deploy it."""
    if app.job_code is None:
        return False
    code = app.job_code.rstrip("/")
    return all(path == code or path.startswith(f"{code}/") for path in changed)


class Watcher:
    def __init__(self, cloud: LocalCloud, app: CdkApp) -> None:
        self.cloud = cloud
        self.app = app
        self.fast_path = False

    def check_fast_path(self) -> None:
        """Use the no-synth path for changes of the job's code only where it matches the CDK."""
        reason = fast_path.unavailable(self.app, self.cloud.assembly(self.app))
        self.fast_path = reason is None
        if reason:
            logger.info(f"changes of the job's code alone will take the full deploy: {reason}")
        else:
            logger.info("changes of the job's code alone will deploy without a synth (checked)")

    def run(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Redeploy after every settled change until `stop()` says so (or Ctrl-C)."""
        files = snapshot(self.app)
        self.check_fast_path()
        watched = ", ".join(self.app.watch)
        logger.info(f"watching {watched} in {self.app.directory} (Ctrl-C stops)")
        while not stop():
            time.sleep(POLL_SECONDS)
            current = snapshot(self.app)
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
            latest = snapshot(self.app)
            if latest == current:
                return latest
            current = latest

    def redeploy(self, changed: list[str], saved_at: float) -> bool:
        """Deploy the change; report the seconds from the save to a deployed stack."""
        logger.info(f"changed: {', '.join(changed)}")
        try:
            if self.fast_path and code_only(self.app, changed):
                fast_path.redeploy(
                    self.cloud.endpoint,
                    self.app,
                    self.cloud.assembly(self.app),
                    after_deploy=self.cloud.engine.after_deploy,
                )
            else:
                self.cloud.deploy(self.app)
        except HarnessError as error:
            logger.info(f"deploy failed; still watching.\n{error}")
            return False
        logger.info(f"ready: {time.time() - saved_at:.1f} s from save to deployed stack")
        return True
