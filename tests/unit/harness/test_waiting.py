"""wait_until: the harness's one polling loop."""

import pytest

from harness.waiting import wait_until


def test_it_returns_the_first_value_that_is_not_none():
    answers = iter([None, None, "ready"])

    assert wait_until(lambda: next(answers), timeout=5, interval=0) == "ready"


def test_it_gives_up_with_none_after_the_timeout_having_checked_at_least_once():
    calls: list[int] = []

    assert wait_until(lambda: calls.append(1), timeout=0, interval=0) is None
    assert calls == [1]


def test_a_check_that_raises_stops_the_wait():
    def broken() -> None:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="the process exited"):
        wait_until(broken, timeout=5, interval=0)
