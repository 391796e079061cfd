"""Batch's retry strategy: evaluateOnExit rules, first match wins, RETRY when none match."""

from fnmatch import fnmatchcase
from typing import Any

from harness.batch.jobs import Attempt


def matches(rule: dict[str, Any], attempt: Attempt) -> bool:
    """Every condition a rule names must match; patterns may end with '*'."""
    conditions = (
        ("onExitCode", None if attempt.exit_code is None else str(attempt.exit_code)),
        ("onReason", attempt.reason),
        ("onStatusReason", attempt.status_reason),
    )
    named = [(rule[key], value) for key, value in conditions if key in rule]
    return bool(named) and all(
        value is not None and fnmatchcase(value, pattern) for pattern, value in named
    )


def should_retry(
    retry_strategy: dict[str, Any] | None, attempt: Attempt, attempts_made: int
) -> bool:
    strategy = retry_strategy or {}
    if attempts_made >= int(strategy.get("attempts", 1)):
        return False
    for rule in strategy.get("evaluateOnExit", []):
        if matches(rule, attempt):
            return rule["action"].upper() == "RETRY"
    return True
