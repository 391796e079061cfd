"""The control client waits for a save as long as a save takes, and for anything else only
as long as an answer should take."""

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from harness.control import client
from harness.control.client import EngineState, Faults, NoEngine

SAVE_TAKES_SECONDS = 0.6


class SlowEngine(http.server.BaseHTTPRequestHandler):
    """Answers every control route after a save's time."""

    def do_GET(self) -> None:
        self.answer(b'{"rules": []}')

    def do_POST(self) -> None:
        self.answer(b'{"path": "/state/engine.state"}')

    def answer(self, body: bytes) -> None:
        time.sleep(SAVE_TAKES_SECONDS)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the client that gave up has gone
            pass

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def slow_engine(monkeypatch) -> Iterator[str]:
    monkeypatch.setattr(client, "ANSWER_SECONDS", SAVE_TAKES_SECONDS / 3)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowEngine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_save_is_waited_for_beyond_the_time_of_an_answer(slow_engine):
    assert str(EngineState(slow_engine).save()) == "/state/engine.state"
    with pytest.raises(NoEngine, match="timed out"):
        Faults(slow_engine).listed()
