"""The gate the engine closes while it saves its state: requests inside finish first, and
those that arrive meanwhile wait, then go on."""

import threading

from harness.engine.edge.gate import RequestGate
from harness.waiting import wait_until


def test_closing_waits_for_the_requests_inside_and_holds_new_ones_until_it_reopens():
    gate = RequestGate()
    order: list[str] = []
    inside, leave = threading.Event(), threading.Event()

    def request(name: str, hold: bool) -> None:
        with gate.passing():
            order.append(f"{name} in")
            if hold:
                inside.set()
                leave.wait(5)
            order.append(f"{name} out")

    def save() -> None:
        with gate.closed():
            order.append("saving")

    first = threading.Thread(target=request, args=("first", True))
    first.start()
    assert inside.wait(5)
    saver = threading.Thread(target=save)
    saver.start()
    assert wait_until(lambda: gate._closed or None, timeout=5, interval=0.01)
    later = threading.Thread(target=request, args=("later", False))
    later.start()
    assert order == ["first in"]  # the save waits for the first; the later one for the save

    leave.set()
    for thread in (first, saver, later):
        thread.join(5)

    assert order == ["first in", "first out", "saving", "later in", "later out"]


def test_a_gated_app_answers_as_the_app_does():
    gate = RequestGate()

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"answer"]

    assert list(gate.wsgi(app)({}, lambda status, headers: None)) == [b"answer"]
