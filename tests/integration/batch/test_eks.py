"""Jobs of an EKS compute environment on the real stand-in and Docker engine: a pod's
container runs with Kubernetes' meaning of command and args, its env and its override; a
pod's containers share one network, after its init containers."""

import uuid
from typing import Any

from harness.client import aws
from tests.integration.helpers import base_image, free_port, log_of, wait_for_job

CLUSTER = "arn:aws:eks:us-east-1:000000000000:cluster/local"


def eks_environment_and_queue(batch: Any, name: str) -> None:
    """An EKS compute environment of 2 vCPUs and a queue on it, both called `name`."""
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


def test_a_pods_container_runs_with_its_command_args_env_and_override(local_cloud):
    batch = aws.client("batch", local_cloud.endpoint)
    name = f"eks-{uuid.uuid4().hex[:8]}"
    eks_environment_and_queue(batch, name)
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


def test_a_pods_containers_share_its_network_after_its_init_container(local_cloud):
    """The main container listens on 127.0.0.1, the sidecar reaches it there: they share
    one network, as a pod's containers do. The init container ran before both."""
    batch = aws.client("batch", local_cloud.endpoint)
    name = f"pod-{uuid.uuid4().hex[:8]}"
    eks_environment_and_queue(batch, name)
    port = free_port()
    main = (
        "import socket; s = socket.create_server(('127.0.0.1', PORT)); s.settimeout(60); "
        "c, _ = s.accept(); print('main got:', c.recv(64).decode(), flush=True)"
    ).replace("PORT", str(port))
    sidecar = f"""
import socket, time
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", {port}), 1).sendall(b"from the sidecar")
        break
    except OSError:
        time.sleep(0.05)
"""
    image = base_image()
    pod = {
        "initContainers": [
            {"name": "setup", "image": image, "command": ["python3", "-c", "print('set up')"]}
        ],
        "containers": [
            {"name": "main", "image": image, "command": ["python3", "-c", main]},
            {"name": "sidecar", "image": image, "command": ["python3", "-c", sidecar]},
        ],
    }
    batch.register_job_definition(
        jobDefinitionName=name, type="container", eksProperties={"podProperties": pod}
    )

    job_id = batch.submit_job(jobName=name, jobQueue=name, jobDefinition=name)["jobId"]
    job = wait_for_job(batch, job_id)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert "main got: from the sidecar" in log_of(local_cloud.endpoint, job)
    (attempt,) = job["eksAttempts"]
    assert [c["name"] for c in attempt["initContainers"]] == ["setup"]
    assert [(c["name"], c["exitCode"]) for c in attempt["containers"]] == [
        ("main", 0),
        ("sidecar", 0),
    ]
