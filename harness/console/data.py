"""What the console shows and does, through the harness's own clients."""

import dataclasses
from typing import Any

from harness.client.job_records import job_record
from harness.client.pipeline import LogGone, Pipeline, plain
from harness.contracts import StackOutputs
from harness.control.client import BatchJobs, Faults

ITEMS_SHOWN = 200  # a job's items on its page; the count says how many there are
CANCELLED = "cancelled in the console"


class ConsoleData:
    """`item_source`: the item attribute naming the object an item came from, as
    s3://bucket/key (the app's `item-source`); None: jobs are shown without their items."""

    def __init__(
        self, engine: str, endpoint: str, outputs: StackOutputs, item_source: str | None
    ) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.outputs = outputs
        self.item_source = item_source
        self.pipeline = Pipeline(endpoint, outputs)
        self.batch_jobs = BatchJobs(endpoint)
        self.faults = Faults(endpoint)

    def overview(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "endpoint": self.endpoint,
            "outputs": dataclasses.asdict(self.outputs),
            "fault_rules": self.faults.listed(),
        }

    def jobs(self) -> list[dict[str, Any]]:
        """The queue's jobs, newest first, as `harness jobs --json` gives them (job_records)."""
        waiting = self.batch_jobs.waiting()
        return [job_record(job, waiting) for job in self.pipeline.jobs()]

    def job(self, job_id: str) -> dict[str, Any]:
        """A job's description, its log and, for a job of an upload, the items it wrote."""
        job = self.pipeline.described(job_id)
        try:
            log, log_gone = list(self.pipeline.log_lines(job_id)), None
        except LogGone as error:
            log, log_gone = [], str(error)
        source = self._source(job)
        items, count = self._items(source) if source else ([], 0)
        return {
            "job": job,
            "waiting": self.batch_jobs.waiting().get(job_id),
            "log": log,
            "log_gone": log_gone,
            "source": source,
            "items": items,
            "item_count": count,
        }

    def upload(self, filename: str, body: bytes) -> str:
        """Put `body` under the upload prefix as `filename`; the key."""
        return self.pipeline.upload_bytes(self.pipeline.upload_key(filename), body).key

    def cancel(self, job_id: str) -> None:
        """CancelJob, as `harness cancel` sends it."""
        self.pipeline.batch.cancel_job(jobId=job_id, reason=CANCELLED)

    def _source(self, job: dict[str, Any]) -> str | None:
        key = job.get("parameters", {}).get("key")
        if not self.item_source or not key:
            return None
        return f"s3://{job['parameters'].get('bucket', self.outputs.bucket)}/{key}"

    def _items(self, source: str) -> tuple[list[dict[str, str]], int]:
        assert self.item_source is not None
        pages = self.pipeline.dynamodb.get_paginator("scan").paginate(
            TableName=self.outputs.table,
            FilterExpression="#source = :source",
            ExpressionAttributeNames={"#source": self.item_source},
            ExpressionAttributeValues={":source": {"S": source}},
        )
        items = [plain(item) for page in pages for item in page["Items"]]
        return items[:ITEMS_SHOWN], len(items)
