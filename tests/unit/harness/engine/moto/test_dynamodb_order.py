"""The embedded engine's cheaper DynamoDB ordering gives moto's own answers, page for page."""

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType

from harness.engine.moto import dynamodb_order, internals

Pages = list[list[dict[str, Any]]]
ITEMS = 40
MAX_PAGES = ITEMS  # pages of 4: 11 at most for the whole table

VALUES = [
    {"S": "b"},
    {"S": ""},
    {"N": "10"},
    {"N": "-1.50"},
    {"B": b"\x00\x01"},
    {"BOOL": True},
    {"NULL": True},
    {"SS": ["a", "b"]},
    {"NS": ["1", "2.0"]},
    {"BS": [b"x"]},
    {"L": [{"S": "a"}, {"N": "3"}, {"L": [{"NULL": True}]}]},
    {"M": {"k": {"N": "7"}, "m": {"M": {"s": {"SS": ["z"]}}}}},
]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A table keyed on a number and a string, with an index keyed on a string and a number:
    numeric keys order differently from their text ("9" < "10" as numbers only)."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "n", "KeyType": "HASH"},
                {"AttributeName": "s", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "n", "AttributeType": "N"},
                {"AttributeName": "s", "AttributeType": "S"},
                {"AttributeName": "group", "AttributeType": "S"},
                {"AttributeName": "rank", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByGroup",
                    "KeySchema": [
                        {"AttributeName": "group", "KeyType": "HASH"},
                        {"AttributeName": "rank", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for n in range(ITEMS):
            client.put_item(
                TableName="t",
                Item={
                    "n": {"N": str(n % 13 - 6)},
                    "s": {"S": f"r{39 - n}"},
                    "group": {"S": "g" if n % 3 else "h"},
                    "rank": {"N": str((n * 7) % 11)},  # ties: the table's keys break them
                },
            )
        yield client


def pages(call: Callable[..., dict[str, Any]], **request: Any) -> Pages:
    """Every page of a Scan or Query, as the client pages it by LastEvaluatedKey (at most
    MAX_PAGES: a wrong order can send paging round in circles)."""
    found: Pages = []
    while len(found) < MAX_PAGES:
        page = call(Limit=4, **request)
        found.append(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found


def reads(client: Any) -> list[Pages]:
    group = {
        "TableName": "t",
        "IndexName": "ByGroup",
        "KeyConditionExpression": "#g = :g",
        "ExpressionAttributeNames": {"#g": "group"},
        "ExpressionAttributeValues": {":g": {"S": "g"}},
    }
    ranked = {
        **group,
        "KeyConditionExpression": "#g = :g AND #r BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#g": "group", "#r": "rank"},
        "ExpressionAttributeValues": {
            ":g": {"S": "g"},
            ":low": {"N": "2"},
            ":high": {"N": "9"},
        },
    }
    table_query = {
        "TableName": "t",
        "KeyConditionExpression": "n = :n",
        "ExpressionAttributeValues": {":n": {"N": "-2"}},
    }
    return [
        pages(client.scan, TableName="t"),
        pages(client.query, **group),
        pages(client.query, **group, ScanIndexForward=False),
        pages(client.query, **ranked),
        pages(client.query, **table_query),
        pages(client.query, **table_query, ScanIndexForward=False),
    ]


def test_scans_and_queries_page_as_moto_does(dynamodb: Any) -> None:
    before = reads(dynamodb)
    replacements = internals.Replacements()
    dynamodb_order.install(replacements)
    try:
        after = reads(dynamodb)
    finally:
        replacements.undo()
    assert after == before
    scanned = [item for page in before[0] for item in page]
    assert len(scanned) == ITEMS
    # Sanity of the comparison itself: numbers were ordered as numbers.
    hash_keys = [int(item["n"]["N"]) for item in scanned]
    assert hash_keys == sorted(hash_keys) and hash_keys[0] == -6


@pytest.mark.parametrize("value", VALUES, ids=lambda value: next(iter(value)))
def test_cast_value_is_moto_s(value: dict[str, Any]) -> None:
    assert dynamodb_order.cast_value(DynamoType(value)) == DynamoType(value).cast_value


def test_installed_and_undone() -> None:
    original = internals.get(dynamodb_order.DYNAMO_TYPE, "DynamoType.cast_value")
    replacements = internals.Replacements()
    dynamodb_order.install(replacements)
    assert DynamoType.__dict__["cast_value"].fget is dynamodb_order.cast_value
    replacements.undo()
    assert DynamoType.__dict__["cast_value"] is original
