"""What the benchmarks share: generated CSV files and one processor run measured as a process."""

import csv
import io
import json
import os
import random
import subprocess
import sys
import time

from harness.paths import REPO

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
        writer.writerow([f"bench-{n:08}", f"Product {n}", f"Made for the benchmark, item {n}",
                         f"{chooser.uniform(1, 500):.2f}", notes])  # fmt: skip
    return text.getvalue().encode()


def run_processor(arguments: list[str], environment: dict[str, str]) -> dict:
    """Run the processor on this machine: its wall and CPU seconds, peak RSS, rows written."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "processor", *arguments], cwd=REPO / "batch",
        env={**os.environ, **environment}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
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
