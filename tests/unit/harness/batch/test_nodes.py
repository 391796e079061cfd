"""Multi-node parallel jobs on the stand-in, with a scripted runner (no Docker): the checks of
nodeProperties and nodeOverrides, how the nodes start and end, and their answers."""

import threading
from typing import Any

import pytest

from harness.batch.backend import NODES_NEED_A_BRIDGE, BatchBackend
from harness.batch.errors import ClientException
from harness.batch.executor import MAIN_NODE_ENDED, JobExecutor
from harness.batch.jobs import Job
from harness.batch.logsink import CloudWatchLogSink
from harness.batch.nodes import check_node_properties, node_container
from harness.batch.responses import list_jobs
from harness.batch.runner import ContainerRunner
from harness.batch.states import JobStatus
from harness.waiting import wait_until
from tests.unit.fakes import FakeContainer, FakeLogs

DOCUMENTATION_NET = "192.0.2"  # TEST-NET-1: addresses that reach nothing


def node_range(target: str, command: list[str], vcpus: int = 1) -> dict[str, Any]:
    return {"targetNodes": target, "container": {"image": "i", "command": command, "vcpus": vcpus}}


PROPERTIES = {
    "numNodes": 3,
    "mainNode": 0,
    "nodeRangeProperties": [node_range("0:", ["worker"]), node_range("0", ["main"])],
}


class NodeRunner:
    """Gives each node an address; the main node (command "main") waits until every other
    node started, then exits `main_exit`; the other nodes run until they are stopped."""

    def __init__(self, main_exit: int = 0) -> None:
        self.main_exit = main_exit
        self.environments: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def run(self, job: Job, attempt, on_running) -> bool:
        attempt.private_ipv4_address = f"{DOCUMENTATION_NET}.{job.node_index + 10}"
        with self._lock:
            self.environments[job.id] = job.environment
        on_running()
        if job.command == ["main"]:
            others = job.parent.children[1:]
            wait_until(lambda: all(n.id in self.environments for n in others) or None, 5, 0.01)
            attempt.exit_code = self.main_exit
            return self.main_exit == 0
        wait_until(lambda: job.stopping.is_set() or None, timeout=10, interval=0.01)
        attempt.exit_code = 143
        attempt.status_reason = job.stop_reason
        return False


def backend_with(runner, bridge: bool = True, max_vcpus: int = 4) -> BatchBackend:
    backend = BatchBackend(
        "000000000000", "us-east-1", JobExecutor(runner).start, nodes_have_addresses=bridge
    )
    backend.create_compute_environment("compute", {"type": "EC2", "maxvCpus": max_vcpus})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("nodes", {}, type="multinode", node_properties=dict(PROPERTIES))
    return backend


def done(job: Job) -> Job:
    assert wait_until(lambda: job.is_done or None, timeout=10, interval=0.01), job.status
    return job


def test_the_nodes_start_together_know_each_other_and_end_with_the_main_node():
    runner = NodeRunner()
    backend = backend_with(runner)
    job = done(backend.submit_job("mnp", "queue", "nodes"))

    assert job.status == JobStatus.SUCCEEDED
    assert [node.id for node in job.children] == [f"{job.id}#{i}" for i in range(3)]
    main_address = f"{DOCUMENTATION_NET}.10"
    for index, node in enumerate(job.children):
        environment = runner.environments[node.id]
        assert environment["AWS_BATCH_JOB_NODE_INDEX"] == str(index)
        assert environment["AWS_BATCH_JOB_NUM_NODES"] == "3"
        assert environment["AWS_BATCH_JOB_MAIN_NODE_INDEX"] == "0"
        address = environment.get("AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS")
        assert address == (None if index == 0 else main_address)
    main, *others = job.children
    assert main.status == JobStatus.SUCCEEDED
    assert [(n.status, n.status_reason) for n in others] == [
        (JobStatus.FAILED, MAIN_NODE_ENDED)
    ] * 2
    assert "isTerminated" not in others[0].describe(), "the stand-in stopped it, no request"

    described = job.describe()
    assert described["nodeProperties"]["numNodes"] == 3 and "container" not in described
    assert main.describe()["nodeDetails"] == {"nodeIndex": 0, "isMainNode": True}
    assert others[0].describe()["nodeDetails"] == {"nodeIndex": 1, "isMainNode": False}
    interfaces = main.describe()["attempts"][0]["container"]["networkInterfaces"]
    assert interfaces == [{"privateIpv4Address": main_address}]
    listed = list_jobs(backend, {"multiNodeJobId": job.id, "jobStatus": "FAILED"})
    assert [summary["jobId"] for summary in listed["jobSummaryList"]] == [n.id for n in others]
    assert listed["jobSummaryList"][0]["nodeProperties"] == {
        "nodeIndex": 1,
        "isMainNode": False,
        "numNodes": 3,
    }
    queue_jobs = list_jobs(backend, {"jobQueue": "queue", "jobStatus": "SUCCEEDED"})
    assert [summary["jobId"] for summary in queue_jobs["jobSummaryList"]] == [job.id]


def test_a_failed_main_node_fails_the_job_and_its_retry_runs_every_node_again():
    backend = backend_with(NodeRunner(main_exit=3))
    job = done(backend.submit_job("mnp", "queue", "nodes", retry_strategy={"attempts": 2}))

    assert job.status == JobStatus.FAILED
    assert [attempt.exit_code for attempt in job.attempts] == [3, 3]
    assert all(len(node.attempts) == 2 for node in job.children)


def test_the_job_waits_for_the_vcpus_of_all_its_nodes():
    backend = backend_with(NodeRunner(), max_vcpus=2)
    job = backend.submit_job("mnp", "queue", "nodes")
    assert wait_until(lambda: job.status == JobStatus.RUNNABLE or None, timeout=5, interval=0.01)

    assert "the job needs 3 vCPUs" in str(job.status_reason)
    backend.stop_job(job.id, "enough", terminate=False)
    done(job)
    assert all(node.status == JobStatus.FAILED for node in job.children)


def test_node_overrides_change_the_node_count_and_a_nodes_command():
    runner = NodeRunner()
    backend = backend_with(runner)
    overrides = {
        "numNodes": 2,
        "nodePropertyOverrides": [{"targetNodes": "1", "containerOverrides": {"command": ["w2"]}}],
    }
    job = done(backend.submit_job("mnp", "queue", "nodes", node_overrides=overrides))

    assert len(job.children) == 2 and job.node_properties["numNodes"] == 2
    assert job.children[1].command == ["w2"]
    assert job.children[0].command == ["main"]


def test_multi_node_jobs_need_an_address_per_node_and_an_ec2_environment():
    with pytest.raises(ClientException) as refused:
        backend_with(NodeRunner(), bridge=False).submit_job("mnp", "queue", "nodes")
    assert refused.value.message == NODES_NEED_A_BRIDGE

    backend = backend_with(NodeRunner())
    backend.create_compute_environment("fargate", {"type": "FARGATE", "maxvCpus": 4})
    backend.create_job_queue("fq", 1, [{"order": 1, "computeEnvironment": "fargate"}])
    backend.create_compute_environment("spot", {"type": "SPOT", "maxvCpus": 4})
    backend.create_job_queue("sq", 1, [{"order": 1, "computeEnvironment": "spot"}])
    for queue in ("fq", "sq"):
        with pytest.raises(ClientException, match="managed EC2 compute environments only"):
            backend.submit_job("mnp", queue, "nodes")
    with pytest.raises(ClientException, match="cannot be an array job"):
        backend.submit_job("mnp", "queue", "nodes", array_properties={"size": 2})
    with pytest.raises(ClientException, match="EC2 compute environments only, not FARGATE"):
        backend.register_job_definition(
            "f", {}, type="multinode", node_properties=PROPERTIES, platform_capabilities=["FARGATE"]
        )


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"numNodes": 0}, "numNodes must be a whole number from 1 to 1000"),
        ({"mainNode": 3}, "mainNode must be a node index from 0 to 2"),
        ({"nodeRangeProperties": [node_range("0:1", ["x"])]}, "no range holds node 2"),
        ({"nodeRangeProperties": [node_range(":", ["x"])] * 6}, "needs 1 to 5 node ranges"),
        ({"nodeRangeProperties": [node_range("1:5", ["x"])]}, "outside the job's nodes 0 to 2"),
        ({"nodeRangeProperties": [node_range("a:b", ["x"])]}, "targetNodes 'a:b' is invalid"),
        (
            {"nodeRangeProperties": [{**node_range(":", ["x"]), "instanceTypes": ["m5.large"]}]},
            "instanceTypes not supported by the local Batch stand-in",
        ),
    ],
)
def test_node_properties_are_checked(change, refusal):
    with pytest.raises(ClientException, match=refusal):
        check_node_properties({**PROPERTIES, **change})


def test_a_node_takes_the_narrowest_range_that_holds_it():
    properties = {
        "numNodes": 6,
        "mainNode": 0,
        "nodeRangeProperties": [
            node_range(":", ["all"]),
            node_range("2:4", ["middle"]),
            node_range("3", ["three"]),
        ],
    }
    commands = [node_container(check_node_properties(properties), i)["command"] for i in range(6)]
    assert commands == [["all"], ["all"], ["middle"], ["three"], ["middle"], ["all"]]


class NetworkDocker:
    """Containers that end at once with exit 0, each at an address on network "nodes" when
    created on it; records each container's Docker name and options."""

    def __init__(self) -> None:
        self.containers = self
        self.created: list[tuple[str, dict[str, Any]]] = []

    def create(self, image: str, **options: Any) -> FakeContainer:
        container = FakeContainer(exits_at_once=True)
        address = f"{DOCUMENTATION_NET}.{len(self.created) + 10}"
        networks = {options["network"]: {"IPAddress": address}} if "network" in options else {}
        container.attrs["NetworkSettings"] = {"Networks": networks}
        self.created.append((options["name"], options))
        return container


def test_on_the_host_network_the_nodes_run_on_the_node_network_and_call_the_engine_there():
    docker = NetworkDocker()
    calls = []

    def node_network() -> tuple[dict[str, Any], str]:
        calls.append(1)
        return {"network": "nodes"}, f"http://{DOCUMENTATION_NET}.1:4566"

    runner = ContainerRunner(
        docker,
        CloudWatchLogSink(FakeLogs()),
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_REGION": "us-east-1"},
        {"network_mode": "host"},
        node_network=node_network,
    )
    backend = backend_with(runner, bridge=True)
    backend.register_job_definition("single", {"image": "i", "command": ["x"], "vcpus": 1})
    job = done(backend.submit_job("mnp", "queue", "nodes"))
    single = done(backend.submit_job("one", "queue", "single"))

    assert job.status == single.status == JobStatus.SUCCEEDED
    options = dict(docker.created)
    for index, node in enumerate(job.children):
        created = options[f"batch-{job.id}-n{index}-1"]
        assert created["network"] == "nodes" and "network_mode" not in created
        assert created["environment"]["AWS_ENDPOINT_URL"] == f"http://{DOCUMENTATION_NET}.1:4566"
        assert created["environment"]["AWS_REGION"] == "us-east-1"
        assert node.attempts[0].private_ipv4_address is not None
    assert len(calls) == 3, "asked at each node's start"
    alone = options[f"batch-{single.id}-1"]
    assert alone["network_mode"] == "host" and "network" not in alone
    assert alone["environment"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_a_node_whose_network_cannot_be_made_fails_saying_why():
    def no_network() -> tuple[dict[str, Any], str]:
        raise RuntimeError("all address pools are taken")

    runner = ContainerRunner(
        NetworkDocker(),
        CloudWatchLogSink(FakeLogs()),
        {},
        {"network_mode": "host"},
        node_network=no_network,
    )
    job = done(backend_with(runner).submit_job("mnp", "queue", "nodes"))

    assert job.status == JobStatus.FAILED
    reason = job.children[0].attempts[0].status_reason
    assert reason == (
        "CannotStartContainerError: no network for the node: all address pools are taken"
    )
