"""IAM enforced on the embedded engine: moto's own authorization, switched on and fed the
resource ARNs, in-process against the pinned moto (served on loopback; no Docker)."""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from harness.batch.backend import BatchBackend
from harness.batch.responses import BatchApp, is_batch_request
from harness.client import aws
from harness.control.client import ControlError, Iam
from harness.control.routes import IAM_PATH
from harness.engine.moto import internals
from harness.engine.moto.iam import IamEnforcement, manage
from tests.unit.conftest import serving

ACCOUNT = "123456789012"  # moto's default account in this process
REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        }
    ],
}


@pytest.fixture
def engine() -> Iterator[dict[str, Any]]:
    """moto and the Batch stand-in behind one endpoint, IAM enforcement installed (and
    undone afterwards: moto's authorization is process-wide)."""
    moto_app = DomainDispatcherApplication(create_backend_app)
    batch = BatchBackend(ACCOUNT, REGION, start_job=lambda job: None)
    holder: dict[str, Any] = {}

    def edge(environ: dict[str, Any], start_response: Any) -> Any:
        app = holder["batch"] if is_batch_request(environ) else moto_app
        return app(environ, start_response)

    with serving(edge) as url:
        iam = IamEnforcement(ACCOUNT, url, enforce=True)
        replacements = internals.Replacements()
        iam.install(replacements)
        holder["batch"] = BatchApp(lambda region: batch, iam.authorize_batch)
        suffix = uuid.uuid4().hex[:8]
        try:
            yield {
                "url": url,
                "iam": iam,
                "batch": batch,
                "suffix": suffix,
                "admin": lambda service: aws.client(service, url, REGION),
            }
        finally:
            replacements.undo()


def role(engine: dict[str, Any], name: str, statements: list[dict[str, Any]]) -> str:
    iam = engine["admin"]("iam")
    arn = iam.create_role(
        RoleName=f"{name}-{engine['suffix']}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"{name}-{engine['suffix']}",
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn


def client_as(engine: dict[str, Any], role_arn: str, service: str) -> Any:
    credentials = engine["iam"].job_credentials(role_arn, "job-1", REGION)
    return boto3.client(
        service,
        endpoint_url=engine["url"],
        region_name=REGION,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


@pytest.fixture
def data(engine: dict[str, Any]) -> dict[str, str]:
    table, bucket = f"items-{engine['suffix']}", f"uploads-{engine['suffix']}"
    engine["admin"]("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    s3 = engine["admin"]("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="uploads/a.csv", Body=b"k\n1\n")
    s3.put_object(Bucket=bucket, Key="private/b.csv", Body=b"k\n2\n")
    return {
        "table": table,
        "bucket": bucket,
        "table_arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}",
    }


def write(dynamodb: Any, table: str) -> None:
    dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"k": {"S": "1"}}}}]})


def test_a_role_is_allowed_what_its_policy_grants_on_that_resource_only(engine, data):
    job_role = role(
        engine,
        "job",
        [
            {"Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": data["table_arn"]},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{data['bucket']}/uploads/*",
            },
        ],
    )
    dynamodb, s3 = client_as(engine, job_role, "dynamodb"), client_as(engine, job_role, "s3")

    write(dynamodb, data["table"])
    assert s3.get_object(Bucket=data["bucket"], Key="uploads/a.csv")["Body"].read() == b"k\n1\n"
    with pytest.raises(ClientError) as other_key:
        s3.get_object(Bucket=data["bucket"], Key="private/b.csv")
    with pytest.raises(ClientError) as other_action:
        dynamodb.scan(TableName=data["table"])

    assert other_key.value.response["Error"]["Code"] == "AccessDenied"
    denied = other_action.value.response["Error"]
    assert denied["Code"] == "AccessDeniedException"
    assert "dynamodb:Scan" in denied["Message"] and data["table_arn"] in denied["Message"]


def test_a_role_without_batch_write_item_is_denied_in_dynamodbs_own_error_shape(engine, data):
    reader = role(
        engine,
        "reader",
        [
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": data["table_arn"]},
        ],
    )

    with pytest.raises(ClientError) as raised:
        write(client_as(engine, reader, "dynamodb"), data["table"])

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "is not authorized to perform: dynamodb:BatchWriteItem" in str(raised.value)
    assert engine["admin"]("dynamodb").scan(TableName=data["table"])["Count"] == 0


def test_submit_job_is_checked_against_the_queue_and_the_definition_revision(engine):
    batch = engine["batch"]
    batch.create_compute_environment("compute", {"type": "FARGATE", "maxvCpus": 4})
    queue = batch.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    allowed = batch.register_job_definition("allowed", {"image": "i"})
    batch.register_job_definition("other", {"image": "i"})
    every_revision = f"{allowed.arn.rsplit(':', 1)[0]}:*"
    trigger = role(
        engine,
        "trigger",
        [{"Effect": "Allow", "Action": "batch:SubmitJob", "Resource": [queue.arn, every_revision]}],
    )
    client = client_as(engine, trigger, "batch")

    submitted = client.submit_job(jobName="ok", jobQueue="queue", jobDefinition="allowed")
    with pytest.raises(ClientError) as raised:
        client.submit_job(jobName="no", jobQueue="queue", jobDefinition="other")

    assert submitted["jobId"] in batch.jobs
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "batch:SubmitJob" in str(raised.value) and "job-definition/other:1" in str(raised.value)
    assert [job.name for job in batch.jobs.values()] == ["ok"]


def test_the_developers_credentials_pass_and_switching_off_gives_jobs_the_test_credentials(
    engine, data
):
    write(engine["admin"]("dynamodb"), data["table"])  # not issued here: not checked
    engine["iam"].enforce = False

    assert engine["iam"].job_credentials("arn:aws:iam::1:role/any", "job", REGION) == dict(
        aws.CREDENTIALS
    )


def test_a_job_without_a_role_gets_no_credentials_while_enforced(engine):
    assert engine["iam"].job_credentials(None, "job-2", REGION) == {}


def test_the_switch_turns_enforcement_on_and_off_and_refuses_anything_else():
    enforcement = IamEnforcement(ACCOUNT, "http://127.0.0.1:1")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return manage(enforcement, environ, start_response)

    with serving(app) as url:
        iam = Iam(url)
        assert iam.enforced() is False
        assert iam.enforced(True) is True and enforcement.enforce
        refused = requests.put(url + IAM_PATH, json={"enforce": "yes"}, timeout=5)
        assert iam.enforced(False) is False and not enforcement.enforce

    assert refused.status_code == 400 and enforcement.enforce is False


def test_an_engine_without_the_switch_is_named_as_such():
    def not_found(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return [b""]

    with serving(not_found) as url, pytest.raises(ControlError, match="embedded engine"):
        Iam(url).enforced(True)
