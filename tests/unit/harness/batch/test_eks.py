"""Jobs of EKS compute environments on the stand-in, with a scripted runner (no Docker): the
checks of eksConfiguration, eksProperties and eksPropertiesOverride, the container a pod
becomes, and the answers AWS shapes for EKS jobs."""

from typing import Any

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Job
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.runner import ContainerRunner
from harness.batch.states import JobStatus
from harness.waiting import wait_until
from tests.unit.fakes import FakeContainer, FakeLogs

CLUSTER = "arn:aws:eks:us-east-1:000000000000:cluster/local"
POD = {
    "podProperties": {
        "containers": [
            {
                "name": "main",
                "image": "busybox:latest",
                "command": ["sh", "-c"],
                "args": ["echo hello"],
                "env": [{"name": "GREETING", "value": "hi"}],
                "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
            }
        ],
        "metadata": {"labels": {"team": "a"}},
    }
}


class RecordingRunner:
    """What each job would run: its entrypoint, command, environment and resources."""

    def __init__(self) -> None:
        self.ran: dict[str, dict[str, Any]] = {}

    def run(self, job: Job, attempt, on_running) -> bool:
        self.ran[job.id] = {
            "entrypoint": job.entrypoint,
            "command": job.command,
            "environment": job.environment,
            "vcpus": job.vcpus,
            "memory": job.memory_mib,
        }
        attempt.task_arn = "arn:aws:ecs:us-east-1:000000000000:task/c/0123abcd"
        attempt.container_id = "f00d"
        on_running()
        attempt.exit_code = 0
        return True


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def backend(runner) -> BatchBackend:
    backend = BatchBackend("000000000000", "us-east-1", JobExecutor(runner).start)
    backend.create_compute_environment(
        "eks",
        {"type": "EC2", "maxvCpus": 4},
        eks_configuration={"eksClusterArn": CLUSTER, "kubernetesNamespace": "batch"},
    )
    backend.create_job_queue("eks-queue", 1, [{"order": 1, "computeEnvironment": "eks"}])
    backend.create_compute_environment("ecs", {"type": "EC2", "maxvCpus": 4})
    backend.create_job_queue("ecs-queue", 1, [{"order": 1, "computeEnvironment": "ecs"}])
    backend.register_job_definition("pod", {}, eks_properties=POD)
    backend.register_job_definition("plain", {"image": "i"})
    return backend


def done(job: Job) -> Job:
    assert wait_until(lambda: job.is_done or None, timeout=10, interval=0.01), job.status
    return job


def test_a_pod_runs_as_its_container_with_kubernetes_meanings(backend, runner):
    job = done(backend.submit_job("p", "eks-queue", "pod"))

    ran = runner.ran[job.id]
    assert job.status == JobStatus.SUCCEEDED
    assert (ran["entrypoint"], ran["command"]) == (["sh", "-c"], ["echo hello"])
    assert ran["environment"]["GREETING"] == "hi" and ran["environment"]["AWS_BATCH_JOB_ID"]
    assert (ran["vcpus"], ran["memory"]) == (0.5, 1024)

    described = job.describe()
    assert "container" not in described
    pod = described["eksProperties"]["podProperties"]
    assert pod["podName"] == "aws-batch.0123abcd"
    assert pod["containers"][0]["exitCode"] == 0 and pod["metadata"] == {"labels": {"team": "a"}}
    (attempt,) = described["eksAttempts"]
    assert attempt["containers"] == [{"name": "main", "containerID": "f00d", "exitCode": 0}]
    assert (attempt["eksClusterArn"], attempt["podNamespace"]) == (CLUSTER, "batch")
    definition = backend.find_job_definition("pod").describe()
    assert definition["eksProperties"] == POD and "containerProperties" not in definition
    assert definition["containerOrchestrationType"] == "EKS"
    environment = backend.describe_compute_environments(["eks"])[0].describe()
    assert environment["containerOrchestrationType"] == "EKS"
    assert environment["eksConfiguration"]["eksClusterArn"] == CLUSTER


def test_an_override_replaces_the_containers_fields_and_env_by_name(backend, runner):
    override = {
        "podProperties": {
            "containers": [
                {
                    "name": "main",
                    "args": ["echo bye"],
                    "env": [{"name": "OTHER", "value": "1"}],
                    "resources": {"requests": {"cpu": "2"}},
                }
            ]
        }
    }
    job = done(backend.submit_job("p", "eks-queue", "pod", eks_properties_override=override))

    ran = runner.ran[job.id]
    assert (ran["entrypoint"], ran["command"]) == (["sh", "-c"], ["echo bye"])
    assert (ran["environment"]["GREETING"], ran["environment"]["OTHER"]) == ("hi", "1")
    assert ran["vcpus"] == 2.0 and ran["memory"] is None


def test_definitions_and_queues_keep_to_their_kind(backend):
    with pytest.raises(
        ClientException, match="is for EKS and job queue ecs-queue runs jobs on ECS"
    ):
        backend.submit_job("p", "ecs-queue", "pod")
    with pytest.raises(
        ClientException, match="is for ECS and job queue eks-queue runs jobs on EKS"
    ):
        backend.submit_job("p", "eks-queue", "plain")
    with pytest.raises(ClientException, match="all be of ECS or all of EKS"):
        backend.create_job_queue(
            "mixed",
            1,
            [{"order": 1, "computeEnvironment": "eks"}, {"order": 2, "computeEnvironment": "ecs"}],
        )
    with pytest.raises(ClientException, match="override an EKS job's container"):
        backend.submit_job("p", "eks-queue", "pod", container_overrides={"command": ["x"]})
    with pytest.raises(ClientException, match="the pod has no containers entry named 'other'"):
        backend.submit_job(
            "p",
            "eks-queue",
            "pod",
            eks_properties_override={"podProperties": {"containers": [{"name": "other"}]}},
        )
    with pytest.raises(ClientException, match="not Fargate"):
        backend.create_compute_environment(
            "f",
            {"type": "FARGATE", "maxvCpus": 4},
            eks_configuration={"eksClusterArn": CLUSTER, "kubernetesNamespace": "n"},
        )


def pod_with(**fields: Any) -> dict[str, Any]:
    (container,) = POD["podProperties"]["containers"]
    return {"podProperties": {**POD["podProperties"], "containers": [{**container, **fields}]}}


@pytest.mark.parametrize(
    ("properties", "refusal"),
    [
        ({"podProperties": {"containers": []}}, "1 to 10 containers"),
        ({"podProperties": {"containers": [{"image": "i"}] * 11}}, "1 to 10 containers"),
        (
            {"podProperties": {"containers": POD["podProperties"]["containers"] * 2}},
            "need a name each, all different",
        ),
        (
            {"podProperties": {**POD["podProperties"], "initContainers": [{"image": "i"}]}},
            "need a name each, all different",
        ),
        (
            {"podProperties": {**POD["podProperties"], "shareProcessNamespace": True}},
            "shareProcessNamespace not supported by the local Batch stand-in",
        ),
        (
            {"podProperties": {**POD["podProperties"], "volumes": [{"name": "v"}]}},
            "volumes not supported",
        ),
        (pod_with(volumeMounts=[{"name": "v"}]), "volumeMounts not supported"),
        (pod_with(image=""), "image is required"),
        (pod_with(env=[{"name": "AWS_BATCH_X", "value": "1"}]), "prefix is reserved"),
        (pod_with(resources={"limits": {"cpu": "lots"}}), "cpu 'lots' is not a Kubernetes"),
        (pod_with(resources={"limits": {"nvidia.com/gpu": "1"}}), "nvidia.com/gpu not supported"),
    ],
)
def test_eks_properties_are_checked(backend, properties, refusal):
    with pytest.raises(ClientException, match=refusal):
        backend.register_job_definition("bad", {}, eks_properties=properties)


class PodDocker:
    """Containers that end at once, each with the exit code `exits` gives its pod name (the
    last part of its Docker name); records what each was created with, in order."""

    def __init__(self, exits: dict[str, int] | None = None) -> None:
        self.containers = self
        self.exits = exits or {}
        self.created: list[tuple[str, dict[str, Any]]] = []

    def create(self, image: str, **options: Any) -> FakeContainer:
        name = options["name"].rsplit("-", 1)[1]
        container = FakeContainer(exits_at_once=True)
        container.exit_code = self.exits.get(name, 0)
        container.id = f"id-{name}"  # type: ignore[attr-defined]
        self.created.append((name, options))
        return container


def pod_backend(docker: PodDocker) -> BatchBackend:
    runner = ContainerRunner(docker, CloudWatchLogSink(FakeLogs()), {}, {"network_mode": "host"})
    backend = BatchBackend("000000000000", "us-east-1", JobExecutor(runner).start)
    backend.create_compute_environment(
        "eks",
        {"type": "EC2", "maxvCpus": 8},
        eks_configuration={"eksClusterArn": CLUSTER, "kubernetesNamespace": "batch"},
    )
    backend.create_job_queue("eks-queue", 1, [{"order": 1, "computeEnvironment": "eks"}])
    (main,) = POD["podProperties"]["containers"]
    sidecar = {"name": "sidecar", "image": "busybox:latest", "args": ["true"]}
    setup = {"name": "setup", "image": "busybox:latest", "resources": {"limits": {"cpu": "3"}}}
    pod = {"containers": [main, sidecar], "initContainers": [setup]}
    backend.register_job_definition("pod", {}, eks_properties={"podProperties": pod})
    return backend


def test_a_pods_init_container_runs_first_then_its_containers_together_on_one_network():
    docker = PodDocker()
    backend = pod_backend(docker)
    job = done(backend.submit_job("p", "eks-queue", "pod"))

    assert job.status == JobStatus.SUCCEEDED
    assert [name for name, _ in docker.created] == ["setup", "main", "sidecar"]
    options = dict(docker.created)
    assert options["setup"]["network_mode"] == options["main"]["network_mode"] == "host"
    assert options["sidecar"]["network_mode"] == "container:id-main"
    assert (options["main"]["entrypoint"], options["main"]["command"]) == (
        ["sh", "-c"],
        ["echo hello"],
    )
    assert options["main"]["environment"]["GREETING"] == "hi"
    assert options["sidecar"]["environment"]["AWS_BATCH_JOB_ID"] == job.id
    assert job.vcpus == 3.0, "its init container's 3 vCPUs, more than its containers' 1.5"
    (attempt,) = job.describe()["eksAttempts"]
    assert attempt["containers"] == [
        {"name": "main", "containerID": "id-main", "exitCode": 0},
        {"name": "sidecar", "containerID": "id-sidecar", "exitCode": 0},
    ]
    assert attempt["initContainers"] == [
        {"name": "setup", "containerID": "id-setup", "exitCode": 0}
    ]


def test_a_pod_fails_as_its_failing_container_does():
    job = done(pod_backend(PodDocker({"sidecar": 3})).submit_job("p", "eks-queue", "pod"))

    assert job.status == JobStatus.FAILED
    assert job.status_reason == "Essential container in task exited"
    assert job.attempts[-1].exit_code == 3
    pod = job.describe()["eksProperties"]["podProperties"]
    assert [c.get("exitCode") for c in pod["containers"]] == [0, 3]


def test_a_failed_init_container_keeps_the_containers_from_starting():
    docker = PodDocker({"setup": 1})
    job = done(pod_backend(docker).submit_job("p", "eks-queue", "pod"))

    assert job.status == JobStatus.FAILED and job.attempts[-1].exit_code == 1
    assert [name for name, _ in docker.created] == ["setup"]
