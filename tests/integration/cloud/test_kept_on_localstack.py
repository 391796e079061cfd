"""On LocalStack, what the harness owns of the cloud outlives the edge in front of it: the
Batch stand-in's resources and jobs, and the fault rules. LocalStack's free runtime keeps
nothing of its own, so this is all that survives a restart there (docs/local-cloud.md).

A second edge, with a folder to keep, runs in front of the session's LocalStack on ports of
its own and is killed (SIGKILL) while a job runs: the next edge brings back the job history
and the rules, and follows the running job's container to its real end."""

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.client import aws
from harness.cloud.lifecycle import LocalCloud, remove_job_containers
from harness.contracts import ACCOUNT_ID
from harness.control.client import Faults
from harness.engine.base import answering
from harness.engine.localstack.engine import LOCALSTACK_PORT
from harness.waiting import wait_until
from tests.integration.helpers import base_image, free_port, wait_for_job

LOCALSTACK_ONLY = "needs LocalStack (HARNESS_ENGINE=localstack): its edge keeps what it owns"


class KeptEdge:
    """An edge in front of the session's LocalStack, keeping the folder `kept`, on ports of
    its own; started again after a kill."""

    def __init__(self, local_cloud: LocalCloud, folder: Path) -> None:
        network = local_cloud.network
        port, containers_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        containers_call = f"{network.listen_also}:{containers_port}"
        self.command = [
            sys.executable,
            "-m",
            "harness.engine.localstack.edge",
            *("--localstack", f"http://127.0.0.1:{LOCALSTACK_PORT}"),
            *("--listen", f"127.0.0.1:{port}", "--listen", containers_call),
            *("--account-id", ACCOUNT_ID),
            *("--containers-network", str(network.network_name)),
            *("--containers-call", containers_call),
            *("--keep-in", str(folder / "kept")),
        ]
        self.log = folder / "edge.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        answers = wait_until(lambda: answering(self.endpoint) == "localstack" or None, 30, 0.2)
        assert answers, self.log.read_text()[-3000:]

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        remove_job_containers(self.endpoint)


@pytest.fixture
def edge(target: str, local_cloud: LocalCloud, tmp_path: Path) -> Iterator[KeptEdge]:
    if target != "localstack":
        pytest.skip(LOCALSTACK_ONLY)
    kept = KeptEdge(local_cloud, tmp_path)
    kept.start()
    yield kept
    kept.stop()


def test_the_stand_in_and_the_fault_rules_outlive_a_killed_edge(edge, unique):
    endpoint = edge.endpoint
    batch = aws.client("batch", endpoint)
    batch.create_compute_environment(
        computeEnvironmentName=f"kept-{unique}",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 2, "subnets": ["subnet-local"]},
    )
    batch.create_job_queue(
        jobQueueName=f"kept-{unique}",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"kept-{unique}"}],
    )
    definition = batch.register_job_definition(
        jobDefinitionName=f"kept-{unique}",
        type="container",
        containerProperties={
            "image": base_image(),
            "command": ["sh", "-c", 'sleep "$0"; exit "$1"', "Ref::seconds", "Ref::code"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.25"},
                {"type": "MEMORY", "value": "512"},
            ],
        },
    )["jobDefinitionArn"]

    def submit(name: str, seconds: int, code: int) -> str:
        return batch.submit_job(
            jobName=name,
            jobQueue=f"kept-{unique}",
            jobDefinition=definition,
            parameters={"seconds": str(seconds), "code": str(code)},
        )["jobId"]

    finished = wait_for_job(batch, submit("finished", 0, 0))
    assert finished["status"] == "SUCCEEDED", finished.get("statusReason")
    running = submit("running", 15, 3)
    assert wait_until(
        lambda: batch.describe_jobs(jobs=[running])["jobs"][0]["status"] == "RUNNING" or None,
        timeout=60,
        interval=0.2,
    )
    rule = Faults(endpoint).add(service="sqs", error="ServiceUnavailable", count=2)
    edge.kill()
    edge.start()

    assert Faults(endpoint).listed() == [rule]
    (again,) = batch.describe_jobs(jobs=[finished["jobId"]])["jobs"]
    assert (again["status"], again["attempts"]) == ("SUCCEEDED", finished["attempts"])
    ended = wait_for_job(batch, running, timeout=60)
    assert ended["status"] == "FAILED"
    (attempt,) = ended["attempts"]
    assert attempt["container"]["exitCode"] == 3, attempt  # its own, not "container is gone"
    (queue,) = batch.describe_job_queues(jobQueues=[f"kept-{unique}"])["jobQueues"]
    assert queue["state"] == "ENABLED"
