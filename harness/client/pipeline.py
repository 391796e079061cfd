"""What a user does with the deployed pipeline: upload, watch jobs, read logs and rows."""

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

from harness.batch.states import FINAL_STATES, JobStatus
from harness.client import aws
from harness.contracts import BATCH_LOG_GROUP, StackOutputs
from harness.errors import BadInput, HarnessError
from harness.waiting import wait_until


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    etag: str
    at_ms: int  # when the engine stored it (its Date header: whole seconds)
    # The queue's jobs before the upload: an earlier upload of the same bytes whose job was
    # created in the same second is not this one's.
    earlier_jobs: frozenset[str]

    @classmethod
    def from_response(
        cls, bucket: str, key: str, response: dict[str, Any], earlier_jobs: frozenset[str]
    ) -> "Upload":
        date = response["ResponseMetadata"]["HTTPHeaders"]["date"]
        at_ms = int(parsedate_to_datetime(date).timestamp()) * 1000
        return cls(bucket, key, response["ETag"].strip('"'), at_ms, earlier_jobs)


class JobWaitTimeout(HarnessError):
    pass


class NoSuchJob(HarnessError):
    pass


class LogGone(HarnessError):
    """A job names a log stream that CloudWatch Logs does not have."""


class Pipeline:
    def __init__(self, endpoint: str | None, outputs: StackOutputs) -> None:
        """`endpoint`: the local engine, or None for AWS itself."""
        self.endpoint = endpoint
        self.outputs = outputs
        self.s3 = aws.client("s3", endpoint)
        self.batch = aws.client("batch", endpoint)
        self.dynamodb = aws.client("dynamodb", endpoint)
        self.logs = aws.client("logs", endpoint)

    def upload_key(self, name: str) -> str:
        """The key of a file named `name` under the upload prefix (which starts a job)."""
        return f"{self.outputs.upload_prefix}{name}"

    def upload(self, path: Path, key: str | None = None) -> Upload:
        key = key or self.upload_key(path.name)
        with path.open("rb") as body:
            return self.upload_bytes(key, body)

    def upload_bytes(self, key: str, body: bytes | BinaryIO) -> Upload:
        earlier_jobs = frozenset(job["jobId"] for job in self.jobs())
        response = self.s3.put_object(Bucket=self.outputs.bucket, Key=key, Body=body)
        return Upload.from_response(self.outputs.bucket, key, response, earlier_jobs)

    def jobs(self) -> list[dict[str, Any]]:
        """Every job of the queue, in every state, newest first."""
        jobs = self._listed(jobQueue=self.outputs.job_queue)
        return sorted(jobs, key=lambda job: job["createdAt"], reverse=True)

    def children(self, array_job_id: str) -> list[dict[str, Any]]:
        """An array job's children, in every state, by index."""
        children = self._listed(arrayJobId=array_job_id)
        return sorted(children, key=lambda job: job.get("arrayProperties", {}).get("index", 0))

    def nodes(self, multi_node_job_id: str) -> list[dict[str, Any]]:
        """A multi-node parallel job's node jobs, in every state, by node index."""
        nodes = self._listed(multiNodeJobId=multi_node_job_id)
        return sorted(nodes, key=lambda job: job.get("nodeProperties", {}).get("nodeIndex", 0))

    def parts(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """The jobs a job (as listed or described) is made of: an array's children or a
        multi-node job's nodes; none for any other job."""
        if job.get("arrayProperties", {}).get("size"):
            return self.children(job["jobId"])
        if is_multi_node(job):
            return self.nodes(job["jobId"])
        return []

    def _listed(self, **selector: str) -> list[dict[str, Any]]:
        """ListJobs in every state (it lists one state per call) for a queue or an array,
        each job once: one that changes state between two calls is listed by both, and its
        later listing is kept."""
        paginator = self.batch.get_paginator("list_jobs")
        listed = {
            job["jobId"]: job
            for status in JobStatus
            for page in paginator.paginate(jobStatus=status, **selector)
            for job in page["jobSummaryList"]
        }
        return list(listed.values())

    def describe(self, job_ids: list[str]) -> list[dict[str, Any]]:
        described = []
        for start in range(0, len(job_ids), 100):
            described += self.batch.describe_jobs(jobs=job_ids[start : start + 100])["jobs"]
        return described

    def jobs_for(self, upload: Upload) -> list[dict[str, Any]]:
        """Jobs submitted for exactly this upload: same key and ETag, created after it (the
        same bytes uploaded again make a job of the same name and parameters)."""
        recent = [
            job["jobId"]
            for job in self.jobs()
            if job["createdAt"] >= upload.at_ms and job["jobId"] not in upload.earlier_jobs
        ]
        described = self.describe(recent)
        return [
            job
            for job in described
            if job["parameters"].get("key") == upload.key
            and job["parameters"].get("etag") == upload.etag
        ]

    def wait_for_jobs(
        self,
        upload: Upload,
        count: int = 1,
        timeout: float = 120,
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Wait until `count` jobs for the upload exist and all have finished."""
        seen: dict[str, str] = {}
        last: list[dict[str, Any]] = []

        def finished() -> list[dict[str, Any]] | None:
            last[:] = self.jobs_for(upload)
            for job in last:
                if on_change and seen.get(job["jobId"]) != job["status"]:
                    on_change(job)
                seen[job["jobId"]] = job["status"]
            done = len(last) >= count and all(job["status"] in FINAL_STATES for job in last)
            return list(last) if done else None

        jobs = wait_until(finished, timeout, interval=0.5)
        if jobs is None:
            states = ", ".join(f"{j['jobName']}={j['status']}" for j in last) or "no job yet"
            raise JobWaitTimeout(
                f"{upload.key}: waited {timeout:.0f}s for {count} finished jobs ({states})"
            )
        return jobs

    def described(self, job_id: str) -> dict[str, Any]:
        """The job's DescribeJobs record, or NoSuchJob."""
        jobs = self.describe([job_id])
        if not jobs:
            raise NoSuchJob(f"no job {job_id}: `harness jobs` lists the jobs")
        return jobs[0]

    def log_lines(self, job_id: str) -> Iterator[str]:
        """A job's log, oldest line first; an array job's is its children's, each line
        labelled with its child's index ("[2] ..."), and a multi-node job's its nodes' ("[#1]
        ...")."""
        job = self.described(job_id)
        if is_multi_node(job):
            for node in self.describe([node["jobId"] for node in self.nodes(job_id)]):
                index = node["nodeDetails"]["nodeIndex"]
                yield from (f"[#{index}] {line}" for line in self._stream_lines(node))
            return
        if "size" not in job.get("arrayProperties", {}):
            yield from self._stream_lines(job)
            return
        children = self.describe([child["jobId"] for child in self.children(job_id)])
        for child in children:
            index = child["arrayProperties"]["index"]
            yield from (f"[{index}] {line}" for line in self._stream_lines(child))

    def follow_log(self, job_id: str, poll_seconds: float = 1.0) -> Iterator[str]:
        """A job's log as it is written, until the job has ended and its last line is read
        (an array job's children and a multi-node job's nodes each have their own: follow
        one of them)."""
        token = None
        while True:
            job = self.described(job_id)
            if "size" in job.get("arrayProperties", {}):
                raise BadInput(f"{job_id} is an array job: follow one child, {job_id}:N")
            if is_multi_node(job):
                raise BadInput(f"{job_id} is a multi-node job: follow one node, {job_id}#N")
            ended = job["status"] in FINAL_STATES
            stream = log_stream(job)
            if stream:
                lines, token = self._events_after(stream, token)
                yield from lines
            if ended:
                return
            time.sleep(poll_seconds)

    def _stream_lines(self, job: dict[str, Any]) -> Iterator[str]:
        stream = log_stream(job)
        if not stream:
            return
        try:
            lines = self._events_after(stream, None)[0]
        except self.logs.exceptions.ResourceNotFoundException as error:
            hint = (
                " On LocalStack, whose free runtime keeps nothing across a restart, the logs of "
                "jobs from before it restarted are gone; their history is kept."
                if self.endpoint
                else ""
            )
            raise LogGone(
                f"job {job['jobId']} wrote its log to {BATCH_LOG_GROUP} {stream}, which "
                f"CloudWatch Logs no longer has ({error.response['Error']['Message']}).{hint}"
            ) from error
        yield from lines

    def _events_after(self, stream: str, token: str | None) -> tuple[list[str], str | None]:
        """The stream's lines after `token` (None: from its start), and the token after them."""
        kwargs = {"logGroupName": BATCH_LOG_GROUP, "logStreamName": stream, "startFromHead": True}
        lines: list[str] = []
        while True:
            page = self.logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
            lines += [event["message"] for event in page["events"]]
            if not page["events"] or page["nextForwardToken"] == token:
                return lines, page["nextForwardToken"] if page["events"] else token
            token = page["nextForwardToken"]

    def trigger_log_lines(self) -> list[str]:
        """Everything the trigger function wrote, oldest first (one stream per invocation)."""
        group = f"/aws/lambda/{self.outputs.function}"
        pages = self.logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        events = [event for page in pages for event in page["events"]]
        return [event["message"] for event in sorted(events, key=lambda e: e["timestamp"])]

    def items(self) -> Iterator[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.outputs.table)
        for page in pages:
            yield from page["Items"]

    def count(self) -> int:
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.outputs.table, Select="COUNT"
        )
        return sum(page["Count"] for page in pages)

    def item(self, key: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.outputs.table, Key={self.key_column: {"S": key}}
        )
        return response.get("Item")

    @functools.cached_property
    def key_column(self) -> str:
        """The table's partition key (the CSV column configured at deploy time)."""
        table = self.dynamodb.describe_table(TableName=self.outputs.table)["Table"]
        return next(k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH")


def plain(item: dict[str, Any]) -> dict[str, str]:
    """A DynamoDB item as {name: value} for printing and comparing."""
    return {name: next(iter(value.values())) for name, value in item.items()}


def is_multi_node(job: dict[str, Any]) -> bool:
    """A multi-node parallel job itself (a node job's nodeProperties names its index)."""
    properties = job.get("nodeProperties") or {}
    return bool(properties.get("numNodes")) and "nodeIndex" not in properties


def log_stream(job: dict[str, Any]) -> str | None:
    """The log stream of a described job's latest attempt: its container's, else (an EKS job
    describes no `container`) its latest attempt's."""
    stream = job.get("container", {}).get("logStreamName")
    attempts = job.get("attempts") or []
    if stream or not attempts:
        return stream
    return attempts[-1].get("container", {}).get("logStreamName")
