"""The processor at scale, against baselines, on this machine's local cloud.

    make bench                      (starts the local cloud if it is not up)

Everything runs on the same machine in the same run against the embedded engine, and every
write run goes to a fresh table whose item count is checked against the file (exactly once):
- files of 10^4, 10^5 and 10^6 rows (BENCH_SIZES; fixed seed, 5 columns, quoted commas and
  newlines), uploaded outside the upload prefix so that no job starts;
- the naive baseline: one PutItem per row, no concurrency, on the smallest file;
- the engine's ceiling: raw BatchWriteItem calls from 1, 2 and 4 client threads, no CSV, of
  the items the processor writes (its columns and its three source attributes);
- the processor on each file: rows/s, CPU seconds, peak RSS of its process;
- the processor on the 10^5 file with 10 ms added to every DynamoDB request at the engine's
  edge (a fault rule), as a model of the network to real DynamoDB;
- the processor against a DynamoDB that accepts every request at once over keep-alive
  connections (null_dynamodb.py), on the 10^5 and the largest file: its own CPU per row,
  without the engine's; then on the 10^5 file with that endpoint answering as late as the
  engine answered on average in the 10^5 run: what waiting for the engine costs the processor;
- parse-only: the processor's CSV parsing and item building, no writes, on one core;
- the sharded path on the largest file (a planning run, then 1, 2 and 4 children at once).
Prints the table and the ratios, and writes bench/results/processor-<engine>.json. It fails when a
table does not hold every row exactly once or a figure was not produced. BENCH_SMOKE=1 runs
it on 300, 600 and 1,200 rows (bench/common.py). Its uploads and tables are removed.
"""

import csv
import io
import json
import os
import sys
import threading
import time
from typing import Any

from bench.common import HEADER, csv_body, fresh_table, run_processor, setting, write_results
from bench.null_dynamodb import null_dynamodb
from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import Faults
from harness.paths import REPO
from harness.progress import show_progress

sys.path.insert(0, str(REPO / "batch"))  # the processor's package, where its image has it
from processor.cli import DEFAULT_WRITERS
from processor.items import ItemBuilder, PutRequest, Source
from processor.rows import Row, parse_rows
from processor.shards import ObjectVersion, manifest_key
from processor.writer import BATCH_SIZE

SIZES = [int(n) for n in setting("BENCH_SIZES", "10000,100000,1000000", "300,600,1200").split(",")]
SHARDS = [int(n) for n in setting("BENCH_SHARDS", "1,2,4", "1,2").split(",")]
LATENCY_MS = 10


class Bench:
    def __init__(self, cloud: LocalCloud) -> None:
        self.endpoint = cloud.endpoint
        self.outputs = cloud.outputs()
        self.bucket = self.outputs.bucket
        self.s3 = aws.client("s3", self.endpoint)
        self.dynamodb = aws.client("dynamodb", self.endpoint)
        self.exactly_once = True

    def upload(self, rows: int) -> tuple[str, bytes]:
        key = f"bench/rows-{rows}.csv"
        body = csv_body(rows)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return key, body

    def fresh_table(self) -> str:
        return fresh_table(self.dynamodb)

    def checked(self, table: str, rows: int, figures: dict) -> dict:
        """Add the exactly-once check (the table holds every row once), drop the table."""
        count = self.dynamodb.describe_table(TableName=table)["Table"]["ItemCount"]
        self.dynamodb.delete_table(TableName=table)
        figures["exactly_once"] = count == rows and figures.get("written", rows) == rows
        self.exactly_once &= figures["exactly_once"]
        figures["rows_per_s"] = round(rows / figures["seconds"])
        return figures

    def environment(self, table: str) -> dict[str, str]:
        return {**aws.environment(self.endpoint), "TABLE_NAME": table}

    # -- the runs ------------------------------------------------------------------------------

    def processor(self, key: str, rows: int) -> dict:
        table = self.fresh_table()
        figures = run_processor(["--bucket", self.bucket, "--key", key], self.environment(table))
        figures["cpu_s_per_1e5_rows"] = round(figures["cpu_seconds"] * 100_000 / rows, 2)
        return self.checked(table, rows, figures)

    def own_work(self, key: str, rows: int, delay_ms: int = 0) -> dict:
        """The processor against null_dynamodb.py: its own CPU per row, without the engine's
        (answering at once, or after `delay_ms` as the engine does)."""
        with null_dynamodb(delay_ms) as endpoint:
            environment = {**self.environment("null"), "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
            figures = run_processor(["--bucket", self.bucket, "--key", key], environment)
        figures.update(rows=rows, delay_ms=delay_ms)
        figures["rows_per_s"] = round(rows / figures["seconds"])
        figures["cpu_s_per_1e5_rows"] = round(figures["cpu_seconds"] * 100_000 / rows, 2)
        return figures

    def naive(self, body: bytes, rows: int) -> dict:
        table = self.fresh_table()
        started = time.monotonic()
        for row in csv.DictReader(io.StringIO(body.decode(), newline="")):
            self.dynamodb.put_item(TableName=table, Item={k: {"S": v} for k, v in row.items()})
        return self.checked(table, rows, {"seconds": round(time.monotonic() - started, 2)})

    def ceiling(self, items: list[dict], threads: int) -> dict:
        table = self.fresh_table()
        batches = [items[i : i + 25] for i in range(0, len(items), 25)]

        def write(share: list[list[dict]]) -> None:
            client = aws.client("dynamodb", self.endpoint)
            for batch in share:
                requests = [{"PutRequest": {"Item": item}} for item in batch]
                while requests:
                    response = client.batch_write_item(RequestItems={table: requests})
                    requests = response.get("UnprocessedItems", {}).get(table, [])

        workers = [
            threading.Thread(target=write, args=(batches[n::threads],)) for n in range(threads)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        figures = {"threads": threads, "seconds": round(time.monotonic() - started, 2)}
        return self.checked(table, len(items), figures)

    def sharded(self, key: str, rows: int, shards: int) -> dict:
        table = self.fresh_table()
        arguments = ["--bucket", self.bucket, "--key", key, "--shards", str(shards)]
        started = time.monotonic()
        planned = run_processor([*arguments, "--mode", "plan"], self.environment(table))
        children: list[dict] = [{}] * shards

        def child(index: int) -> None:
            environment = {**self.environment(table), "AWS_BATCH_JOB_ARRAY_INDEX": str(index)}
            children[index] = run_processor([*arguments, "--mode", "shard"], environment)

        workers = [threading.Thread(target=child, args=(n,)) for n in range(shards)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        figures = {
            "shards": shards,
            "seconds": round(time.monotonic() - started, 2),
            "plan_seconds": planned["seconds"],
            "written": sum(c.get("written", 0) for c in children),
            "peak_rss_mb": max(c.get("peak_rss_mb") or 0 for c in children),
        }
        return self.checked(table, rows, figures)


def parse_only(body: bytes) -> dict:
    """Rows/s of parsing and item building alone, in this process (one core)."""
    items = ItemBuilder(Source("bucket", "key", "etag"))
    started = time.process_time()
    rows = 0
    for result in parse_rows(io.StringIO(body.decode(), newline=""), "ProductId"):
        if isinstance(result, Row):
            items.build(result)
            rows += 1
    seconds = time.process_time() - started
    return {"rows": rows, "cpu_seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def engine_milliseconds_per_request(run: dict, rows: int) -> int:
    """The engine's mean time per BatchWriteItem in a processor run: its writers send one
    request each at a time, of 25 items."""
    writers = int(os.environ.get("WRITERS", DEFAULT_WRITERS))
    return round(run["seconds"] * writers / (rows / BATCH_SIZE) * 1000)


def items_as_written(body: bytes, bucket: str, key: str) -> list[dict[str, Any]]:
    """The items the processor writes for this object (run without an ETag, as here): its
    columns plus the source attributes, so that the raw clients give the engine the same work."""
    items = ItemBuilder(Source(bucket, key, ""))
    rows = parse_rows(io.StringIO(body.decode(), newline=""), HEADER[0])
    built = (items.build(row) for row in rows if isinstance(row, Row))
    puts = [put for put in built if isinstance(put, PutRequest)]
    return [json.loads(put.json)["PutRequest"]["Item"] for put in puts]


def main() -> int:
    cloud = LocalCloud()
    show_progress()
    cloud.up()
    bench = Bench(cloud)
    faults = Faults(cloud.endpoint)
    faults.clear()
    files = {rows: bench.upload(rows) for rows in SIZES}
    try:
        results = measure(bench, faults, files)
    finally:
        for key, _ in files.values():
            bench.s3.delete_object(Bucket=bench.bucket, Key=key)
            bench.s3.delete_object(
                Bucket=bench.bucket, Key=manifest_key(ObjectVersion(bench.bucket, key, None, None))
            )
    path = write_results(f"processor-{cloud.engine.name}", results)
    report(results)
    print(f"\nresults: {path.relative_to(REPO)}")
    if not results["exactly_once"]:
        print("FAILED: a table did not hold every row of its file exactly once", file=sys.stderr)
        return 1
    return 0


def measure(bench: Bench, faults: Faults, files: dict[int, tuple[str, bytes]]) -> dict[str, Any]:
    results: dict[str, Any] = {"cores": os.cpu_count(), "columns": len(HEADER), "sizes": SIZES}
    small, middle, large = SIZES[0], SIZES[min(1, len(SIZES) - 1)], SIZES[-1]

    say(f"naive PutItem per row, {small} rows")
    results["naive"] = bench.naive(files[small][1], small)
    say(f"raw BatchWriteItem, {middle} rows, 1/2/4 threads")
    items = items_as_written(files[middle][1], bench.bucket, files[middle][0])
    results["ceiling"] = [bench.ceiling(items, threads) for threads in (1, 2, 4)]
    results["processor"] = {}
    for rows in SIZES:
        say(f"processor, {rows} rows")
        results["processor"][str(rows)] = bench.processor(files[rows][0], rows)
    say(f"processor, {middle} rows, {LATENCY_MS} ms added to each DynamoDB request")
    faults.add(service="dynamodb", latency_ms=LATENCY_MS)
    try:
        results["processor_with_latency"] = bench.processor(files[middle][0], middle)
    finally:
        faults.clear()
    say(f"processor against a DynamoDB that accepts at once (its own work), {middle} rows")
    own_work = [bench.own_work(files[middle][0], middle)]
    say(f"the same, {large} rows")
    own_work.append(bench.own_work(files[large][0], large))
    engine_ms = engine_milliseconds_per_request(results["processor"][str(middle)], middle)
    say(f"the same, {middle} rows, answered after {engine_ms} ms, the engine's mean per request")
    own_work.append(bench.own_work(files[middle][0], middle, engine_ms))
    results["processor_own_work"] = own_work
    say(f"parse only, {large} rows")
    results["parse_only"] = parse_only(files[large][1])
    results["sharded"] = []
    for shards in SHARDS:
        say(f"sharded, {large} rows, in {shards} ranges")
        results["sharded"].append(bench.sharded(files[large][0], large, shards))
    results.update(ratios(results, middle, small, large, bench.exactly_once))
    return results


def ratios(results: dict, middle: int, small: int, large: int, exactly_once: bool) -> dict:
    by_size = results["processor"]
    typical, smallest, largest = by_size[str(middle)], by_size[str(small)], by_size[str(large)]
    best_raw = max(run["rows_per_s"] for run in results["ceiling"])
    with_latency = results["processor_with_latency"]["rows_per_s"]
    own_runs = results["processor_own_work"]
    own_at_scale = next(run for run in own_runs if run["rows"] == large and not run["delay_ms"])
    return {
        "speedup": round(typical["rows_per_s"] / results["naive"]["rows_per_s"], 2),
        "ceiling_ratio": round(typical["rows_per_s"] / best_raw, 2),
        "latency_ratio": round(with_latency / typical["rows_per_s"], 2),
        "rss_ratio": round(largest["peak_rss_mb"] / smallest["peak_rss_mb"], 2),
        "rss_mb_1e6": largest["peak_rss_mb"],
        "parse_rows_per_s": results["parse_only"]["rows_per_s"],
        "cpu_s_per_1e5_rows": largest["cpu_s_per_1e5_rows"],
        "own_cpu_s_per_1e5_rows": own_at_scale["cpu_s_per_1e5_rows"],
        "exactly_once": exactly_once,
    }


def report(results: dict) -> None:
    print(f"\n{results['cores']} cores, engine and processor on the same machine")
    print(f"{'run':<44}{'seconds':>9}{'rows/s':>10}{'CPU s/1e5':>10}{'RSS MB':>8}{'once':>6}")

    def line(name: str, run: dict) -> None:
        print(
            f"{name:<44}{run['seconds']:>9}{run['rows_per_s']:>10}"
            f"{run.get('cpu_s_per_1e5_rows', ''):>10}{run.get('peak_rss_mb', ''):>8}"
            f"{'yes' if run['exactly_once'] else 'NO':>6}"
        )

    line("naive PutItem per row", results["naive"])
    for run in results["ceiling"]:
        line(f"raw BatchWriteItem, {run['threads']} threads", run)
    for rows, run in results["processor"].items():
        line(f"processor, {rows} rows", run)
    line(f"processor, {LATENCY_MS} ms per DynamoDB request", results["processor_with_latency"])
    for own in results["processor_own_work"]:
        delay = f", answered after {own['delay_ms']} ms" if own["delay_ms"] else ""
        name = f"own work, {own['rows']} rows{delay}"
        print(
            f"{name:<44}{own['seconds']:>9}{own['rows_per_s']:>10}"
            f"{own['cpu_s_per_1e5_rows']:>10}{own['peak_rss_mb']:>8}{'-':>6}"
        )
    for run in results["sharded"]:
        children = f"{run['shards']} child" + ("ren" if run["shards"] != 1 else "")
        line(f"sharded, {children} (plan {run['plan_seconds']} s)", run)
    parse = results["parse_only"]
    print(f"parse only: {parse['rows_per_s']} rows/s on one core")
    for name in (
        "speedup",
        "ceiling_ratio",
        "latency_ratio",
        "rss_ratio",
        "rss_mb_1e6",
        "parse_rows_per_s",
        "cpu_s_per_1e5_rows",
        "own_cpu_s_per_1e5_rows",
        "exactly_once",
    ):
        print(f"{name:>20}: {results[name]}")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
