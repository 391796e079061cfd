"""A multi-node parallel job on the real stand-in and Docker engine: its nodes run as
containers on the harness's bridge network, each at an address of its own, find the main node
by the address AWS Batch gives them, and reach the engine at the endpoint they are given.

On LocalStack's cloud every job runs on the bridge network; the embedded engine on Linux runs
jobs on the host network, and its nodes on the bridge network all the same
(harness/engine/moto/node_network.py).
"""

import json
import re
import uuid
from typing import Any

from harness.client import aws
from harness.client.pipeline import Pipeline
from harness.contracts import StackOutputs
from tests.integration.helpers import base_image, log_of, wait_for_job

PORT = 7000  # every node listens on it: on a shared network the second bind would fail
NODES = 3
# Each node says which engine answers at its AWS_ENDPOINT_URL and binds PORT on its own
# address. The main node takes one message from each other node and waits for that node to
# close, then prints what it heard; the others connect to the main node's address as AWS
# Batch gives it, say who they are and print what they did.
NODE_PROGRAM = f"""
import json, os, socket, time, urllib.request
index = int(os.environ["AWS_BATCH_JOB_NODE_INDEX"])
count = int(os.environ["AWS_BATCH_JOB_NUM_NODES"])
health = os.environ["AWS_ENDPOINT_URL"] + "/_harness/health"
print("node", index, "reached", json.load(urllib.request.urlopen(health))["batch"], flush=True)
own = socket.gethostbyname(socket.gethostname())
server = socket.create_server((own, {PORT}))
print("node", index, "of", count, "listens on", own, flush=True)
if index == int(os.environ["AWS_BATCH_JOB_MAIN_NODE_INDEX"]):
    server.settimeout(60)
    heard = []
    while len(heard) < count - 1:
        connection, (address, _) = server.accept()
        heard.append(connection.recv(64).decode() + " from " + address)
        connection.recv(1)
    print("main heard:", "; ".join(sorted(heard)), flush=True)
else:
    main = os.environ["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"]
    for _ in range(200):
        try:
            connection = socket.create_connection((main, {PORT}), timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    connection.sendall(f"node {{index}}".encode())
    print("node", index, "told the main node at", main, flush=True)
"""


def nodes_definition(batch: Any, name: str) -> None:
    """An EC2 environment, a queue on it and a definition of NODES nodes, main node 0."""
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={"type": "EC2", "maxvCpus": NODES, "instanceTypes": ["optimal"]},
    )
    batch.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}],
    )
    container = {
        "image": base_image(),
        "command": ["python3", "-c", NODE_PROGRAM],
        "resourceRequirements": [
            {"type": "VCPU", "value": "1"},
            {"type": "MEMORY", "value": "256"},
        ],
    }
    batch.register_job_definition(
        jobDefinitionName=name,
        type="multinode",
        nodeProperties={
            "numNodes": NODES,
            "mainNode": 0,
            "nodeRangeProperties": [{"targetNodes": "0:", "container": container}],
        },
    )


def own_address(log: str, index: int) -> str:
    """The address node `index` said it listens on (a node that ends at once may end before
    the stand-in reads its address, so its attempt may not give it)."""
    found = re.search(rf"node {index} of {NODES} listens on (\S+)", log)
    assert found, log
    return found.group(1)


def test_the_nodes_of_a_multi_node_job_see_each_other_at_their_own_addresses(local_cloud):
    endpoint = local_cloud.endpoint
    batch = aws.client("batch", endpoint)
    name = f"nodes-{uuid.uuid4().hex[:8]}"
    nodes_definition(batch, name)

    job_id = batch.submit_job(jobName=name, jobQueue=name, jobDefinition=name)["jobId"]
    job = wait_for_job(batch, job_id, timeout=120)

    node_ids = [f"{job_id}#{index}" for index in range(NODES)]
    nodes = {node["jobId"]: node for node in batch.describe_jobs(jobs=node_ids)["jobs"]}
    main = nodes[node_ids[0]]
    assert job["status"] == "SUCCEEDED", json.dumps(job, indent=1)
    assert main["status"] == "SUCCEEDED" and main["nodeDetails"]["isMainNode"] is True
    logs = [log_of(endpoint, nodes[node_id]) for node_id in node_ids]
    addresses = [own_address(log, index) for index, log in enumerate(logs)]
    assert len(set(addresses)) == NODES, addresses
    for index, log in enumerate(logs):
        assert f"node {index} reached stand-in" in log, log
    interfaces = main["attempts"][-1]["container"]["networkInterfaces"]
    assert interfaces == [{"privateIpv4Address": addresses[0]}]
    heard = "; ".join(f"node {index} from {addresses[index]}" for index in range(1, NODES))
    assert f"main heard: {heard}" in logs[0], logs[0]
    for index in range(1, NODES):
        assert f"node {index} told the main node at {addresses[0]}" in logs[index]
    listed = batch.list_jobs(multiNodeJobId=job_id, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert node_ids[0] in [summary["jobId"] for summary in listed]

    # What `harness jobs --children`, `harness logs` and the console read through.
    queue_only = StackOutputs(
        bucket="", table="", job_queue=name, job_definition=name, function="", upload_prefix=""
    )
    client = Pipeline(endpoint, queue_only)
    (summary,) = [j for j in client.jobs() if j["jobId"] == job_id]
    assert [part["jobId"] for part in client.parts(summary)] == node_ids
    lines = list(client.log_lines(job_id))
    assert f"[#0] main heard: {heard}" in lines, lines
    assert f"[#1] node 1 told the main node at {addresses[0]}" in lines, lines
