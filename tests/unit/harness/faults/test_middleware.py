"""Fault rules at the engine's edge: moto's server app behind the injector, served in this
process on loopback, called by boto3 as the pipeline calls AWS."""

import random
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from harness.cli import main as cli
from harness.control.client import Faults
from harness.faults.middleware import FaultInjector
from harness.faults.rules import FaultRuleError, FaultRules
from tests.unit.conftest import serving

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def endpoint() -> Iterator[str]:
    app = FaultInjector(
        DomainDispatcherApplication(create_backend_app), FaultRules(random.Random(7))
    )
    with serving(app) as url:
        yield url


def client(service: str, endpoint: str, config: Config | None = None) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config)


def table(endpoint: str) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    client("dynamodb", endpoint).create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    return name


def test_a_dynamodb_error_in_dynamodbs_shape_for_a_count_of_calls(endpoint):
    faults, name = Faults(endpoint), table(endpoint)
    rule = faults.add(
        service="dynamodb", operation="PutItem", error="ThrottlingException", count=2, match=name
    )
    dynamodb = client("dynamodb", endpoint, NO_RETRIES)
    item = {"id": {"S": "1"}}

    errors = []
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            dynamodb.put_item(TableName=name, Item=item)
        errors.append(raised.value.response)
    dynamodb.put_item(TableName=name, Item=item)  # the count is spent

    assert [e["Error"]["Code"] for e in errors] == ["ThrottlingException"] * 2
    assert errors[0]["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert faults.listed() == [{**rule, "injected": 2}]
    other = table(endpoint)
    dynamodb.put_item(TableName=other, Item=item)  # another table does not match


def test_s3_slowdown_503_is_retried_by_the_sdk_as_in_aws(endpoint):
    s3 = client("s3", endpoint)
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.csv", Body=b"id\n1\n")
    faults = Faults(endpoint)
    faults.add(service="s3", operation="GetObject", error="SlowDown", count=2)

    with pytest.raises(ClientError, match="SlowDown"):
        client("s3", endpoint, NO_RETRIES).get_object(Bucket=bucket, Key="a.csv")
    body = s3.get_object(Bucket=bucket, Key="a.csv")["Body"].read()  # 1 more fault, 1 retry

    assert body == b"id\n1\n"
    assert faults.listed()[0]["injected"] == 2


def test_batchwriteitem_returns_part_of_the_items_unprocessed_and_writes_the_rest(endpoint):
    name = table(endpoint)
    Faults(endpoint).add(service="dynamodb", operation="BatchWriteItem", unprocessed=0.3)
    dynamodb = client("dynamodb", endpoint)
    requests = [{"PutRequest": {"Item": {"id": {"S": str(i)}}}} for i in range(25)]

    response = dynamodb.batch_write_item(RequestItems={name: requests})
    held = response["UnprocessedItems"].get(name, [])
    written = dynamodb.scan(TableName=name)["Count"]

    assert 0 < len(held) < 25
    assert written + len(held) == 25
    written_ids = {i["id"]["S"] for i in dynamodb.scan(TableName=name)["Items"]}
    assert written_ids.isdisjoint({r["PutRequest"]["Item"]["id"]["S"] for r in held})


def test_a_query_protocol_error_and_a_delay(endpoint):
    faults = Faults(endpoint)
    faults.add(service="sts", operation="GetCallerIdentity", error="Throttling", count=1)

    with pytest.raises(ClientError) as raised:
        client("sts", endpoint, NO_RETRIES).get_caller_identity()
    assert raised.value.response["Error"]["Code"] == "Throttling"

    faults.clear()
    faults.add(service="sts", latency_ms=300, count=1)
    assert seconds(lambda: client("sts", endpoint).get_caller_identity()) >= 0.3


def test_rules_are_checked_listed_and_cleared(endpoint):
    faults = Faults(endpoint)

    with pytest.raises(FaultRuleError, match="exactly one of error, latency_ms, unprocessed"):
        faults.add(service="dynamodb")
    with pytest.raises(FaultRuleError, match="BatchWriteItem only"):
        faults.add(service="s3", unprocessed=0.5)
    with pytest.raises(FaultRuleError, match="probability"):
        faults.add(service="s3", error="SlowDown", probability=2)
    faults.add(service="s3", error="SlowDown")
    faults.add(service="dynamodb", error="InternalServerError", operation="Scan")

    assert [rule["service"] for rule in faults.listed()] == ["s3", "dynamodb"]
    assert faults.clear() == 2
    assert faults.listed() == []


def test_bad_rules_exit_2_from_the_cli_with_what_is_wrong(endpoint, monkeypatch, capsys):
    monkeypatch.setattr(cli, "LocalCloud", lambda: SimpleNamespace(endpoint=endpoint))
    add = ["faults", "add", "--error", "SlowDown"]

    assert cli.main([*add, "--service", "dynamdb"]) == 2
    assert "unknown service 'dynamdb'" in (err := capsys.readouterr().err)
    assert "did you mean dynamodb?" in err
    assert cli.main([*add, "--service", "s3", "--probability", "1.5"]) == 2
    assert "probability must be in (0, 1], not 1.5" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.main(["faults", "break"])
    assert refused.value.code == 2
    assert Faults(endpoint).listed() == []

    assert cli.main([*add, "--service", "s3"]) == 0
    assert [rule["service"] for rule in Faults(endpoint).listed()] == ["s3"]


def test_an_engine_that_does_not_answer_is_not_bad_input(monkeypatch, capsys):
    monkeypatch.delenv("HARNESS_PORT", raising=False)  # `make test` sets the tests' own
    monkeypatch.setattr(cli, "LocalCloud", lambda: SimpleNamespace(endpoint="http://127.0.0.1:9"))
    assert cli.main(["faults", "list"]) == 1
    assert "start it with `make local-up`" in capsys.readouterr().err


def seconds(call: Any) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started
