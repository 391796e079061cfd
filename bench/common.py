"""What the benchmarks share: smoke mode, where results go, generated CSV files, and one
processor run measured as a process."""

import csv
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from harness.paths import REPO

# BENCH_SMOKE=1: tiny sizes and one round, results apart from the real ones (`make bench-smoke`,
# which CI runs, so that a benchmark that stops measuring fails the build).
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
SMOKE_RESULTS = REPO / "bench" / "results" / "smoke"
RESULTS = SMOKE_RESULTS if SMOKE else REPO / "bench" / "results"


def fresh_table(dynamodb: Any, prefix: str = "bench") -> str:
    """A new on-demand table keyed on the files' key column (HEADER[0]); its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": HEADER[0], "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": HEADER[0], "AttributeType": "S"}],
    )
    return name


def setting(name: str, full: str, smoke: str) -> str:
    """The environment's value of `name`, else the smoke or the full run's default."""
    return os.environ.get(name, smoke if SMOKE else full)


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Save `results` as bench/results[/smoke]/<name>.json; raise SystemExit naming every figure
    that was not produced (None, NaN or an empty list), so a run that stopped measuring fails."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    missing = list(unproduced(results))
    if missing:
        raise SystemExit(f"{name}: figures not produced: {', '.join(missing)} (in {path})")
    return path


def unproduced(value: Any, where: str = "") -> list[str]:
    """The paths of the figures in `value` that are None, NaN or empty lists."""
    if isinstance(value, dict):
        return [m for key, item in value.items() for m in unproduced(item, f"{where}.{key}")]
    if isinstance(value, list):
        if not value:
            return [where.lstrip(".") or "(results)"]
        return [m for n, item in enumerate(value) for m in unproduced(item, f"{where}[{n}]")]
    if value is None or (isinstance(value, float) and value != value):
        return [where.lstrip(".")]
    return []


HEADER = ["ProductId", "ProductName", "ProductDescription", "Price", "Notes"]


def csv_body(rows: int, seed: int = 20261127) -> bytes:
    """`rows` rows of 5 columns with a fixed seed; some fields hold a quoted comma, some a
    quoted newline, so the parser and the range planner see what real exports contain."""
    chooser = random.Random(seed)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    for n in range(rows):
        notes = chooser.choice(["", "fragile", "ships in 2 days", "line one\nline two"])
        writer.writerow(
            [
                f"bench-{n:08}",
                f"Product {n}",
                f"Made for the benchmark, item {n}",
                f"{chooser.uniform(1, 500):.2f}",
                notes,
            ]
        )
    return text.getvalue().encode()


def run_processor(arguments: list[str], environment: dict[str, str]) -> dict:
    """Run the processor on this machine: its wall and CPU seconds, peak RSS, rows written."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "processor", *arguments],
        cwd=REPO / "batch",
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    lines = output.splitlines()
    summary = json.loads(lines[-1]) if lines else {}
    if process.returncode != 0:
        raise SystemExit(f"processor {' '.join(arguments)} failed: {summary or output[-2000:]}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        # its own report: a forked child's maxrss starts from this process's size
        "peak_rss_mb": summary.get("peak_rss_mb"),
        "written": summary.get("written", 0),
    }
