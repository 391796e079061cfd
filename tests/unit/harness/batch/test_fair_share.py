"""Scheduling policies and fair-share scheduling: the API's checks, a share's usage over its
window, and the order in which a fair-share queue starts its jobs (scripted runner and clock,
no Docker)."""

import json

import pytest
from werkzeug.test import Client

from harness.batch.backend import BatchBackend
from harness.batch.capacity import CapacityPool
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.resources import SchedulingPolicy
from harness.batch.responses import BatchApp
from harness.batch.scheduling import ShareUsage, check_fairshare_policy
from tests.unit.harness.batch.test_capacity import GatedRunner, becomes

ARN = "arn:aws:batch:us-east-1:000000000000:scheduling-policy/fair"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fair_backend(
    runner: GatedRunner, clock: Clock, max_vcpus: int = 1, **policy
) -> tuple[BatchBackend, CapacityPool]:
    """A fair-share queue and a FIFO queue on one environment; the backend and its pool."""
    pool = CapacityPool(ShareUsage(clock))
    backend = BatchBackend("000000000000", "us-east-1", JobExecutor(runner, pool).start)
    backend.create_compute_environment("env", {"maxvCpus": max_vcpus})
    backend.create_scheduling_policy("fair", policy or None, None)
    backend.create_job_queue(
        "fair", 1, [{"order": 1, "computeEnvironment": "env"}], scheduling_policy_arn=ARN
    )
    backend.create_job_queue("fifo", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.register_job_definition("work", {"image": "i", "vcpus": 1}, scheduling_priority=0)
    return backend, pool


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"shareDecaySeconds": 604_801}, "shareDecaySeconds must be between 0 and 604800"),
        ({"computeReservation": 100}, "computeReservation must be between 0 and 99"),
        (
            {"shareDistribution": [{"shareIdentifier": "a", "weightFactor": 0}]},
            "the weightFactor of a must be between 0.0001 and 999.9999",
        ),
        (
            {"shareDistribution": [{"shareIdentifier": "a"}, {"shareIdentifier": "a"}]},
            "names a twice",
        ),
        (
            {"shareDistribution": [{"shareIdentifier": "team*"}, {"shareIdentifier": "team-1"}]},
            "team-1 overlaps team*",
        ),
        ({"quotaSharePolicy": {}}, "quotaSharePolicy not supported"),
    ],
)
def test_a_policy_outside_aws_limits_is_refused(policy, message):
    with pytest.raises(ClientException, match=message):
        check_fairshare_policy(policy)


def test_a_share_takes_its_own_weight_else_the_longest_prefix_else_one():
    policy = SchedulingPolicy(
        "p", ARN, share_distribution={"team*": 0.5, "team-ml*": 0.25, "ops": 2.0}
    )

    assert [policy.weight(s) for s in ("ops", "team-web", "team-ml-1", "other")] == [
        2.0,
        0.5,
        0.25,
        1.0,
    ]


def test_a_shares_usage_is_its_vcpu_seconds_in_the_window_running_jobs_included(clock):
    usage = ShareUsage(clock)
    ended = usage.started("q", "a", 2)
    clock.now += 10
    usage.ended(ended)
    running = usage.started("q", "a", 1)
    clock.now += 5

    assert usage.used("q", "a", window=600) == 2 * 10 + 1 * 5
    assert usage.used("q", "a", window=8) == 2 * 3 + 1 * 5  # only the window's seconds
    assert usage.used("q", "b", window=600) == 0
    usage.ended(running)
    clock.now += 601
    assert usage.used("q", "a", window=600) == 0
    assert usage.recent_shares("q", 600) == set()


def test_policies_are_created_described_listed_updated_tagged_and_deleted_through_the_api():
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    client = Client(BatchApp(lambda region: backend))
    distribution = [{"shareIdentifier": "a", "weightFactor": 0.5}]

    created = client.post(
        "/v1/createschedulingpolicy",
        json={"name": "fair", "fairsharePolicy": {"shareDistribution": distribution}},
    ).json
    client.post(
        "/v1/updateschedulingpolicy",
        json={"arn": created["arn"], "fairsharePolicy": {"shareDecaySeconds": 3600}},
    )
    client.post(f"/v1/tags/{created['arn']}", json={"tags": {"team": "data"}})
    described = client.post("/v1/describeschedulingpolicies", json={"arns": [created["arn"]]})
    listed = client.post("/v1/listschedulingpolicies", json={}).json
    again = client.post("/v1/createschedulingpolicy", json={"name": "fair"})
    deleted = client.post("/v1/deleteschedulingpolicy", json={"arn": created["arn"]})

    assert created == {"name": "fair", "arn": ARN}
    assert described.json["schedulingPolicies"] == [
        {
            "name": "fair",
            "arn": ARN,
            "fairsharePolicy": {
                "shareDecaySeconds": 3600,
                "computeReservation": 0,
                "shareDistribution": [],
            },
            "tags": {"team": "data"},
        }
    ]
    assert listed == {"schedulingPolicies": [{"arn": ARN}]}
    assert again.status_code == 409  # Object already exists
    assert deleted.status_code == 200
    assert backend.list_scheduling_policies() == []


def test_a_policy_in_use_stays_and_a_fifo_queue_gets_none(clock):
    backend, _pool = fair_backend(GatedRunner(), clock)

    with pytest.raises(ClientException, match="used by job queue fair"):
        backend.delete_scheduling_policy(ARN)
    with pytest.raises(ClientException, match="a scheduling policy can't be added"):
        backend.update_job_queue("fifo", scheduling_policy_arn=ARN)
    assert backend.find_job_queue("fair").describe()["schedulingPolicyArn"] == ARN


def test_submit_checks_share_identifiers_and_priorities_as_aws_does(clock):
    backend, _pool = fair_backend(GatedRunner(), clock)
    backend.register_job_definition("unranked", {"image": "i", "vcpus": 1})

    with pytest.raises(ClientException, match=r"^shareIdentifier must be specified\.$"):
        backend.submit_job("j", "fair", "work")
    with pytest.raises(ClientException, match="Either schedulingPriority in job definition"):
        backend.submit_job("j", "fair", "unranked", share_identifier="a")
    with pytest.raises(ClientException, match="job queue fifo has no scheduling policy"):
        backend.submit_job("j", "fifo", "work", share_identifier="a")
    with pytest.raises(ClientException, match="between 0 and 9999"):
        backend.submit_job(
            "j", "fair", "work", share_identifier="a", scheduling_priority_override=10_000
        )
    job = backend.submit_job(
        "j", "fair", "unranked", share_identifier="a", scheduling_priority_override=7
    )
    assert (job.describe()["shareIdentifier"], job.describe()["schedulingPriority"]) == ("a", 7)


def test_the_share_that_used_least_for_its_weight_goes_first(clock):
    runner = GatedRunner()
    backend, pool = fair_backend(
        runner,
        clock,
        shareDistribution=[{"shareIdentifier": "light", "weightFactor": 0.1}],
    )
    usage = pool.usage
    queue = backend.find_job_queue("fair").arn
    for share, seconds in (("light", 30), ("heavy", 20), ("busy", 10)):
        run = usage.started(queue, share, 1)
        clock.now += seconds
        usage.ended(run)
    holder = backend.submit_job("holder", "fair", "work", share_identifier="new")
    assert becomes(holder, "RUNNING")
    waiting = [
        backend.submit_job(f"{share}-job", "fair", "work", share_identifier=share)
        for share in ("heavy", "busy", "light")
    ]
    assert all(becomes(job, "RUNNABLE") for job in waiting)

    for name in ("holder", "heavy-job", "busy-job", "light-job"):
        runner.release(name)
    assert all(becomes(job, "SUCCEEDED") for job in waiting)

    # light: 30 vCPU-s x 0.1 = 3; busy: 10 x 1; heavy: 20 x 1 (holder's share "new" ran too)
    assert runner.started == ["holder", "light-job", "busy-job", "heavy-job"]


def test_within_a_share_the_higher_scheduling_priority_goes_first(clock):
    runner = GatedRunner()
    backend, _pool = fair_backend(runner, clock)
    holder = backend.submit_job("holder", "fair", "work", share_identifier="a")
    assert becomes(holder, "RUNNING")
    low = backend.submit_job(
        "low", "fair", "work", share_identifier="a", scheduling_priority_override=1
    )
    high = backend.submit_job(
        "high", "fair", "work", share_identifier="a", scheduling_priority_override=9
    )
    assert becomes(low, "RUNNABLE") and becomes(high, "RUNNABLE")

    for name in ("holder", "low", "high"):
        runner.release(name)
    assert becomes(low, "SUCCEEDED")

    assert runner.started == ["holder", "high", "low"]


def test_compute_reservation_holds_vcpus_back_for_shares_not_yet_active(clock):
    runner = GatedRunner()
    backend, pool = fair_backend(runner, clock, max_vcpus=4, computeReservation=50)
    first = [backend.submit_job(f"a{n}", "fair", "work", share_identifier="a") for n in range(3)]
    # One active share: 50% of 4 vCPUs held back, so two of a's jobs run.
    assert becomes(first[0], "RUNNING") and becomes(first[1], "RUNNING")
    assert becomes(first[2], "RUNNABLE")
    reason = pool.why_waiting(first[2])
    clock.now += 10  # a's two jobs have run 10 s each: 20 vCPU-seconds
    other = backend.submit_job("b0", "fair", "work", share_identifier="b")
    # Two active shares: 25% (1 vCPU) held back, so a third job runs: b's, whose share used
    # nothing yet, before a's third.
    assert becomes(other, "RUNNING")
    assert [job.status for job in first] == ["RUNNING", "RUNNING", "RUNNABLE"]

    for job in (*first, other):
        runner.release(job.name)
    assert becomes(first[2], "SUCCEEDED")
    assert "which has 2 of 4 free, 2 of them held back for new shares" in reason


def test_the_rest_api_takes_share_identifiers_and_describes_them(clock):
    backend, _pool = fair_backend(GatedRunner(), clock)
    client = Client(BatchApp(lambda region: backend))

    answer = client.post(
        "/v1/submitjob",
        json={
            "jobName": "j",
            "jobQueue": "fair",
            "jobDefinition": "work",
            "shareIdentifier": "a",
            "schedulingPriorityOverride": 3,
        },
    )
    missing = client.post(
        "/v1/submitjob", json={"jobName": "j", "jobQueue": "fair", "jobDefinition": "work"}
    )
    (job,) = client.post("/v1/describejobs", json={"jobs": [answer.json["jobId"]]}).json["jobs"]

    assert (job["shareIdentifier"], job["schedulingPriority"]) == ("a", 3)
    assert json.loads(missing.data) == {
        "__type": "ClientException",
        "message": "shareIdentifier must be specified.",
    }
