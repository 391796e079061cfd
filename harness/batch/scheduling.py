"""Fair-share scheduling: what a scheduling policy may hold, and how much each share of a
queue has used.

A job queue with a scheduling policy starts its waiting jobs share by share. A share's usage
is the vCPU-seconds its jobs ran in the policy's window (shareDecaySeconds; 0 means AWS's
default window of 600 s), running jobs included. The share whose usage times its weight
factor is lowest goes first: a lower weight factor gets more, as in AWS (weighted 0.5, a
share gets twice the capacity of one weighted 1). Within a share the higher scheduling
priority goes first, then the earlier submission. computeReservation holds back
(computeReservation/100)^active of the compute environment's vCPUs for shares not yet active,
where a share is active while it has a job waiting for capacity or ran one in the window.

AWS does not publish how it decays usage within the window; the stand-in counts every
vCPU-second in it alike.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.batch.errors import ClientException

MAX_DECAY_SECONDS = 604_800
MAX_RESERVATION = 99
WEIGHT_RANGE = (0.0001, 999.9999)
MAX_SHARES = 500  # share identifiers in a policy, and active in a queue
MAX_SCHEDULING_PRIORITY = 9999
FAIRSHARE_FIELDS = {"shareDecaySeconds", "computeReservation", "shareDistribution"}


def check_fairshare_policy(policy: Any) -> tuple[int, int, dict[str, float]]:
    """A fairsharePolicy as AWS takes it; (shareDecaySeconds, computeReservation, weights)."""
    if not isinstance(policy, dict):
        raise ClientException(f"fairsharePolicy must be an object, not {policy!r}")
    unknown = sorted(set(policy) - FAIRSHARE_FIELDS)
    if unknown:
        raise ClientException(
            f"fairsharePolicy: {', '.join(unknown)} not supported by the local Batch stand-in "
            f"(it takes {', '.join(sorted(FAIRSHARE_FIELDS))})"
        )
    decay = int(policy.get("shareDecaySeconds") or 0)
    if not 0 <= decay <= MAX_DECAY_SECONDS:
        raise ClientException(
            f"fairsharePolicy.shareDecaySeconds must be between 0 and {MAX_DECAY_SECONDS}: {decay}"
        )
    reservation = int(policy.get("computeReservation") or 0)
    if not 0 <= reservation <= MAX_RESERVATION:
        raise ClientException(
            "fairsharePolicy.computeReservation must be between 0 and "
            f"{MAX_RESERVATION}: {reservation}"
        )
    return decay, reservation, check_share_distribution(policy.get("shareDistribution") or [])


def check_share_distribution(entries: Any) -> dict[str, float]:
    if not isinstance(entries, list) or len(entries) > MAX_SHARES:
        raise ClientException(
            f"fairsharePolicy.shareDistribution must be a list of at most {MAX_SHARES} shares"
        )
    weights: dict[str, float] = {}
    low, high = WEIGHT_RANGE
    for entry in entries:
        share = entry.get("shareIdentifier") if isinstance(entry, dict) else None
        if not isinstance(share, str) or not share:
            raise ClientException(
                f"shareDistribution: each share needs a shareIdentifier: {entry!r}"
            )
        weight = float(entry.get("weightFactor", 1.0))
        if not low <= weight <= high:
            raise ClientException(
                f"shareDistribution: the weightFactor of {share} must be between {low} and "
                f"{high}: {weight:g}"
            )
        if share in weights:
            raise ClientException(f"shareDistribution names {share} twice")
        weights[share] = weight
    prefixes = [share[:-1] for share in weights if share.endswith("*")]
    for share in weights:
        overlapping = [p for p in prefixes if share.startswith(p) and share != f"{p}*"]
        if overlapping:
            raise ClientException(
                f"shareDistribution: {share} overlaps {overlapping[0]}*; the share identifiers "
                "of a policy can't overlap"
            )
    return weights


def check_scheduling_priority(value: Any, where: str) -> int | None:
    if value is None:
        return None
    priority = int(value)
    if not 0 <= priority <= MAX_SCHEDULING_PRIORITY:
        raise ClientException(
            f"{where} must be between 0 and {MAX_SCHEDULING_PRIORITY}: {priority}"
        )
    return priority


@dataclass
class Run:
    vcpus: float
    started: float
    ended: float | None = None


class ShareUsage:
    """The vCPU-seconds each share of each fair-share queue ran, for its policy's window.
    `clock`: seconds, monotonic (tests give their own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._runs: dict[tuple[str, str], list[Run]] = {}
        self._lock = threading.Lock()

    def started(self, queue_arn: str, share: str, vcpus: float) -> Run:
        run = Run(vcpus, self.clock())
        with self._lock:
            self._runs.setdefault((queue_arn, share), []).append(run)
        return run

    def ended(self, run: Run) -> None:
        run.ended = self.clock()

    def used(self, queue_arn: str, share: str, window: float) -> float:
        """vCPU-seconds the share's jobs ran in the last `window` seconds."""
        now = self.clock()
        since = now - window
        with self._lock:
            runs = self._runs.get((queue_arn, share), [])
            runs[:] = [run for run in runs if run.ended is None or run.ended > since]
            return sum(run.vcpus * ((run.ended or now) - max(run.started, since)) for run in runs)

    def recent_shares(self, queue_arn: str, window: float) -> set[str]:
        """The shares of the queue that ran a job in the last `window` seconds, or run one."""
        since = self.clock() - window
        with self._lock:
            return {
                share
                for (queue, share), runs in self._runs.items()
                if queue == queue_arn
                and any(run.ended is None or run.ended > since for run in runs)
            }
