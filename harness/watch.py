"""`python -m harness watch`: redeploy the app when its files change; time save -> ready.

Watched: infra/, lambda/ and batch/ (not caches, not batch/wheels). Every change goes through
the same `cdklocal deploy` as `make local-up`, so the end state is exactly the one a full
deploy gives: the image tag is the CDK's hash of batch/, the job definition revision the next
one. A change confined to the processor's code cannot skip that deploy (only a synth computes
the asset hash the job definition names), so it takes a shorter path to the same end: the
processor image is built while the app synthesizes, and the CDK's own build of the same
sources then finds every layer cached.
"""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import docker

from harness.cloud import LocalCloud
from harness.deploy import CdkApp
from harness.errors import HarnessError
from harness.images.prepare import base_image, build
from harness.progress import Progress, say

WATCHED = ("infra", "lambda", "batch")
IGNORED = {"__pycache__", "wheels", "cdk.out", ".pytest_cache"}
PROCESSOR_CODE = "batch/processor/"
PREBUILT = "csv-pipeline-processor:watch"  # its own tag: only its layer cache matters
POLL_SECONDS = 0.25
SETTLE_SECONDS = 0.3  # editors save in more than one write

Snapshot = dict[str, int]


def snapshot(root: Path) -> Snapshot:
    """Relative path -> modification time (ns) of every watched file."""
    files: Snapshot = {}
    for top in WATCHED:
        for path in (root / top).rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and not IGNORED & set(relative.parts) and path.suffix != ".pyc":
                files[relative.as_posix()] = path.stat().st_mtime_ns
    return files


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def processor_only(changed: list[str]) -> bool:
    return all(path.startswith(PROCESSOR_CODE) for path in changed)


class Watcher:
    def __init__(self, cloud: LocalCloud, app: CdkApp, progress: Progress = say) -> None:
        self.cloud = cloud
        self.app = app
        self.progress = progress

    def run(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Redeploy after every settled change until `stop()` says so (or Ctrl-C)."""
        files = snapshot(self.app.directory)
        self.progress(f"watching {', '.join(WATCHED)} in {self.app.directory} (Ctrl-C stops)")
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
        self.progress(f"changed: {', '.join(changed)}")
        prebuild = None
        if processor_only(changed):
            self.progress(
                "processor code only: building its image while the app synthesizes (the deploy "
                "still runs: only a synth computes the image tag the job definition names)"
            )
            prebuild = threading.Thread(target=self._build_processor, daemon=True)
            prebuild.start()
        try:
            self.cloud.deploy(self.app, self.progress)
        except HarnessError as error:
            self.progress(f"deploy failed; still watching.\n{error}")
            return False
        finally:
            if prebuild:
                prebuild.join()
        self.progress(f"ready: {time.time() - saved_at:.1f} s from save to deployed stack")
        return True

    def _build_processor(self) -> None:
        try:
            client = docker.from_env()
            base = base_image(client, _quiet)
            build(client, self.app.directory / "batch", PREBUILT, base, _quiet)
        except HarnessError:
            pass  # the CDK's own build of the same sources reports the error


def _quiet(message: str) -> None:
    """Progress of the background build: the deploy's own output says what matters."""
