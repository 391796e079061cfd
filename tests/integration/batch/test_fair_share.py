"""Fair-share scheduling on the real stand-in, through boto3: two shares weighted 1 and 3,
both with work waiting, share a compute environment of 4 vCPUs in about a 3 to 1 ratio."""

import pytest

from harness.client import aws
from harness.waiting import wait_until
from tests.integration.helpers import base_image, fargate_environment_and_queue

JOBS_PER_SHARE = 40
JOB_SECONDS = "1.5"


def vcpu_seconds(jobs: list[dict], since: int, until: int) -> float:
    """The vCPU-seconds (1 vCPU a job) the jobs ran between `since` and `until` (epoch ms)."""
    ran = sum(max(0, min(job["stoppedAt"], until) - max(job["startedAt"], since)) for job in jobs)
    return ran / 1000


@pytest.mark.slow  # 80 jobs through 4 vCPUs, to measure a ratio: about a minute
def test_shares_weighted_1_and_3_share_the_vcpus_about_3_to_1(local_cloud, unique):
    batch = aws.client("batch", local_cloud.endpoint)
    name = f"fair-{unique}"
    policy = batch.create_scheduling_policy(
        name=name,
        fairsharePolicy={
            "shareDistribution": [
                {"shareIdentifier": "light", "weightFactor": 1},
                {"shareIdentifier": "heavy", "weightFactor": 3},
            ]
        },
    )["arn"]
    fargate_environment_and_queue(batch, name, max_vcpus=4, schedulingPolicyArn=policy)
    definition = batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        schedulingPriority=0,
        containerProperties={
            "image": base_image(),
            "command": ["sleep", JOB_SECONDS],
            "vcpus": 1,
            "memory": 64,
        },
    )["jobDefinitionArn"]

    # Every job waits before the first starts: while they are submitted one by one, the first
    # free vCPUs would go to whichever share had a job in the queue.
    batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    submitted: dict[str, list[str]] = {"light": [], "heavy": []}
    for _ in range(JOBS_PER_SHARE):
        for share, ids in submitted.items():
            job = batch.submit_job(
                jobName=share, jobQueue=name, jobDefinition=definition, shareIdentifier=share
            )
            ids.append(job["jobId"])
    batch.update_compute_environment(computeEnvironment=name, state="ENABLED")

    def described(ids: list[str]) -> list[dict]:
        return [
            j
            for n in range(0, len(ids), 100)
            for j in batch.describe_jobs(jobs=ids[n : n + 100])["jobs"]
        ]

    every = submitted["light"] + submitted["heavy"]
    ended = wait_until(
        lambda: all(j["status"] in ("SUCCEEDED", "FAILED") for j in described(every)) or None,
        300,
        interval=2,
    )
    assert ended, "the jobs did not all end within 300 s"
    jobs = {share: described(ids) for share, ids in submitted.items()}
    assert {j["status"] for share in jobs.values() for j in share} == {"SUCCEEDED"}
    # Both shares have work waiting from the first start until either starts its last job.
    since = min(j["startedAt"] for share in jobs.values() for j in share)
    until = min(max(j["startedAt"] for j in share) for share in jobs.values())
    light, heavy = (vcpu_seconds(jobs[share], since, until) for share in ("light", "heavy"))

    assert 3 * 0.8 <= light / heavy <= 3 * 1.2, (light, heavy)
    (queue,) = batch.describe_job_queues(jobQueues=[name])["jobQueues"]
    assert queue["schedulingPolicyArn"] == policy
