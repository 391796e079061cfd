"""Start, find and stop the embedded engine process (moto + the Batch stand-in)."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from harness.aws import ACCOUNT_ID
from harness.container_network import HOST, ContainerNetwork
from harness.engine.base import EngineError
from harness.engine.moto.server import HEALTH_PATH
from harness.images.prepare import LAMBDA_IMAGE_REPOSITORY
from harness.paths import REPO
from harness.waiting import wait_until

START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 5  # after SIGTERM, before SIGKILL


class MotoEngine:
    name = "moto"

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int = 4566) -> None:
        self.host = host
        self.port = port
        self.state_dir = state_dir
        self.pid_file = state_dir / "engine.pid"
        self.log_file = state_dir / "engine.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + HEALTH_PATH, timeout=2) as response:
                return json.load(response).get("engine") == "moto"
        except (OSError, ValueError):
            return False

    def start(self, network: ContainerNetwork = HOST) -> None:
        if self.healthy():
            return
        if self._port_taken():
            raise EngineError(
                f"{self.endpoint} is taken by another program (not this harness's engine). "
                f"Stop it, or choose another port with HARNESS_PORT."
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "MOTO_ACCOUNT_ID": ACCOUNT_ID,
            "MOTO_DOCKER_LAMBDA_IMAGE": LAMBDA_IMAGE_REPOSITORY,
            **network.moto_environment(),
            "PYTHONUNBUFFERED": "1",
        }
        arguments = ["--host", self.host, "--port", str(self.port),
                     "--containers-network", network.network_name or "host",
                     "--containers-call", network.engine_host]  # fmt: skip
        if network.listen_also:
            arguments += ["--also-listen", network.listen_also]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "harness.engine.moto.server", *arguments],
                stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True, cwd=REPO,
            )  # fmt: skip
        self._process = process
        self.pid_file.write_text(str(process.pid))

        def answering() -> bool | None:
            if process.poll() is not None:
                raise EngineError(f"the engine exited at start:\n{self.log_tail()}")
            return self.healthy() or None

        if wait_until(answering, START_TIMEOUT_SECONDS, interval=0.3):
            return
        raise EngineError(
            f"the engine did not answer within {START_TIMEOUT_SECONDS}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self._process is not None:  # started by this process: terminate and reap it
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
            self.pid_file.unlink(missing_ok=True)
            return
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
            if not wait_until(lambda: (not alive(pid)) or None, STOP_TIMEOUT_SECONDS, 0.1):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.pid_file.unlink(missing_ok=True)

    def died(self) -> int | None:
        """The pid of a previous engine that ended without `stop()` (its pid file is still
        there, its process is not), once; None otherwise."""
        pid = self._pid()
        if pid is None or self.healthy() or alive(pid):
            return None
        self.pid_file.unlink(missing_ok=True)
        return pid

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no engine log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _port_taken(self) -> bool:
        try:
            urllib.request.urlopen(self.endpoint, timeout=1)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True


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
