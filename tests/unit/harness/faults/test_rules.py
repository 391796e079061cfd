"""Fault rules kept in a file outlive the engine: the rules, and what each has injected."""

import json

from harness.faults.rules import Call, FaultRule, FaultRules

GET = Call("s3", "GetObject", ("bucket/key",))


def test_kept_rules_come_back_with_what_is_left_of_their_count(tmp_path):
    path = tmp_path / "faults.json"
    first = FaultRules(kept_in=path)
    rule = first.add(FaultRule(service="s3", operation="GetObject", error="SlowDown", count=2))
    assert first.decide(GET) is rule

    again = FaultRules(kept_in=path)  # the engine's next start

    assert again.listed() == [{**rule.as_dict(), "injected": 1}]
    assert again.decide(GET) is not None
    assert again.decide(GET) is None  # its count of 2 is spent across the restart


def test_cleared_rules_stay_cleared(tmp_path):
    path = tmp_path / "faults.json"
    rules = FaultRules(kept_in=path)
    rules.add(FaultRule(service="dynamodb", latency_ms=5))

    assert rules.clear() == 1
    assert FaultRules(kept_in=path).listed() == []


def test_a_file_that_cannot_be_read_is_moved_aside_not_lost(tmp_path, caplog):
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"rules": [{"service": "dynamdb", "latency_ms": 5}]}))

    assert FaultRules(kept_in=path).listed() == []
    assert not path.exists()
    assert "dynamdb" in (tmp_path / "faults.json.unreadable").read_text()
    assert "moved to" in caplog.text
