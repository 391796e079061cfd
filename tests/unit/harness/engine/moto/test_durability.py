"""Writes the embedded engine acknowledged survive a crash: moto served in this process
through the engine's journal, its memory then dropped without a save (a crash), and a new
engine restored from the files alone."""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from harness.engine.edge.gate import RequestGate
from harness.engine.edge.journal import Journal, Request
from harness.engine.edge.recording import Deliveries
from harness.engine.moto import apps
from harness.engine.moto.durability import DurableState
from harness.engine.moto.invocations import LambdaInvocations
from harness.engine.moto.persistence import SavedState
from tests.unit.conftest import local_client as client
from tests.unit.conftest import serving


class FakeBatch:
    """The stand-in as the engine's state sees it: no jobs."""

    changed: Any = None

    def saved_state(self) -> dict:
        return {}

    def restore(self, saved: dict) -> int:
        return 0

    def has_unfinished_jobs(self) -> bool:
        return False


@contextlib.contextmanager
def engine(state: Path) -> Iterator[tuple[DurableState, str]]:
    """A fresh engine (moto holding nothing) restored from `state`, serving on loopback."""
    with mock_aws():
        durable = DurableState(
            SavedState(state),
            FakeBatch(),  # type: ignore[arg-type]
            LambdaInvocations(contextlib.nullcontext),
            RequestGate(),
        )
        app = durable.restore(apps.every_service())
        with serving(RequestGate().wsgi(app)) as url:
            durable.serving()
            yield durable, url
        # leaving without durable.stop(): the engine's memory is gone, as in a crash


def test_writes_acknowledged_before_and_after_a_save_are_back_after_a_crash(tmp_path):
    state = tmp_path / "engine.state"
    with engine(state) as (durable, url):
        s3, dynamodb = client("s3", url), client("dynamodb", url)
        s3.create_bucket(Bucket="kept-bucket")
        dynamodb.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3.put_object(Bucket="kept-bucket", Key="before.csv", Body=b"1")
        dynamodb.put_item(TableName="kept", Item={"id": {"S": "a"}, "n": {"N": "1"}})
        durable.save()
        s3.put_object(Bucket="kept-bucket", Key="after.csv", Body=b"2", Metadata={"m": "v"})
        s3.delete_object(Bucket="kept-bucket", Key="before.csv")
        dynamodb.update_item(
            TableName="kept",
            Key={"id": {"S": "a"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "10"}},
        )
        metadata = s3.get_object(Bucket="kept-bucket", Key="after.csv")["Metadata"]  # a read

    with engine(state) as (_, url):
        s3, dynamodb = client("s3", url), client("dynamodb", url)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="kept-bucket")["Contents"]]
        after = s3.get_object(Bucket="kept-bucket", Key="after.csv")
        item = dynamodb.get_item(TableName="kept", Key={"id": {"S": "a"}})["Item"]

    assert keys == ["after.csv"]
    assert (after["Body"].read(), after["Metadata"]) == (b"2", metadata)
    assert item["n"] == {"N": "11"}  # the update applied once, on top of the save


def test_a_refused_write_is_not_journaled(tmp_path):
    state = tmp_path / "engine.state"
    with engine(state) as (_, url):
        s3 = client("s3", url)
        with pytest.raises(s3.exceptions.NoSuchBucket):
            s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"1")
        s3.create_bucket(Bucket="kept-bucket")

    with engine(state) as (_, url):
        assert [b["Name"] for b in client("s3", url).list_buckets()["Buckets"]] == ["kept-bucket"]


def test_replayed_events_whose_function_never_ended_are_delivered_once_serving(tmp_path):
    invocations = LambdaInvocations(contextlib.nullcontext)
    started: list[tuple[int | None, str]] = []
    invocations._invoke = lambda sequence, account, event, arn, region: started.append(  # type: ignore[method-assign]
        (sequence, arn)
    )
    invocations.deliveries = Deliveries(Journal(tmp_path / "journal", follows=""))
    pending, delivered = Request(1, {}, b"", 1), Request(2, {}, b"", 1)

    for request, deliver in ((pending, True), (delivered, False)):
        with invocations.deliveries.during(request), invocations.replaying(deliver=deliver):
            invocations("000000000000", {}, f"function-{request.sequence}", "us-east-1")
    assert started == []  # held while the engine is not serving
    assert invocations.release() == 1
    invocations.shutdown()

    assert started == [(1, "function-1")]
