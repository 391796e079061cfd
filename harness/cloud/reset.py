"""`harness state reset`: the local cloud's data emptied, its deployed stack kept.

What the app's stack holds is found from the stack itself (any CDK app): its buckets lose
every object and version, its tables every item, and the log groups of its functions and of
Batch every stream; the Batch stand-in's running jobs are terminated and its job history
dropped first, so nothing writes while the rest is emptied. Queues, compute environments, job
definitions, functions, roles and the stack stay as deployed: no redeploy is needed."""

import time
from dataclasses import dataclass
from typing import Any

from harness.client import aws
from harness.contracts import BATCH_LOG_GROUP
from harness.control.client import BatchJobs
from harness.errors import HarnessError

DELETE_OBJECTS_MAX = 1000  # S3 DeleteObjects' limit per call
BATCH_WRITE_MAX = 25  # DynamoDB BatchWriteItem's limit per call
UNPROCESSED_ATTEMPTS = 20


@dataclass(frozen=True)
class Emptied:
    jobs: int
    objects: int
    items: int
    log_streams: int

    def __str__(self) -> str:
        return (
            f"{self.jobs} jobs, {self.objects} objects, {self.items} items and "
            f"{self.log_streams} log streams removed; the stack stays deployed"
        )


def reset_data(endpoint: str, stack: str) -> Emptied:
    """Empty what the deployed `stack` holds on the engine at `endpoint` (module docstring)."""
    resources = stack_resources(endpoint, stack)
    functions = resources.get("AWS::Lambda::Function", [])
    groups = {
        BATCH_LOG_GROUP,
        *(f"/aws/lambda/{function}" for function in functions),
        *resources.get("AWS::Logs::LogGroup", []),
    }
    jobs = BatchJobs(endpoint).forget()
    s3, dynamodb, logs = (aws.client(name, endpoint) for name in ("s3", "dynamodb", "logs"))
    return Emptied(
        jobs=jobs,
        objects=sum(empty_bucket(s3, name) for name in resources.get("AWS::S3::Bucket", [])),
        items=sum(
            empty_table(dynamodb, name) for name in resources.get("AWS::DynamoDB::Table", [])
        ),
        log_streams=sum(empty_log_group(logs, name) for name in sorted(groups)),
    )


def stack_resources(endpoint: str, stack: str) -> dict[str, list[str]]:
    """The physical ids of the stack's resources, by resource type."""
    cloudformation = aws.client("cloudformation", endpoint)
    found: dict[str, list[str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource.get("PhysicalResourceId"):
                found.setdefault(resource["ResourceType"], []).append(
                    resource["PhysicalResourceId"]
                )
    return found


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker of `bucket`; how many."""
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(entries), DELETE_OBJECTS_MAX):
            chunk = entries[start : start + DELETE_OBJECTS_MAX]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            if answer.get("Errors"):
                raise HarnessError(f"emptying bucket {bucket} failed: {answer['Errors'][:3]}")
            removed += len(chunk)
    return removed


def empty_table(dynamodb: Any, table: str) -> int:
    """Delete every item of `table`; how many."""
    keys = [
        key["AttributeName"]
        for key in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    ]
    names = {f"#k{index}": key for index, key in enumerate(keys)}
    removed = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
    )
    for page in pages:
        items = page["Items"]
        for start in range(0, len(items), BATCH_WRITE_MAX):
            requests = [
                {"DeleteRequest": {"Key": key}} for key in items[start : start + BATCH_WRITE_MAX]
            ]
            delete_all(dynamodb, table, requests)
        removed += len(items)
    return removed


def delete_all(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """One BatchWriteItem of deletions, its unprocessed items sent again a while later."""
    pending: dict[str, Any] = {table: requests}
    for attempt in range(UNPROCESSED_ATTEMPTS):
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(0.05 * (attempt + 1))
    raise HarnessError(
        f"emptying table {table}: DynamoDB kept items unprocessed {UNPROCESSED_ATTEMPTS} times "
        "(fault rules active? `harness faults clear`)"
    )


def empty_log_group(logs: Any, group: str) -> int:
    """Delete every stream of log group `group` (none when it does not exist); how many."""
    try:
        streams = [
            stream["logStreamName"]
            for page in logs.get_paginator("describe_log_streams").paginate(logGroupName=group)
            for stream in page["logStreams"]
        ]
    except logs.exceptions.ResourceNotFoundException:
        return 0
    for stream in streams:
        logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    return len(streams)
