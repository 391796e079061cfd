"""The stand-in's clock (harness/batch/clock.py): moved forward only, by a positive number of
seconds, and what the stand-in acts on follows it: an attempt past its timeout is killed."""

import math

import pytest

from harness.batch import clock
from harness.batch.backend import BatchBackend
from harness.batch.clock import StandInClock
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import TIMED_OUT, ContainerRunner
from harness.waiting import wait_until
from tests.unit.fakes import FakeDocker, FakeLogs


@pytest.fixture
def own_clock(monkeypatch) -> StandInClock:
    """A clock of the test's own, in place of the process's."""
    fresh = StandInClock()
    monkeypatch.setattr(clock, "CLOCK", fresh)
    return fresh


def test_it_moves_forward_by_what_it_is_given_and_adds_up():
    moved = StandInClock()
    before = moved.now_ms()

    assert moved.advance(600) == 600
    assert moved.advance(0.5) == 600.5
    assert 600_500 <= moved.now_ms() - before < 601_500
    assert moved.ahead_seconds == 600.5


@pytest.mark.parametrize("seconds", [0, -1, True, "60", None, math.nan, math.inf, 366 * 86400 + 1])
def test_anything_but_a_positive_number_up_to_a_year_is_refused(seconds):
    refused = StandInClock()

    with pytest.raises(ClientException, match="advanceSeconds must be a number of seconds"):
        refused.advance(seconds)
    assert refused.ahead_seconds == 0


def test_an_attempt_is_killed_once_the_clock_passes_its_timeout(own_clock):
    docker = FakeDocker()  # its first container runs until it is stopped or killed
    runner = ContainerRunner(docker, CloudWatchLogSink(FakeLogs()), {}, {})
    backend = BatchBackend("000000000000", "us-east-1", start_job=JobExecutor(runner).start)
    backend.create_compute_environment("env", {"maxvCpus": 1})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.register_job_definition(
        "limited", {"image": "i", "vcpus": 1}, timeout={"attemptDurationSeconds": 60}
    )
    job = backend.submit_job("limited", "queue", "limited")
    assert wait_until(lambda: job.status == "RUNNING" or None, timeout=5, interval=0.01)

    own_clock.advance(59)
    still_running = not wait_until(
        lambda: job.status != "RUNNING" or None, timeout=0.6, interval=0.05
    )
    own_clock.advance(1)

    assert still_running
    assert wait_until(lambda: job.status == "FAILED" or None, timeout=5, interval=0.01)
    (attempt,) = job.attempts
    assert attempt.status_reason == TIMED_OUT and docker.created[0].stopped.is_set()
    assert attempt.stopped_at - attempt.started_at >= 60_000
