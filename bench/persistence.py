"""What keeping the state on disk costs the processor, and how long a crash costs.

    make bench            (runs it after bench.processor)
    python -m bench.persistence

Two embedded engines of its own, on free loopback ports beside any local cloud: one that
keeps its state (the saved state, and the journal every acknowledged S3, DynamoDB and Logs
write goes to before its answer), one that keeps it in memory only. The processor writes the
same file (BENCH_PERSISTENCE_ROWS, 10^5 rows) to a fresh table on each, the two alternating,
BENCH_ROUNDS times; every table is checked to hold every row once. The engine that keeps its
state saves it once the file is uploaded, as `harness up` does after a deploy, so its journal
then holds the processor's writes. Then it is killed (SIGKILL) and started again: the seconds
until it answers with every table's items back, the journal it replayed, the saved state's
size.

Prints the figures and the ratio of rows/s with persistence on to off (the target: at least
0.8), and writes bench/results/persistence-moto.json.
"""

import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import csv_body, fresh_table, run_processor, setting, write_results
from harness.client import aws
from harness.cloud import docker_host, saved_state
from harness.cloud.network import HOST
from harness.control.client import EngineState
from harness.engine import choice
from harness.engine.base import free_port
from harness.paths import REPO
from harness.progress import show_progress

ROWS = int(setting("BENCH_PERSISTENCE_ROWS", "100000", "600"))
ROUNDS = int(setting("BENCH_ROUNDS", "3", "1"))
TARGET_RATIO = 0.8
BUCKET = "bench-persistence"
KEY = "rows.csv"


class Engine:
    """One engine of this benchmark, with the file uploaded and its tables."""

    def __init__(self, folder: Path, keeps_state: bool) -> None:
        kept = folder / "kept" if keeps_state else None
        self.engine = choice.create("moto", folder / "run", free_port(), kept)
        self.tables: list[str] = []

    def start(self) -> None:
        self.engine.start(HOST)

    def client(self, service: str) -> Any:
        return aws.client(service, self.engine.endpoint)

    def run(self) -> dict[str, Any]:
        table = fresh_table(self.client("dynamodb"), "persistence")
        environment = {**aws.environment(self.engine.endpoint), "TABLE_NAME": table}
        figures = run_processor(["--bucket", BUCKET, "--key", KEY], environment)
        count = self.count(table)
        self.tables.append(table)
        figures["exactly_once"] = count == ROWS and figures["written"] == ROWS
        figures["rows_per_s"] = round(ROWS / figures["seconds"])
        return figures

    def count(self, table: str) -> int:
        return int(self.client("dynamodb").describe_table(TableName=table)["Table"]["ItemCount"])

    def counts(self) -> list[int]:
        return [self.count(table) for table in self.tables]


def measure(on: Engine, off: Engine) -> dict[str, Any]:
    body = csv_body(ROWS)
    for engine in (on, off):
        engine.start()
        engine.client("s3").create_bucket(Bucket=BUCKET)
        engine.client("s3").put_object(Bucket=BUCKET, Key=KEY, Body=body)
    EngineState(on.engine.endpoint).save()  # as `harness up` does after its deploy
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    for round_number in range(1, ROUNDS + 1):
        for name, engine in (("off", off), ("on", on)):
            say(f"round {round_number} of {ROUNDS}: persistence {name}, {ROWS:,} rows")
            runs[name].append(engine.run())
    median = {name: statistics.median(r["rows_per_s"] for r in runs[name]) for name in runs}
    saved = on.engine.saved_state
    assert saved is not None
    journal, _ = saved_state.companions(saved)
    journal_bytes = journal.stat().st_size
    counts_before = on.counts()

    say("killing the engine that keeps its state (SIGKILL), then starting it again")
    pid = on.engine.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    while on.engine.healthy():
        time.sleep(0.05)
    on.engine.pop_crashed_pid()
    started = time.monotonic()
    on.start()
    counts_after = on.counts()
    recovery_seconds = time.monotonic() - started
    return {
        "rows": ROWS,
        "rounds": ROUNDS,
        "runs": runs,
        "median_rows_per_s": median,
        "ratio_on_to_off": round(median["on"] / median["off"], 2),
        "target_ratio": TARGET_RATIO,
        "exactly_once": all(r["exactly_once"] for name in runs for r in runs[name]),
        "crash": {
            "journal_mb": round(journal_bytes / 1e6, 1),
            "saved_state_mb": round(saved.stat().st_size / 1e6, 1),
            "seconds_to_answer_with_state_back": round(recovery_seconds, 1),
            "items_back": counts_after == counts_before,
        },
    }


def main() -> int:
    show_progress()
    docker_host.ensure_docker(REPO / ".cache" / "dockerd.log")
    with tempfile.TemporaryDirectory(prefix="bench-persistence-") as folder:
        on = Engine(Path(folder) / "on", keeps_state=True)
        off = Engine(Path(folder) / "off", keeps_state=False)
        try:
            results = measure(on, off)
        finally:
            for engine in (on, off):
                engine.engine.stop()
    path = write_results("persistence-moto", results)
    report(results)
    print(f"\nresults: {path.relative_to(REPO)}")
    failures = []
    if not results["exactly_once"]:
        failures.append("a table did not hold every row of the file exactly once")
    if not results["crash"]["items_back"]:
        failures.append("after the crash, the tables did not hold what they held before")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def report(results: dict[str, Any]) -> None:
    median = results["median_rows_per_s"]
    crash = results["crash"]
    print(f"\nthe processor, {results['rows']:,} rows, median of {results['rounds']} runs:")
    print(f"  persistence off  {median['off']:>10,.0f} rows/s")
    print(f"  persistence on   {median['on']:>10,.0f} rows/s")
    ratio, target = results["ratio_on_to_off"], results["target_ratio"]
    verdict = "meets" if ratio >= target else "MISSES"
    print(f"  on / off         {ratio:>10.2f}   ({verdict} the target of {target})")
    print("after kill -9 of the engine that keeps its state:")
    print(f"  journal replayed {crash['journal_mb']:>10.1f} MB")
    print(f"  saved state      {crash['saved_state_mb']:>10.1f} MB")
    print(f"  answering again  {crash['seconds_to_answer_with_state_back']:>10.1f} s, items back")


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
