"""Processor throughput by number of parallel writers, on the local cloud.

    make bench-writers             (needs the local cloud: `make local-up`)

Uploads a generated CSV of ROWS rows (bench/common.py: fixed seed, 5 columns, quoted commas
and newlines) outside the upload prefix (so no job starts), then runs the processor on this
machine against the engine with WRITERS=1, 2, 4 and 8, and prints wall seconds, rows/s, CPU
seconds and peak RSS for each, with the ratio to one writer. The engine shares this
machine's cores, so the figures show the engine's ceiling as much as the processor's;
against real DynamoDB each request waits for the network, which is what parallel writers
hide. So the same runs are repeated with a fixed latency added to every BatchWriteItem at
the engine's edge (a fault rule, harness/faults/), as a model of the network to DynamoDB:
BENCH_LATENCIES_MS (default "0,10"). Each run writes to a fresh table, checked to hold every
row and then removed, as is the upload. Results also go to bench/results/writers-<engine>.json;
BENCH_SMOKE=1 runs 1,000 rows (bench/common.py).
"""

import os
import sys

from bench.common import csv_body, fresh_table, run_processor, setting, write_results
from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import Faults
from harness.paths import REPO

ROWS = int(setting("BENCH_ROWS", "100000", "1000"))
LATENCIES_MS = [int(ms) for ms in setting("BENCH_LATENCIES_MS", "0,10", "0,10").split(",")]
KEY = "bench/writers.csv"
COUNTS = (1, 2, 4, 8)


def run(writers: int, bucket: str, endpoint: str) -> dict:
    dynamodb = aws.client("dynamodb", endpoint)
    table = fresh_table(dynamodb, "bench-writers")
    try:
        environment = {**aws.environment(endpoint), "WRITERS": str(writers), "TABLE_NAME": table}
        figures = run_processor(["--bucket", bucket, "--key", KEY], environment)
        stored = dynamodb.describe_table(TableName=table)["Table"]["ItemCount"]
    finally:
        dynamodb.delete_table(TableName=table)
    if figures["written"] != ROWS or stored != ROWS:
        raise SystemExit(
            f"WRITERS={writers}: wrote {figures['written']} of {ROWS} rows, {stored} stored"
        )
    return {"writers": writers, "rows_per_second": round(ROWS / figures["seconds"]), **figures}


def main() -> int:
    cloud = LocalCloud()
    outputs = cloud.outputs()
    s3 = aws.client("s3", cloud.endpoint)
    s3.put_object(Bucket=outputs.bucket, Key=KEY, Body=csv_body(ROWS))
    faults = Faults(cloud.endpoint)
    by_latency = {}
    try:
        for latency in LATENCIES_MS:
            faults.clear()
            if latency:
                faults.add(service="dynamodb", operation="BatchWriteItem", latency_ms=latency)
            try:
                by_latency[latency] = [run(n, outputs.bucket, cloud.endpoint) for n in COUNTS]
            finally:
                faults.clear()
            report(by_latency[latency], latency, cloud.endpoint)
    finally:
        s3.delete_object(Bucket=outputs.bucket, Key=KEY)
    results = {"rows": ROWS, "cores": os.cpu_count(), "by_latency_ms": by_latency}
    path = write_results(f"writers-{cloud.engine.name}", results)
    print(f"\nresults: {path.relative_to(REPO)}")
    return 0


def report(results: list[dict], latency: int, endpoint: str) -> None:
    print(
        f"\nprocessor on this machine, {ROWS} rows, engine at {endpoint} "
        f"({os.cpu_count()} cores shared), {latency} ms added to each BatchWriteItem"
    )
    print(f"{'writers':>8}{'seconds':>9}{'rows/s':>9}{'vs 1':>7}{'CPU s':>7}{'peak RSS':>10}")
    for figures in results:
        ratio = figures["rows_per_second"] / results[0]["rows_per_second"]
        print(
            f"{figures['writers']:>8}{figures['seconds']:>9}{figures['rows_per_second']:>9}"
            f"{ratio:>7.2f}{figures['cpu_seconds']:>7}{figures['peak_rss_mb']:>7} MB"
        )


if __name__ == "__main__":
    sys.exit(main())
