"""One JSON object per line on stdout, so CloudWatch Logs Insights can query every field."""

import json
import sys
import time
from typing import Any, TextIO


def log(event: str, stream: TextIO | None = None, **fields: Any) -> None:
    """Write a structured log line: {"ts": ..., "event": ..., **fields}."""
    record = {"ts": round(time.time(), 3), "event": event, **fields}
    print(json.dumps(record, default=str), file=stream or sys.stdout, flush=True)
