"""Tags on Batch resources: given at creation, then TagResource, UntagResource and
ListTagsForResource (REST paths /v1/tags/{arn}), with AWS's rules."""

import pytest
from botocore.exceptions import ClientError

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException


def test_tags_given_at_creation_are_kept_listed_and_described(batch_api):
    environment = batch_api.create_compute_environment(
        computeEnvironmentName="env",
        type="MANAGED",
        tags={"team": "data"},
        computeResources={"type": "FARGATE", "maxvCpus": 2, "subnets": ["s"]},
    )["computeEnvironmentArn"]
    queue = batch_api.create_job_queue(
        jobQueueName="queue",
        priority=1,
        tags={"tier": "gold"},
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "env"}],
    )["jobQueueArn"]
    definition = batch_api.register_job_definition(
        jobDefinitionName="work",
        type="container",
        tags={"app": "csv"},
        containerProperties={"image": "i", "vcpus": 1, "memory": 512},
    )["jobDefinitionArn"]
    job = batch_api.submit_job(
        jobName="one", jobQueue="queue", jobDefinition="work", tags={"upload": "a.csv"}
    )

    assert batch_api.list_tags_for_resource(resourceArn=environment)["tags"] == {"team": "data"}
    assert batch_api.list_tags_for_resource(resourceArn=queue)["tags"] == {"tier": "gold"}
    assert batch_api.list_tags_for_resource(resourceArn=definition)["tags"] == {"app": "csv"}
    assert batch_api.list_tags_for_resource(resourceArn=job["jobArn"])["tags"] == {
        "upload": "a.csv"
    }
    (described,) = batch_api.describe_jobs(jobs=[job["jobId"]])["jobs"]
    assert described["tags"] == {"upload": "a.csv"}
    (queue_described,) = batch_api.describe_job_queues(jobQueues=["queue"])["jobQueues"]
    assert queue_described["tags"] == {"tier": "gold"}


def test_tag_and_untag_a_resource(batch_api):
    queue = make_queue(batch_api)

    batch_api.tag_resource(resourceArn=queue, tags={"a": "1", "b": "2"})
    batch_api.tag_resource(resourceArn=queue, tags={"b": "3"})
    batch_api.untag_resource(resourceArn=queue, tagKeys=["a", "missing"])

    assert batch_api.list_tags_for_resource(resourceArn=queue)["tags"] == {"b": "3"}


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"aws:owner": "x"}, "not starting with 'aws:'"),
        ({"k": "v" * 257}, "longer than 256 characters"),
        ({f"k{i}": "v" for i in range(51)}, "at most 50 tags"),
    ],
)
def test_tags_aws_refuses_are_refused_and_nothing_is_created(batch_api, tags, message):
    with pytest.raises(ClientError, match=message):
        batch_api.register_job_definition(
            jobDefinitionName="work",
            type="container",
            tags=tags,
            containerProperties={"image": "i", "vcpus": 1, "memory": 512},
        )

    assert batch_api.describe_job_definitions(jobDefinitionName="work")["jobDefinitions"] == []


def test_unknown_resources_and_array_children_cannot_be_tagged(batch_api):
    make_queue(batch_api)
    batch_api.register_job_definition(
        jobDefinitionName="work",
        type="container",
        containerProperties={"image": "i", "vcpus": 1, "memory": 512},
    )
    array = batch_api.submit_job(
        jobName="fan", jobQueue="queue", jobDefinition="work", arrayProperties={"size": 2}
    )

    with pytest.raises(ClientError, match="does not exist"):
        batch_api.tag_resource(resourceArn="arn:aws:batch:us-east-1:0:job-queue/nope", tags={})
    with pytest.raises(ClientError, match="child of an array job"):
        batch_api.tag_resource(resourceArn=array["jobArn"] + ":1", tags={"a": "b"})


def make_queue(batch_api) -> str:
    batch_api.create_compute_environment(
        computeEnvironmentName="env",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 2, "subnets": ["s"]},
    )
    return batch_api.create_job_queue(
        jobQueueName="queue",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "env"}],
    )["jobQueueArn"]


def test_the_backends_create_calls_tag_what_they_create_and_refuse_before_creating():
    # the API and the CloudFormation translation both reach tags through these calls
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    environment = backend.create_compute_environment(
        "env", {"type": "FARGATE", "maxvCpus": 4}, tags={"team": "data"}
    )
    assert environment.tags == {"team": "data"}

    with pytest.raises(ClientException, match="not starting with 'aws:'"):
        backend.create_job_queue(
            "queue",
            1,
            [{"order": 1, "computeEnvironment": environment.arn}],
            tags={"aws:owner": "x"},
        )
    assert backend.describe_job_queues() == []
