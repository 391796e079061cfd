"""A background program an engine runs: started detached with a pid file and a log, found
again by a later harness process, stopped with SIGTERM then SIGKILL."""

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from harness.engine.base import EngineError
from harness.paths import REPO
from harness.waiting import wait_until

STOP_TIMEOUT_SECONDS = 5  # after SIGTERM, before SIGKILL, unless the program needs longer


class BackgroundProcess:
    def __init__(
        self, state_dir: Path, name: str, stop_timeout: float = STOP_TIMEOUT_SECONDS
    ) -> None:
        self.name = name
        self.stop_timeout = stop_timeout
        self.pid_file = state_dir / f"{name}.pid"
        self.log_file = state_dir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, command: list[str], environment: dict[str, str]) -> None:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
                cwd=REPO,
            )
        self.pid_file.write_text(str(self._process.pid))

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Wait until `ready()`; fail with the log's tail when the program exits or is slow."""

        def answering() -> bool | None:
            if self._process is not None and self._process.poll() is not None:
                raise EngineError(f"{self.name} exited at start:\n{self.log_tail()}")
            return ready() or None

        if not wait_until(answering, timeout, interval=0.3):
            raise EngineError(
                f"{self.name} did not answer within {timeout:.0f}s:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        if self._process is not None:  # started by this process: terminate and reap it
            self._process.terminate()
            try:
                self._process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
            self.pid_file.unlink(missing_ok=True)
            return
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
            if not wait_until(lambda: (not alive(pid)) or None, self.stop_timeout, 0.1):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.pid_file.unlink(missing_ok=True)

    def pop_crashed_pid(self) -> int | None:
        """The pid of a previous run that ended without `stop()` (its pid file is still
        there, its process is not), once; None otherwise."""
        pid = self.pid()
        if pid is None or alive(pid):
            return None
        self.pid_file.unlink(missing_ok=True)
        return pid

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return f"(no log at {self.log_file})"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def alive(pid: int) -> bool:
    """True when the process runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # Linux; elsewhere a zombie counts as running
    if stat.exists():
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    return True
