"""Every benchmark once, at tiny sizes (BENCH_SMOKE=1, bench/common.py), as CI runs them on
every submission: a benchmark that stops measuring fails the build instead of rotting.

    make bench-smoke

It passes when each benchmark's own checks pass (it exits 0: every row written exactly once,
the job on the new revision seen, every figure produced) and the local cloud is left as it
was found: the same stacks, tables, objects, job queues, compute environments and active job
definitions, and down again if it was down. Job history and logs stay, as they do in AWS.
"""

import os
import shutil
import subprocess
import sys
import time

from bench import charts
from bench.common import SMOKE_RESULTS
from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.paths import REPO
from harness.progress import show_progress

BENCHMARKS = (
    "bench.processor",
    "bench.writers",
    "bench.inner_loop",
    "bench.persistence",
    "bench.console",
)
SMOKE_ENVIRONMENT = {**os.environ, "BENCH_SMOKE": "1"}
CDK_ASSETS_BUCKET = "cdk-hnb659fds-assets-"


def inventory(endpoint: str) -> dict[str, set[str]]:
    """The names of what a benchmark could leave behind, by kind."""
    cloudformation = aws.client("cloudformation", endpoint)
    s3 = aws.client("s3", endpoint)
    batch = aws.client("batch", endpoint)
    buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    # The CDK's asset bucket keeps every template and asset it was given, as it does in AWS.
    assets = [name for name in buckets if name.startswith(CDK_ASSETS_BUCKET)]
    objects = {
        f"{bucket}/{item['Key']}"
        for bucket in buckets
        if bucket not in assets
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }
    definitions = batch.describe_job_definitions(status="ACTIVE")["jobDefinitions"]
    return {
        "stacks": {
            stack["StackName"]
            for stack in cloudformation.describe_stacks()["Stacks"]
            if stack["StackStatus"] != "DELETE_COMPLETE"
        },
        "tables": set(aws.client("dynamodb", endpoint).list_tables()["TableNames"]),
        "buckets": set(buckets),
        "objects": objects,
        "job queues": {q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]},
        "compute environments": {
            c["computeEnvironmentName"]
            for c in batch.describe_compute_environments()["computeEnvironments"]
        },
        "job definitions": {d["jobDefinitionArn"] for d in definitions},
    }


def left_behind(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    differences = []
    for kind, names in after.items():
        if added := sorted(names - before[kind]):
            differences.append(f"{kind} left behind: {', '.join(added)}")
        if removed := sorted(before[kind] - names):
            differences.append(f"{kind} removed: {', '.join(removed)}")
    return differences


def main() -> int:
    cloud = LocalCloud()
    show_progress()
    was_up = cloud.engine.healthy()
    cloud.up()
    before = inventory(cloud.endpoint)
    shutil.rmtree(SMOKE_RESULTS, ignore_errors=True)  # only this run's results count
    failed = []
    for module in BENCHMARKS:
        print(f"==> {module} (smoke)", file=sys.stderr, flush=True)
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", module], cwd=REPO, env=SMOKE_ENVIRONMENT)
        outcome = "passed" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
        print(f"==> {module}: {outcome} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        if run.returncode != 0:
            failed.append(module)
    drawn = charts.draw(SMOKE_RESULTS, SMOKE_RESULTS / "charts")
    if len(drawn) < len(BENCHMARKS):
        failed.append(f"bench.charts (drew {len(drawn)} charts of {len(BENCHMARKS)})")
    differences = left_behind(before, inventory(cloud.endpoint))
    if not was_up:
        cloud.down()
    for line in [f"{module} failed" for module in failed] + differences:
        print(f"FAILED: {line}", file=sys.stderr)
    return 1 if failed or differences else 0


if __name__ == "__main__":
    sys.exit(main())
