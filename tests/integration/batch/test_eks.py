"""A job of an EKS compute environment on the real stand-in and Docker engine: the pod's
container runs with Kubernetes' meaning of command and args, its env and its override."""

import uuid

from harness.client import aws
from tests.integration.helpers import log_of, wait_for_job

CLUSTER = "arn:aws:eks:us-east-1:000000000000:cluster/local"


def test_a_pods_container_runs_with_its_command_args_env_and_override(local_cloud):
    batch = aws.client("batch", local_cloud.endpoint)
    name = f"eks-{uuid.uuid4().hex[:8]}"
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={"type": "EC2", "maxvCpus": 2, "instanceTypes": ["optimal"]},
        eksConfiguration={"eksClusterArn": CLUSTER, "kubernetesNamespace": "batch"},
    )
    batch.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}],
    )
    container = {
        "name": "main",
        "image": "busybox:latest",
        "command": ["sh", "-c"],
        "args": ['echo "$GREETING, $AUDIENCE, from $AWS_BATCH_JOB_ID"'],
        "env": [{"name": "GREETING", "value": "hello"}, {"name": "AUDIENCE", "value": "all"}],
        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
    }
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        eksProperties={"podProperties": {"containers": [container]}},
    )
    override = {"name": "main", "env": [{"name": "AUDIENCE", "value": "you"}]}

    job_id = batch.submit_job(
        jobName=name,
        jobQueue=name,
        jobDefinition=name,
        eksPropertiesOverride={"podProperties": {"containers": [override]}},
    )["jobId"]
    job = wait_for_job(batch, job_id)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert f"hello, you, from {job_id}" in log_of(local_cloud.endpoint, job)
    (attempt,) = job["eksAttempts"]
    assert attempt["containers"][0]["exitCode"] == 0 and attempt["containers"][0]["containerID"]
    assert attempt["eksClusterArn"] == CLUSTER and attempt["podNamespace"] == "batch"
    pod = job["eksProperties"]["podProperties"]
    assert pod["containers"][0]["resources"] == {"limits": {"cpu": "500m", "memory": "128Mi"}}
    assert "container" not in job
