"""One JSON object per line on stdout, so CloudWatch Logs Insights can query every field.

The trigger writes the same shape (lambda/trigger/logs.py): {"ts", "level", "event", ...}.
"""

import json
import sys
import time
from typing import Any, TextIO


def log(event: str, stream: TextIO | None = None, level: str = "INFO", **fields: Any) -> None:
    """Write a structured log line: {"ts": ..., "level": ..., "event": ..., **fields}."""
    record = {"ts": round(time.time(), 3), "level": level, "event": event, **fields}
    print(json.dumps(record, default=str), file=stream or sys.stdout, flush=True)
