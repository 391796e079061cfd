"""Every user error answers one line saying what happened and what to do, with the exit code
`harness --help` lists, and no traceback (no engine runs here; loopback servers stand in)."""

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from botocore.exceptions import EndpointConnectionError

from harness.cli import jobs
from harness.cli.main import main
from harness.control.client import Faults, Iam, NoEngine
from harness.control.routes import HEALTH_PATH
from harness.engine.base import EngineError, engine_health, port_taken, refuse_taken_port
from harness.paths import local_up_command
from tests.integration.helpers import free_port
from tests.unit.conftest import serving


@pytest.fixture
def not_http() -> Iterator[str]:
    """A program on a loopback port that answers every connection with a line of non-HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.sendall(b"SSH-2.0-not-http\r\n")
            connection.close()

    threading.Thread(target=answer, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_missing_demo_file_is_bad_input(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().err == f"error: no such file: {tmp_path / 'missing.csv'}\n"


def test_a_reader_that_stops_reading_ends_the_command_quietly(monkeypatch, capsys):
    def stopped_reading(cloud, args):
        raise BrokenPipeError

    monkeypatch.setattr(jobs, "cmd_jobs", stopped_reading)

    assert main(["jobs"]) == 1
    assert capsys.readouterr().err == ""


def test_an_sdk_error_is_one_line(monkeypatch, capsys):
    def unreachable(cloud, args):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    monkeypatch.setattr(jobs, "cmd_jobs", unreachable)

    assert main(["jobs"]) == 1
    assert capsys.readouterr().err.startswith("error: Could not connect to the endpoint URL")


def test_a_program_that_is_not_http_is_neither_an_engine_nor_free(not_http):
    assert engine_health(not_http) == {}
    assert port_taken(not_http)
    with pytest.raises(EngineError, match="taken by another program"):
        refuse_taken_port(not_http)
    with pytest.raises(NoEngine, match="does not answer"):
        Faults(not_http).listed()


def test_iam_status_with_no_engine_says_to_start_one(monkeypatch):
    monkeypatch.delenv("HARNESS_PORT", raising=False)  # `make test` sets the tests' own
    with pytest.raises(NoEngine, match=r"start it with `make local-up`"):
        Iam(f"http://127.0.0.1:{free_port()}").enforced()


def test_the_hint_keeps_the_port_the_user_chose(monkeypatch):
    monkeypatch.setenv("HARNESS_PORT", "4570")

    assert local_up_command() == "HARNESS_PORT=4570 make local-up"


def test_the_harness_other_engine_on_the_port_is_named_with_what_to_do():
    def health(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [
            json.dumps({"engine": "moto"} if environ["PATH_INFO"] == HEALTH_PATH else {}).encode()
        ]

    with serving(health) as endpoint, pytest.raises(EngineError) as refused:
        refuse_taken_port(endpoint)

    assert "the harness's moto engine already runs" in str(refused.value)
    assert "make local-down" in str(refused.value)


@pytest.mark.parametrize(
    "argv",
    [["logs", "--follow"], ["logs", "--trigger", "--follow"], ["logs", "j", "--follow", "--json"]],
)
def test_follow_needs_one_job_and_text(argv, capsys):
    assert main(argv) == 2
    assert "--follow follows one job's log" in capsys.readouterr().err
