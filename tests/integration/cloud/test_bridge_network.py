"""The bridge-network path, which Docker Desktop and remote Docker engines take.

Run here on a network the harness creates for its own containers: a second engine, whose
Batch job containers and Lambda function containers run on that network and reach the engine
at the network's gateway address (where the engine then listens too), not on the host
network. Docker Desktop itself is not verified here; this is the same code path with the
gateway address in place of host.docker.internal.
"""

import io
import json
import socket
import zipfile
from collections.abc import Iterator
from ipaddress import ip_address, ip_network

import docker
import pytest

from harness.client import aws
from harness.contracts import BATCH_LOG_GROUP
from harness.images.prepare import LOCAL_BASE, PUBLIC_BASE
from harness.paths import REPO
from tests.integration.helpers import (
    csv_bytes,
    engine_on_a_bridge,
    products,
    queue_template,
    wait_for_job,
)


@pytest.fixture(scope="module")
def bridge(moto_cloud, tmp_path_factory) -> Iterator[dict]:
    """A second engine whose containers use a bridge network of the harness's own."""
    with engine_on_a_bridge(tmp_path_factory.mktemp("bridge-engine")) as (engine, prepared):
        clients = {
            service: aws.client(service, engine.endpoint)
            for service in ("s3", "dynamodb", "batch", "cloudformation", "lambda", "iam", "logs")
        }
        clients["cloudformation"].create_stack(
            StackName="bridge", TemplateBody=json.dumps(queue_template("bridge-queue"))
        )
        yield {"engine": engine, "network": prepared, **clients}


def test_the_engine_listens_on_loopback_and_the_gateway_only(bridge):
    network = bridge["network"]
    port = int(bridge["engine"].endpoint.rsplit(":", 1)[1])

    assert network.mode == "bridge" and network.engine_host == network.listen_also
    for address in ("127.0.0.1", network.engine_host):
        with socket.create_connection((address, port), timeout=2):
            pass


def test_a_job_on_the_bridge_network_reads_s3_and_writes_dynamodb(bridge, unique, processor_image):
    s3, dynamodb, batch = bridge["s3"], bridge["dynamodb"], bridge["batch"]
    s3.create_bucket(Bucket=f"bridge-{unique}")
    s3.put_object(Bucket=f"bridge-{unique}", Key="in.csv", Body=csv_bytes(products(unique, 25)))
    dynamodb.create_table(
        TableName=f"bridge-{unique}",
        KeySchema=[{"AttributeName": "ProductId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "ProductId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = batch.register_job_definition(
        jobDefinitionName=f"bridge-{unique}",
        type="container",
        containerProperties={
            "image": processor_image,
            "command": ["--bucket", "Ref::bucket", "--key", "Ref::key"],
            "environment": [{"name": "TABLE_NAME", "value": f"bridge-{unique}"}],
        },
    )["jobDefinitionArn"]

    job_id = batch.submit_job(
        jobName=f"bridge-{unique}",
        jobQueue="bridge-queue",
        jobDefinition=definition,
        parameters={"bucket": f"bridge-{unique}", "key": "in.csv"},
    )["jobId"]
    job = wait_for_job(batch, job_id)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    count = dynamodb.scan(TableName=f"bridge-{unique}", Select="COUNT")["Count"]
    assert count == 25


def test_a_job_container_is_on_the_harness_network_not_the_host_network(bridge, unique):
    client = docker.from_env()
    base = next(name for name in (PUBLIC_BASE, LOCAL_BASE) if client.images.list(name=name))
    definition = bridge["batch"].register_job_definition(
        jobDefinitionName=f"address-{unique}",
        type="container",
        containerProperties={
            "image": base,
            "command": [
                "python3",
                "-c",
                "import socket; print(socket.gethostbyname(socket.gethostname()))",
            ],
        },
    )["jobDefinitionArn"]

    job = wait_for_job(
        bridge["batch"],
        bridge["batch"].submit_job(
            jobName=f"address-{unique}", jobQueue="bridge-queue", jobDefinition=definition
        )["jobId"],
    )

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    (event,) = bridge["logs"].get_log_events(
        logGroupName=BATCH_LOG_GROUP, logStreamName=job["container"]["logStreamName"]
    )["events"]
    subnet = client.networks.get(bridge["network"].network_name).attrs["IPAM"]["Config"][0]
    assert ip_address(event["message"].strip()) in ip_network(subnet["Subnet"])


def trigger_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (REPO / "lambda" / "trigger").glob("*.py"):
            archive.write(path, f"trigger/{path.name}")
    return buffer.getvalue()


def test_a_function_on_the_bridge_network_submits_a_job_through_the_engine(bridge, unique):
    role = bridge["iam"].create_role(
        RoleName=f"bridge-{unique}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    definition = bridge["batch"].register_job_definition(
        jobDefinitionName=f"bridge-fn-{unique}",
        type="container",
        containerProperties={"image": f"csv-pipeline/not-built-{unique}:1"},
    )["jobDefinitionArn"]
    bridge["lambda"].create_function(
        FunctionName=f"bridge-{unique}",
        Runtime="python3.12",
        Role=role,
        Handler="trigger.handler.handler",
        Code={"ZipFile": trigger_zip()},
        Environment={"Variables": {"JOB_QUEUE": "bridge-queue", "JOB_DEFINITION": definition}},
        Timeout=30,
    )
    s3 = {"bucket": {"name": "uploads"}, "object": {"key": f"{unique}.csv", "eTag": "e1"}}
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": s3}]}

    response = bridge["lambda"].invoke(FunctionName=f"bridge-{unique}", Payload=json.dumps(event))

    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    (job_id,) = result["jobIds"]
    (job,) = bridge["batch"].describe_jobs(jobs=[job_id])["jobs"]
    assert job["parameters"]["key"] == f"{unique}.csv"
