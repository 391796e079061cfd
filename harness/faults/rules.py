"""Fault rules: which calls at the engine's edge fail, slow down or come back partly done.

A rule names a service (as the caller signed for it: dynamodb, s3, batch, ...), optionally an
operation (BatchWriteItem, GetObject, SubmitJob, ...) and a text the call's resources must
contain (a table, bucket or key), and one effect:
- `error`: an AWS error code, answered in that service's own error shape (aws_errors.py);
- `latency_ms`: the call is delayed, then served;
- `unprocessed`: for DynamoDB BatchWriteItem, that fraction of the items is held back and
  returned as UnprocessedItems (all of them: ProvisionedThroughputExceededException, as AWS).
It applies with a `probability`, and at most `count` times when a count is given.

An engine given a file for them keeps the rules there, with what each has injected so far, and
reads them back at its next start: a restart (or a crash) does not end a fault test's rules, and
a rule with a count left does not start its count again.
"""

import difflib
import functools
import json
import logging
import random
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

from harness.cloud.saved_state import replace_whole
from harness.errors import BadInput

logger = logging.getLogger("harness.faults")


class FaultRuleError(BadInput):
    pass


@functools.cache
def service_names() -> frozenset[str]:
    """The names callers sign requests for: botocore's service names and endpoint scopes.

    A rule for a name outside this set could never match (a typo such as `dynamdb`), so it is
    refused rather than kept doing nothing.
    """
    loader = Loader()
    names = set(loader.list_available_services("service-2"))
    for partition in loader.load_data("endpoints")["partitions"]:
        for prefix, service in partition["services"].items():
            names.add(prefix)
            for where in [service.get("defaults", {}), *service.get("endpoints", {}).values()]:
                names.add(where.get("credentialScope", {}).get("service", prefix))
    return frozenset(names)


def unknown_service(service: str) -> FaultRuleError:
    close = difflib.get_close_matches(service, service_names(), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return FaultRuleError(
        f"unknown service {service!r}: name it as AWS's SDKs sign for it "
        f"(dynamodb, s3, batch, logs, sts, lambda, ...){hint}"
    )


@dataclass(frozen=True)
class Call:
    """What the edge knows of one request."""

    service: str
    operation: str
    resources: tuple[str, ...] = ()


@dataclass
class FaultRule:
    service: str
    operation: str | None = None
    error: str | None = None
    status: int | None = None
    latency_ms: int = 0
    unprocessed: float | None = None
    probability: float = 1.0
    count: int | None = None
    match: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    injected: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FaultRule":
        known = {name for name in cls.__dataclass_fields__ if name not in ("id", "injected")}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultRuleError(f"unknown fields {unknown}; a rule has {sorted(known)}")
        try:
            rule = cls(**data)
        except TypeError as error:
            raise FaultRuleError(str(error)) from error
        rule.check()
        return rule

    def check(self) -> None:
        if not self.service:
            raise FaultRuleError("a rule needs the service it applies to (e.g. dynamodb)")
        if self.service not in service_names():
            raise unknown_service(self.service)
        effects = [self.error is not None, self.latency_ms > 0, self.unprocessed is not None]
        if sum(effects) != 1:
            raise FaultRuleError("a rule has exactly one of error, latency_ms, unprocessed")
        if not 0 < self.probability <= 1:
            raise FaultRuleError(f"probability must be in (0, 1], not {self.probability}")
        if self.count is not None and self.count < 1:
            raise FaultRuleError(f"count must be at least 1, not {self.count}")
        if self.unprocessed is not None:
            if (self.service, (self.operation or "").lower()) != ("dynamodb", "batchwriteitem"):
                raise FaultRuleError("unprocessed applies to dynamodb BatchWriteItem only")
            if not 0 < self.unprocessed <= 1:
                raise FaultRuleError(f"unprocessed must be in (0, 1], not {self.unprocessed}")

    def matches(self, call: Call) -> bool:
        if call.service != self.service:
            return False
        if self.operation and self.operation.lower() != call.operation.lower():
            return False
        return self.match is None or any(self.match in resource for resource in call.resources)

    def effect(self) -> str:
        if self.error:
            return self.error
        if self.latency_ms:
            return f"{self.latency_ms} ms later"
        return f"{self.unprocessed:.0%} of the items unprocessed"

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


class FaultRules:
    """The rules in force, shared by the edge's threads; `kept_in`: the file they are kept
    in across the engine's restarts (None: in memory only)."""

    def __init__(self, chooser: random.Random | None = None, kept_in: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._random = chooser or random.Random()
        self._file = kept_in
        self._rules: list[FaultRule] = read_rules(kept_in) if kept_in else []
        if self._rules:
            logger.info("%d fault rules in force again (%s)", len(self._rules), kept_in)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
            self._keep()
        return rule

    def clear(self) -> int:
        with self._lock:
            removed, self._rules = len(self._rules), []
            self._keep()
        return removed

    def any(self) -> bool:
        """Whether any rule is in force (checked on every request: no copies made)."""
        return bool(self._rules)

    def listed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def decide(self, call: Call) -> FaultRule | None:
        """The first rule that matches `call` and fires this time (its count then goes down)."""
        with self._lock:
            for rule in self._rules:
                spent = rule.count is not None and rule.injected >= rule.count
                if spent or not rule.matches(call):
                    continue
                if self._random.random() < rule.probability:
                    rule.injected += 1
                    if rule.count is not None:  # what is left of its count must outlive a restart
                        self._keep()
                    return rule
        return None

    def fraction_held_back(self, rule: FaultRule) -> bool:
        """For an `unprocessed` rule: whether one item is held back."""
        with self._lock:
            return self._random.random() < (rule.unprocessed or 0)

    def _keep(self) -> None:
        """Write the rules to their file, whole (called with the lock held)."""
        if self._file:
            text = json.dumps({"rules": [asdict(rule) for rule in self._rules]}, indent=1)
            replace_whole(self._file, [text.encode()])


def read_rules(path: Path) -> list[FaultRule]:
    """The rules kept at `path`; none when there is no file. A file that cannot be read is
    moved aside (to `<name>.unreadable`) with a warning, not lost."""
    try:
        kept = json.loads(path.read_text())["rules"]
        rules = [FaultRule(**rule) for rule in kept]
        for rule in rules:
            rule.check()
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError, FaultRuleError) as error:
        aside = path.with_name(f"{path.name}.unreadable")
        path.replace(aside)
        logger.warning("the fault rules in %s cannot be read (%r): moved to %s", path, error, aside)
        return []
    return rules
