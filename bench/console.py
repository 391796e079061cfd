"""How fast the console's pages answer with a full cloud: BENCH_CONSOLE_JOBS jobs (10^3) and
as many array children, and an upload of BENCH_CONSOLE_ROWS rows (10^5) in the table.

    make bench-console             (needs the local cloud: `make local-up`)

Uploads a generated CSV of ROWS rows through the pipeline (its job writes the items, so the
table and its index are filled the way they are in use), then submits, through the Batch API,
a job that sleeps, JOBS jobs that depend on it and an array job of JOBS children that depends
on it: all of them wait (PENDING) while the pages are measured. Then it serves the console
(`harness console`, on a free port) and reads each page BENCH_ROUNDS times (5), timing the
whole answer (the HTML; its stylesheet and script are static files): the overview, the
timeline, a waiting job, the array job, the upload's job with its first page of items, the
table's first and a later page, the upload's second page of items, an item by key, the
trigger's log. Prints the median and the slowest of each with their ratio to the target
(1 s), and writes bench/results/console-<engine>.json. At the end the sleeping job is
terminated (its dependents fail with it, as in AWS), the job definition deregistered, and the
upload and its items deleted; the jobs stay in the job history, as they do in AWS.
BENCH_SMOKE=1: 20 jobs and children, 1,000 rows, one round.
"""

import csv
import io
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any

from bench.common import setting, write_results
from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import LocalCloud
from harness.engine.base import free_port
from harness.waiting import wait_until

JOBS = int(setting("BENCH_CONSOLE_JOBS", "1000", "20"))
ROWS = int(setting("BENCH_CONSOLE_ROWS", "100000", "1000"))
ROUNDS = int(setting("BENCH_ROUNDS", "5", "1"))
TARGET_SECONDS = 1.0
SLEEPER = ["sh", "-c", "trap 'exit 143' TERM; sleep 900 & wait"]  # stops at once when told
# The pipeline's index of each item's upload (infra/storage.py, which is not imported: that
# would start the CDK's Node.js runtime).
BY_SOURCE_OBJECT, SOURCE_OBJECT = "BySourceObject", "source_object"
NEXT_PAGE = re.compile(r'id="next" href="([^"]+)"|href="(/items\?source=[^"]+)">more<')


def rows_csv(prefix: str, rows: int) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["ProductId", "ProductName", "ProductDescription"])
    for n in range(rows):
        writer.writerow([f"{prefix}-{n:06}", f"Product {n}", f"Made for the console, item {n}"])
    return text.getvalue().encode()


@contextmanager
def waiting_jobs(pipeline: Pipeline, name: str) -> Iterator[dict[str, Any]]:
    """A sleeping job, JOBS jobs that depend on it and an array of JOBS children that depends on
    it; their ids. The sleeper is terminated at the end, which fails the rest."""
    batch, queue = pipeline.batch, pipeline.outputs.job_queue
    (processor,) = batch.describe_job_definitions(
        jobDefinitionName=pipeline.outputs.job_definition, status="ACTIVE"
    )["jobDefinitions"][-1:]
    definition = batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={
            "image": processor["containerProperties"]["image"],
            "command": SLEEPER,
            "vcpus": 1,
            "memory": 128,
        },
    )["jobDefinitionArn"]
    sleeper = batch.submit_job(jobName="sleeper", jobQueue=queue, jobDefinition=definition)
    after = [{"jobId": sleeper["jobId"]}]
    try:
        held = [
            batch.submit_job(
                jobName=f"held-{n}", jobQueue=queue, jobDefinition=definition, dependsOn=after
            )["jobId"]
            for n in range(JOBS)
        ]
        array = batch.submit_job(
            jobName="array",
            jobQueue=queue,
            jobDefinition=definition,
            dependsOn=after,
            arrayProperties={"size": JOBS},
        )["jobId"]
        yield {"held": held, "array": array}
    finally:
        batch.terminate_job(jobId=sleeper["jobId"], reason="bench.console is over")
        batch.deregister_job_definition(jobDefinition=definition)


@contextmanager
def console_on(port: int) -> Iterator[str]:
    """`harness console` on `port`; its URL, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "console", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: answered(url + "/static/console.css") or None, 30, 0.2):
            raise SystemExit(f"the console did not answer at {url}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def answered(url: str) -> bool:
    try:
        return fetched(url)[0] == 200
    except OSError:
        return False


def fetched(url: str) -> tuple[int, str, float]:
    """The status, text and seconds of one GET."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read().decode()
        return int(response.status), body, time.perf_counter() - started


def next_page(url: str) -> str:
    """The link to the next page of items on the page at `url`."""
    found = NEXT_PAGE.search(fetched(url)[1])
    if not found:
        raise SystemExit(f"{url} has no link to a next page of items")
    return unescape(found.group(1) or found.group(2))


def measure(url: str, pages: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each page's median and slowest seconds over ROUNDS reads, checked to answer 200."""
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(ROUNDS):
        for name, path in pages.items():
            status, _, seconds = fetched(url + path)
            if status != 200:
                raise SystemExit(f"{name} ({path}) answered {status}")
            timings[name].append(seconds)
    return {
        name: {
            "median_s": round(statistics.median(times), 3),
            "slowest_s": round(max(times), 3),
            "ratio_to_target": round(statistics.median(times) / TARGET_SECONDS, 2),
        }
        for name, times in timings.items()
    }


def main() -> int:
    cloud = LocalCloud()
    pipeline = Pipeline(cloud.endpoint, cloud.outputs())
    run = uuid.uuid4().hex[:8]
    prefix = f"console-bench-{run}"
    print(f"uploading {ROWS:,} rows through the pipeline ...", file=sys.stderr, flush=True)
    upload = pipeline.upload_bytes(pipeline.upload_key(f"{prefix}.csv"), rows_csv(prefix, ROWS))
    try:
        (upload_job,) = pipeline.wait_for_jobs(upload, timeout=1800)
        if upload_job["status"] != "SUCCEEDED":
            raise SystemExit(f"the upload's job ended {upload_job['status']}")
        print(f"submitting {JOBS:,} jobs and an array of {JOBS:,} ...", file=sys.stderr)
        with waiting_jobs(pipeline, prefix) as jobs, console_on(free_port()) as url:
            upload_page = f"/jobs/{upload_job['jobId']}"
            pages = {
                "overview": "/",
                "timeline": "/timeline",
                "a waiting job": f"/jobs/{jobs['held'][JOBS // 2]}",
                f"the array job ({JOBS:,} children)": f"/jobs/{jobs['array']}",
                f"the upload's job ({ROWS:,} items)": upload_page,
                "items, first page": "/items",
                "an item by key": f"/items?key={prefix}-{ROWS // 2:06}",
                "the trigger's log": "/trigger",
            }
            pages["items, a later page"] = next_page(url + "/items")
            pages["the upload's items, second page"] = next_page(url + upload_page)
            print(f"reading {len(pages)} pages {ROUNDS} times ...", file=sys.stderr, flush=True)
            figures = measure(url, pages)
    finally:
        deleted = delete_upload(pipeline, upload.key)
    print(f"{'page':45} {'median s':>9} {'slowest s':>10} {'/ target':>9}")
    for name, page in figures.items():
        print(
            f"{name:45} {page['median_s']:9.3f} {page['slowest_s']:10.3f} "
            f"{page['ratio_to_target']:9.2f}"
        )
    slowest = max(page["median_s"] for page in figures.values())
    print(f"every page's median under {TARGET_SECONDS:g} s: {slowest < TARGET_SECONDS}")
    write_results(
        f"console-{cloud.engine.name}",
        {
            "jobs": JOBS,
            "array_children": JOBS,
            "items": ROWS,
            "rounds": ROUNDS,
            "target_s": TARGET_SECONDS,
            "items_deleted_after": deleted,
            "pages": figures,
        },
    )
    return 0


def delete_upload(pipeline: Pipeline, key: str) -> int:
    """Delete the object and every item it wrote (found by the table's index); how many."""
    outputs, dynamodb = pipeline.outputs, pipeline.dynamodb
    pipeline.s3.delete_object(Bucket=outputs.bucket, Key=key)
    key_column = pipeline.key_column
    pages = dynamodb.get_paginator("query").paginate(
        TableName=outputs.table,
        IndexName=BY_SOURCE_OBJECT,
        KeyConditionExpression=f"{SOURCE_OBJECT} = :source",
        ExpressionAttributeValues={":source": {"S": f"s3://{outputs.bucket}/{key}"}},
    )
    keys = [{key_column: item[key_column]} for page in pages for item in page["Items"]]
    for start in range(0, len(keys), 25):
        requests = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
        while requests:
            answer = dynamodb.batch_write_item(RequestItems={outputs.table: requests})
            requests = answer.get("UnprocessedItems", {}).get(outputs.table, [])
    return len(keys)


if __name__ == "__main__":
    sys.exit(main())
