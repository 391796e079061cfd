"""What the console shows and does, through the harness's own clients."""

import base64
import dataclasses
import functools
import json
import time
from collections.abc import Iterator
from typing import Any

from harness.client import aws
from harness.client.job_records import iso, job_record
from harness.client.pipeline import LogGone, Pipeline, plain
from harness.console.timeline import Shown, Timeline, timeline
from harness.contracts import StackOutputs
from harness.control.client import BatchJobs, ControlError, Faults, Iam
from harness.errors import BadInput

JOBS_SHOWN = 100  # the newest, on the overview; the count says how many there are
UPLOADS_SHOWN = 20  # the newest objects under the upload prefix, each with its jobs
TIMELINE_JOBS = 20  # the newest, each with its children (up to CHILDREN_SHOWN)
CHILDREN_SHOWN = 50
ITEMS_PER_PAGE = 50
SCAN_BUDGET_SECONDS = 0.5  # a page of one upload's items without an index: scan this long
TRIGGER_LINES = 500  # the trigger log's newest lines
STOPPED = "{} in the console"
FAULT_FIELDS = (
    "service",
    "operation",
    "error",
    "latency_ms",
    "unprocessed",
    "probability",
    "count",
    "match",
)


@dataclasses.dataclass(frozen=True)
class ItemsPage:
    """Up to ITEMS_PER_PAGE items and the token of the next page (None: the last page)."""

    items: list[dict[str, str]]
    next: str | None


class ConsoleData:
    """`item_source`: the item attribute naming the object an item came from, as
    s3://bucket/key (the app's `item-source`); None: jobs are shown without their items."""

    def __init__(
        self,
        engine: str,
        endpoint: str,
        stack: str,
        outputs: StackOutputs,
        item_source: str | None,
    ) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.stack = stack
        self.outputs = outputs
        self.item_source = item_source
        self.pipeline = Pipeline(endpoint, outputs)
        self.batch_jobs = BatchJobs(endpoint)
        self.faults = Faults(endpoint)

    def overview(self) -> dict[str, Any]:
        (stack,) = aws.client("cloudformation", self.endpoint).describe_stacks(
            StackName=self.stack
        )["Stacks"]
        return {
            "engine": self.engine,
            "endpoint": self.endpoint,
            "stack": {"name": self.stack, "status": stack["StackStatus"]},
            "outputs": dataclasses.asdict(self.outputs),
            "capacity": self.capacity(),
            "iam_enforced": self.iam_enforced(),
            "fault_rules": self.faults.listed(),
        }

    def capacity(self) -> dict[str, Any]:
        """The queue's first compute environment: its name, state, maxvCpus, and the vCPUs
        of the queue's jobs starting or running."""
        batch = self.pipeline.batch
        (queue,) = batch.describe_job_queues(jobQueues=[self.outputs.job_queue])["jobQueues"]
        first = min(queue["computeEnvironmentOrder"], key=lambda entry: entry["order"])
        (environment,) = batch.describe_compute_environments(
            computeEnvironments=[first["computeEnvironment"]]
        )["computeEnvironments"]
        running = [
            job["jobId"]
            for status in ("STARTING", "RUNNING")
            for job in batch.list_jobs(jobQueue=self.outputs.job_queue, jobStatus=status)[
                "jobSummaryList"
            ]
        ]
        return {
            "name": environment["computeEnvironmentName"],
            "state": environment["state"],
            "max_vcpus": environment.get("computeResources", {}).get("maxvCpus"),
            "vcpus_in_use": sum(vcpus(job) for job in self.pipeline.describe(running)),
        }

    def iam_enforced(self) -> bool | None:
        """Whether the engine enforces IAM; None where it cannot (LocalStack's free edition)."""
        try:
            return Iam(self.endpoint).enforced()
        except ControlError:
            return None

    def uploads(self, job_ids: list[str]) -> list[dict[str, Any]]:
        """The UPLOADS_SHOWN newest objects under the upload prefix, each with the jobs among
        `job_ids` (the overview's, from jobs()) that were submitted for its key."""
        pages = self.pipeline.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.outputs.bucket, Prefix=self.outputs.upload_prefix
        )
        objects = [item for page in pages for item in page.get("Contents", [])]
        newest = sorted(objects, key=lambda item: item["LastModified"], reverse=True)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for job in self.pipeline.describe(job_ids):
            by_key.setdefault(job.get("parameters", {}).get("key", ""), []).append(job)
        return [
            {
                "key": item["Key"],
                "size": item["Size"],
                "modified": iso(int(item["LastModified"].timestamp() * 1000)),
                "jobs": [job_record(job, {}) for job in by_key.get(item["Key"], [])],
            }
            for item in newest[:UPLOADS_SHOWN]
        ]

    def jobs(self) -> tuple[list[dict[str, Any]], int]:
        """The queue's JOBS_SHOWN newest jobs, as `harness jobs --json` gives them
        (job_records), and how many jobs it has."""
        waiting = self.batch_jobs.waiting()
        jobs = self.pipeline.jobs()
        return [job_record(job, waiting) for job in jobs[:JOBS_SHOWN]], len(jobs)

    def timeline(self) -> Timeline:
        """The TIMELINE_JOBS newest jobs, under each the first CHILDREN_SHOWN children of an
        array or nodes of a multi-node job, and the dependencies between them."""
        newest = self.pipeline.jobs()[:TIMELINE_JOBS]
        described = {
            job["jobId"]: job for job in self.pipeline.describe([j["jobId"] for j in newest])
        }
        shown: list[Shown] = []
        for job in reversed(newest):  # oldest first, as time goes
            depends_on = tuple(
                d["jobId"] for d in described.get(job["jobId"], {}).get("dependsOn", [])
            )
            shown.append(Shown(job, depends_on=depends_on))
            parts = self.pipeline.parts(job)[:CHILDREN_SHOWN]
            shown += [Shown(part, child=True) for part in parts]
        return timeline(shown, int(time.time() * 1000))

    def job(self, job_id: str) -> dict[str, Any]:
        """A job's description, its log and, for a job of an upload, the items it wrote."""
        job = self.pipeline.described(job_id)
        try:
            log, log_gone = list(self.pipeline.log_lines(job_id)), None
        except LogGone as error:
            log, log_gone = [], str(error)
        source = self._source(job)
        return {
            "job": job,
            "waiting": self.batch_jobs.waiting().get(job_id),
            "log": log,
            "log_gone": log_gone,
            "source": source,
            "items": self.items(source=source) if source else None,
        }

    def follow(self, job_id: str) -> Iterator[str]:
        """The job's log lines as they are written, until it ends (Pipeline.follow_log)."""
        return self.pipeline.follow_log(job_id)

    def trigger_log(self) -> list[str]:
        return self.pipeline.trigger_log_lines()[-TRIGGER_LINES:]

    def items(self, source: str | None = None, after: str | None = None) -> ItemsPage:
        """A page of the table's items, or of those from the object `source` (an
        s3://bucket/key, matched on the app's item-source attribute), after the page whose
        token is `after`."""
        start = {"ExclusiveStartKey": untoken(after)} if after else {}
        if source is None:
            page = self.pipeline.dynamodb.scan(
                TableName=self.outputs.table, Limit=ITEMS_PER_PAGE, **start
            )
            return ItemsPage([plain(i) for i in page["Items"]], token(page))
        if self.source_index:
            return self._indexed(source, start)
        return self._scanned(source, start)

    def item(self, key: str) -> dict[str, str] | None:
        """The item whose partition key is `key`, if there is one."""
        found = self.pipeline.item(key)
        return plain(found) if found else None

    def upload(self, filename: str, body: bytes) -> str:
        """Put `body` under the upload prefix as `filename`; the key."""
        return self.pipeline.upload_bytes(self.pipeline.upload_key(filename), body).key

    def stop(self, job_id: str, terminate: bool) -> None:
        """CancelJob, or TerminateJob, as `harness cancel` and `harness terminate` send them."""
        batch = self.pipeline.batch
        if terminate:
            batch.terminate_job(jobId=job_id, reason=STOPPED.format("terminated"))
        else:
            batch.cancel_job(jobId=job_id, reason=STOPPED.format("cancelled"))

    def state(self, job_id: str) -> dict[str, str]:
        """The job's state and reason now."""
        job = self.pipeline.described(job_id)
        return {"status": job["status"], "reason": job.get("statusReason", "")}

    def add_fault(self, form: dict[str, str]) -> dict[str, Any]:
        """A fault rule from the console's form (empty fields unset), as `harness faults add`
        adds it; the engine checks it (a BadInput says what is wrong)."""
        given = {name: form[name].strip() for name in FAULT_FIELDS if form.get(name, "").strip()}
        numbers = {"latency_ms": int, "count": int, "probability": float, "unprocessed": float}
        try:
            rule = {name: numbers.get(name, str)(value) for name, value in given.items()}
        except ValueError as error:
            raise BadInput(f"a fault rule's number is not a number: {error}") from error
        return self.faults.add(**rule)

    def clear_faults(self) -> int:
        return self.faults.clear()

    @functools.cached_property
    def source_index(self) -> str | None:
        """A global secondary index of the table keyed on the item-source attribute alone,
        which finds one object's items without a scan; None if the table has none."""
        table = self.pipeline.dynamodb.describe_table(TableName=self.outputs.table)["Table"]
        for index in table.get("GlobalSecondaryIndexes", []):
            if index["KeySchema"] == [{"AttributeName": self.item_source, "KeyType": "HASH"}]:
                return str(index["IndexName"])
        return None

    def _source(self, job: dict[str, Any]) -> str | None:
        key = job.get("parameters", {}).get("key")
        if not self.item_source or not key:
            return None
        return f"s3://{job['parameters'].get('bucket', self.outputs.bucket)}/{key}"

    def _indexed(self, source: str, start: dict[str, Any]) -> ItemsPage:
        """The index holds keys only: query it for a page of keys, then get those items."""
        dynamodb = self.pipeline.dynamodb
        page = dynamodb.query(
            TableName=self.outputs.table,
            IndexName=self.source_index,
            KeyConditionExpression="#source = :source",
            Limit=ITEMS_PER_PAGE,
            **self._matching(source),
            **start,
        )
        key_names = {self.pipeline.key_column}
        keys = [{k: v for k, v in item.items() if k in key_names} for item in page["Items"]]
        items: list[dict[str, Any]] = []
        while keys:
            answer = dynamodb.batch_get_item(RequestItems={self.outputs.table: {"Keys": keys}})
            items += answer["Responses"].get(self.outputs.table, [])
            keys = answer.get("UnprocessedKeys", {}).get(self.outputs.table, {}).get("Keys", [])
        ordered = sorted((plain(item) for item in items), key=lambda i: i[self.pipeline.key_column])
        return ItemsPage(ordered, token(page))

    def _scanned(self, source: str, start: dict[str, Any]) -> ItemsPage:
        """Without an index: scan with a filter, page after page of the table, until a page of
        items is found, the table ends, or SCAN_BUDGET_SECONDS pass (the next page goes on)."""
        items: list[dict[str, str]] = []
        until = time.monotonic() + SCAN_BUDGET_SECONDS
        while True:
            page = self.pipeline.dynamodb.scan(
                TableName=self.outputs.table,
                FilterExpression="#source = :source",
                Limit=ITEMS_PER_PAGE - len(items),
                **self._matching(source),
                **start,
            )
            items += [plain(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return ItemsPage(items, None)
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
            if len(items) >= ITEMS_PER_PAGE or time.monotonic() > until:
                return ItemsPage(items, token(page))

    def _matching(self, source: str) -> dict[str, Any]:
        return {
            "ExpressionAttributeNames": {"#source": self.item_source},
            "ExpressionAttributeValues": {":source": {"S": source}},
        }


def vcpus(job: dict[str, Any]) -> float:
    """A described job's vCPUs: its VCPU resource requirement, else its older `vcpus`."""
    container = job.get("container", {})
    for requirement in container.get("resourceRequirements", []):
        if requirement["type"] == "VCPU":
            return float(requirement["value"])
    return float(container.get("vcpus") or 0)


def token(page: dict[str, Any]) -> str | None:
    """The next page's token: the page's LastEvaluatedKey, for a URL."""
    last = page.get("LastEvaluatedKey")
    return base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None


def untoken(text: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(text.encode()))
    except ValueError as error:
        raise BadInput(f"not a page token of the console: {text!r}") from error
    if not isinstance(key, dict):
        raise BadInput(f"not a page token of the console: {text!r}")
    return key
