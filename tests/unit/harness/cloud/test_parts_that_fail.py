"""What the harness does when the parts under it fail: the Docker engine during a job, the
engine process between two `make local-up` (no Docker, no engine process)."""

import subprocess
from typing import Any

import requests

from harness.batch.backend import BatchBackend
from harness.batch.jobs import Attempt
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import ContainerRunner
from harness.engine.moto.engine import MotoEngine
from harness.engine.process import alive
from harness.waiting import wait_until
from tests.unit.fakes import FakeLogs


class VanishingDocker:
    """A Docker engine that stops answering once the job's container has started."""

    def __init__(self) -> None:
        self.containers = self
        self.removed = False

    def create(self, image: str, **options: Any) -> "VanishingDocker":
        return self

    def start(self) -> None:
        pass

    def logs(self, **_: Any) -> Any:
        yield b"row 1\n"
        raise requests.exceptions.ConnectionError("Connection aborted: /var/run/docker.sock")

    def remove(self, force: bool) -> None:
        raise requests.exceptions.ConnectionError("Connection refused")


def test_a_docker_engine_that_stops_under_a_job_fails_the_attempt_naming_it():
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    backend.create_compute_environment("compute", {"maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("processor", {"image": "processor:1"})
    job = backend.submit_job("job-1", "queue", "processor")
    attempt = Attempt()
    job.attempts.append(attempt)
    logs = FakeLogs()
    runner = ContainerRunner(VanishingDocker(), CloudWatchLogSink(logs), {}, {})

    succeeded = runner.run(job, attempt, on_running=lambda: None)

    assert succeeded is False
    assert attempt.status_reason.startswith(
        "DockerEngineUnavailable: the local Docker engine stopped answering during the attempt"
    )
    assert "Connection aborted" in attempt.status_reason
    assert attempt.exit_code is None and attempt.stopped_at is not None
    assert logs.events == ["row 1"], "what the job wrote before is kept"


def test_an_engine_that_died_is_reported_once(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    engine = MotoEngine(tmp_path, port=1)  # nothing answers there
    assert engine.pop_crashed_pid() is None, "no pid file: nothing ran here"
    engine.pid_file.write_text(str(gone.pid))

    assert engine.pop_crashed_pid() == gone.pid
    assert engine.pop_crashed_pid() is None
    assert not engine.pid_file.exists()


def test_a_killed_engine_not_yet_reaped_counts_as_dead():
    zombie = subprocess.Popen(["true"])
    assert wait_until(lambda: (not alive(zombie.pid)) or None, timeout=5, interval=0.01)
    running = subprocess.Popen(["sleep", "5"])
    try:
        assert alive(running.pid)
    finally:
        running.kill()
        running.wait()
        zombie.wait()
