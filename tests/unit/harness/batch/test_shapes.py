"""Fields of the stand-in's answers that AWS Batch documents and returns: the compute
environment's ECS cluster, and each attempt's task and (on EC2) container instance."""

import re

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.executor import JobExecutor
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import ContainerRunner
from harness.waiting import wait_until
from tests.unit.fakes import FakeDocker, FakeLogs

ACCOUNT, REGION = "123456789012", "eu-west-1"


def backend_with(compute_type: str) -> BatchBackend:
    runner = ContainerRunner(FakeDocker(), CloudWatchLogSink(FakeLogs()), {}, {})
    backend = BatchBackend(ACCOUNT, REGION, start_job=JobExecutor(runner).start)
    backend.create_compute_environment("env", {"type": compute_type, "maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.register_job_definition("quick", {"image": "i", "vcpus": 1})
    return backend


def test_a_compute_environment_names_its_ecs_cluster_as_aws_does():
    described = backend_with("EC2").describe_compute_environments()[0].describe()

    cluster = re.escape(f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/env_Batch_")
    assert re.fullmatch(cluster + r"[0-9a-f-]{36}", described["ecsClusterArn"])
    again = backend_with("EC2").describe_compute_environments()[0].describe()
    assert again["ecsClusterArn"] == described["ecsClusterArn"], "the same for the same ARN"


@pytest.mark.parametrize(("compute_type", "on_an_instance"), [("EC2", True), ("FARGATE", False)])
def test_an_attempt_names_its_task_and_on_ec2_its_container_instance(compute_type, on_an_instance):
    backend = backend_with(compute_type)
    job = backend.submit_job("quick", "queue", "quick")
    assert wait_until(lambda: job.status == "RUNNING" or None, timeout=5, interval=0.01)
    backend.stop_job(job.id, "enough", terminate=True)  # the fake's first container runs on
    assert wait_until(lambda: job.is_done or None, timeout=5, interval=0.01)

    (attempt,) = job.describe()["attempts"]
    cluster = backend.describe_compute_environments()[0].ecs_cluster_arn.rpartition("/")[2]
    task = re.escape(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/")
    assert re.fullmatch(task + r"[0-9a-f]{32}", attempt["container"]["taskArn"])
    instance = attempt["container"].get("containerInstanceArn")
    if on_an_instance:
        prefix = re.escape(f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{cluster}/")
        assert re.fullmatch(prefix + r"[0-9a-f]{32}", instance)
    else:
        assert instance is None, "Fargate tasks run on no container instance"


def test_a_queue_says_its_type_and_an_environment_its_uuid():
    backend = backend_with("EC2")
    backend.create_compute_environment("f", {"type": "FARGATE", "maxvCpus": 4})
    backend.create_job_queue("fq", 1, [{"order": 1, "computeEnvironment": "f"}])

    types = {q.name: backend.job_queue_type(q) for q in backend.describe_job_queues()}
    assert types == {"queue": "ECS", "fq": "ECS_FARGATE"}
    environment = backend.describe_compute_environments(["env"])[0].describe()
    assert environment["ecsClusterArn"].endswith(f"cluster/env_Batch_{environment['uuid']}")


def test_a_summary_gives_capacity_and_when_the_job_was_scheduled():
    backend = backend_with("EC2")
    job = backend.submit_job("quick", "queue", "quick")
    assert wait_until(lambda: job.status == "RUNNING" or None, timeout=5, interval=0.01)

    summary = job.summary()
    assert summary["capacityUsage"] == [{"capacityUnit": "VCPU", "quantity": 1.0}]
    assert job.created_at <= summary["scheduledAt"] <= summary["startedAt"]
    assert "isTerminated" not in summary and "isTerminated" not in job.describe()
    backend.stop_job(job.id, "enough", terminate=True)
    assert wait_until(lambda: job.is_done or None, timeout=5, interval=0.01)
    assert job.describe()["isTerminated"] is True and job.summary()["isTerminated"] is True
    assert "isCancelled" not in job.describe()


def test_a_cancelled_job_says_so():
    backend = backend_with("EC2")
    backend.update_compute_environment("env", state="DISABLED")  # nothing starts
    job = backend.submit_job("waits", "queue", "quick")
    assert wait_until(lambda: job.status == "RUNNABLE" or None, timeout=5, interval=0.01)

    backend.stop_job(job.id, "not needed", terminate=False)
    assert wait_until(lambda: job.is_done or None, timeout=5, interval=0.01)
    assert job.describe()["isCancelled"] is True and "isTerminated" not in job.describe()
