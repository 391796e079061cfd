"""A consumable resource on the real stand-in, through boto3: with one unit, jobs that each
take it run one at a time although the compute environment has vCPUs for all of them."""

import itertools

from harness.client import aws
from tests.integration.helpers import base_image, fargate_environment_and_queue, wait_for_job


def test_one_licence_runs_its_jobs_one_at_a_time(local_cloud, unique):
    batch = aws.client("batch", local_cloud.endpoint)
    name = f"licensed-{unique}"
    fargate_environment_and_queue(batch, name, max_vcpus=4)
    licence = batch.create_consumable_resource(consumableResourceName=name, totalQuantity=1)
    definition = batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={
            "image": base_image(),
            "command": ["sleep", "1"],
            "vcpus": 1,
            "memory": 64,
        },
        consumableResourceProperties={
            "consumableResourceList": [{"consumableResource": name, "quantity": 1}]
        },
    )["jobDefinitionArn"]

    ids = [
        batch.submit_job(jobName=f"job-{n}", jobQueue=name, jobDefinition=definition)["jobId"]
        for n in range(3)
    ]
    jobs = sorted((wait_for_job(batch, job_id) for job_id in ids), key=lambda j: j["startedAt"])
    described = batch.describe_consumable_resource(consumableResource=name)
    listed = batch.list_jobs_by_consumable_resource(
        consumableResource=licence["consumableResourceArn"]
    )

    assert [job["status"] for job in jobs] == ["SUCCEEDED"] * 3
    for earlier, later in itertools.pairwise(jobs):
        assert later["startedAt"] >= earlier["stoppedAt"], "two jobs held the one licence at once"
    assert (described["inUseQuantity"], described["availableQuantity"]) == (0, 1)
    assert sorted(job["jobName"] for job in listed["jobs"]) == ["job-0", "job-1", "job-2"]
    assert jobs[0]["consumableResourceProperties"]["consumableResourceList"] == [
        {"consumableResource": licence["consumableResourceArn"], "quantity": 1}
    ]
