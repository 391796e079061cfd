"""Sum a JSON-lines orders file per customer into the totals table.

    python totals.py BUCKET KEY ETAG

Every line is {"customer": str, "amount": number}. The whole file is checked before anything
is written: a bad line fails the job (exit 2) with its line number, and no total changes.
Each customer's total and order count are added with one UpdateItem (ADD), and the file's key
is recorded, so a second run of the same file is refused by a condition instead of counting
twice.
"""

import json
import os
import sys
from collections import defaultdict
from decimal import Decimal

import boto3
from botocore.exceptions import ClientError

# Three of DynamoDB's reserved words, hence placeholders for them.
NAMES = {"#total": "total", "#orders": "orders", "#files": "files"}


def totals(lines):
    sums, counts = defaultdict(Decimal), defaultdict(int)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            order = json.loads(line, parse_float=Decimal)
            customer, amount = order["customer"], Decimal(order["amount"])
        except (ValueError, KeyError, TypeError) as error:
            raise SystemExit(f"line {number}: not an order ({error!r}): {line[:80]!r}") from None
        sums[customer] += amount
        counts[customer] += 1
    return sums, counts


def main(bucket, key, etag):
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
    try:
        sums, counts = totals(body.read().decode().splitlines())
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 2
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    for customer, amount in sums.items():
        try:
            table.update_item(
                Key={"customer": customer},
                UpdateExpression="ADD #total :amount, #orders :count, #files :file",
                ConditionExpression="attribute_not_exists(#files) OR NOT contains(#files, :key)",
                ExpressionAttributeNames=NAMES,
                ExpressionAttributeValues={
                    ":amount": amount,
                    ":count": counts[customer],
                    ":file": {key},
                    ":key": key,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    print(json.dumps({"key": key, "customers": len(sums), "orders": sum(counts.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
