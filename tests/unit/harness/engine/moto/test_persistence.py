"""The embedded engine's saved state: moto's backends and the stand-in's, written and read
back as the engine does at stop and start (moto in-process, no Docker)."""

import io
import json
import pickle
import time
import zipfile

import boto3
import pytest
from moto import mock_aws

from harness.cloud import saved_state
from harness.engine.moto import persistence
from harness.engine.moto.persistence import SavedState

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default, in-process


class FakeBatch:
    """The stand-in's side of the file: what it saved, and what it was given back."""

    def __init__(self, saved: dict | None = None) -> None:
        self.saved = saved or {}
        self.restored: dict | None = None

    def saved_state(self) -> dict:
        return self.saved

    def restore(self, saved: dict) -> int:
        self.restored = saved
        return len(saved)


def client(service: str):
    return boto3.client(service, region_name=REGION)


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def fill_every_kind_of_backend() -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="kept-bucket")
    s3.put_bucket_versioning(Bucket="kept-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="kept-bucket", Key="a.csv", Body=b"one", Metadata={"origin": "test"})
    s3.put_object(Bucket="kept-bucket", Key="a.csv", Body=b"two")
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="kept-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="kept-table", Item={"id": {"S": "1"}, "n": {"N": "7"}})
    ssm = client("ssm")
    ssm.put_parameter(Name="/kept", Value="v", Type="String", Tags=[{"Key": "k", "Value": "t"}])
    logs = client("logs")
    logs.create_log_group(logGroupName="kept-group")
    logs.create_log_stream(logGroupName="kept-group", logStreamName="s")
    logs.put_log_events(
        logGroupName="kept-group",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "line"}],
    )
    role = client("iam").create_role(
        RoleName="kept-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    topic = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    client("cloudformation").create_stack(StackName="kept-stack", TemplateBody=json.dumps(topic))
    client("lambda").create_function(
        FunctionName="kept-function",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
    )


def test_every_service_and_the_stand_in_come_back_from_the_file(tmp_path):
    saved = SavedState(tmp_path / "engine.state")
    with mock_aws():
        fill_every_kind_of_backend()
        saved.save(FakeBatch({"us-east-1": {"jobs": {}}}))

    with mock_aws():
        assert client("s3").list_buckets()["Buckets"] == []  # a fresh engine holds nothing
        restored = saved.load()

        s3 = client("s3")
        assert s3.get_object(Bucket="kept-bucket", Key="a.csv")["Body"].read() == b"two"
        versions = s3.list_object_versions(Bucket="kept-bucket")["Versions"]
        (older,) = [version["VersionId"] for version in versions if not version["IsLatest"]]
        oldest = s3.get_object(Bucket="kept-bucket", Key="a.csv", VersionId=older)
        assert (oldest["Body"].read(), oldest["Metadata"]) == (b"one", {"origin": "test"})
        item = client("dynamodb").get_item(TableName="kept-table", Key={"id": {"S": "1"}})
        assert item["Item"]["n"] == {"N": "7"}
        ssm = client("ssm")
        assert ssm.get_parameter(Name="/kept")["Parameter"]["Value"] == "v"
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/kept")
        assert tags["TagList"] == [{"Key": "k", "Value": "t"}]
        events = client("logs").get_log_events(logGroupName="kept-group", logStreamName="s")
        assert [event["message"] for event in events["events"]] == ["line"]
        assert (
            client("lambda")
            .get_function(FunctionName="kept-function")["Configuration"]["Role"]
            .endswith("role/kept-role")
        )
        from moto.awslambda.models import lambda_backends

        function = lambda_backends[ACCOUNT][REGION].get_function("kept-function")
        assert function._DockerModel__docker_client is None  # it can run containers again
        (stack,) = client("cloudformation").describe_stacks(StackName="kept-stack")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert len(client("sns").list_topics()["Topics"]) == 1
        assert restored is not None and restored.batch == {"us-east-1": {"jobs": {}}}
        # what was restored is saved again as well
        saved.save(FakeBatch())


def test_a_file_that_cannot_be_read_is_set_aside_and_the_engine_starts_empty(tmp_path, caplog):
    path = tmp_path / "engine.state"
    path.write_bytes(b"not a saved state")
    with mock_aws():
        restored = SavedState(path).load()

    (aside,) = tmp_path.glob("engine.state.unreadable-*")
    assert aside.read_bytes() == b"not a saved state" and not path.exists()
    assert restored is None
    assert "was not restored: it cannot be read" in caplog.text
    assert "the engine starts empty" in caplog.text


def test_without_a_file_the_engine_starts_empty(tmp_path, caplog):
    with caplog.at_level("INFO"):
        assert SavedState(tmp_path / "absent.state").load() is None

    assert "no saved state at" in caplog.text


@pytest.mark.parametrize("version", ["harness", "moto"])
def test_state_from_other_versions_is_restored_with_a_warning(
    tmp_path, caplog, version, monkeypatch
):
    path = tmp_path / "engine.state"
    with mock_aws():
        client("s3").create_bucket(Bucket="kept-bucket")
        SavedState(path).save(FakeBatch())
    owner = persistence if version == "harness" else persistence.internals
    monkeypatch.setattr(owner, f"{version.upper()}_VERSION", "0.0.0")
    with mock_aws():
        SavedState(path).load()
        assert [b["Name"] for b in client("s3").list_buckets()["Buckets"]] == ["kept-bucket"]

    assert "restoring it all the same" in caplog.text


def test_state_that_does_not_fit_this_moto_is_set_aside_and_changes_nothing(tmp_path, caplog):
    path = tmp_path / "engine.state"
    with mock_aws():
        client("s3").create_bucket(Bucket="kept-bucket")
        SavedState(path).save(FakeBatch())
    header, payload = saved_state.read(path)
    state = pickle.loads(payload)
    state["moto_backends"][("moto.s3.models", "a-service-this-moto-lacks")] = {}
    buffer = io.BytesIO()
    persistence._Pickler(buffer).dump(state)
    saved_state.write(path, header, buffer.getvalue())
    with mock_aws():
        assert SavedState(path).load() is None
        assert client("s3").list_buckets()["Buckets"] == []

    assert "was not restored: it cannot be read" in caplog.text
