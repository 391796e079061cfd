"""Progress lines for long steps: INFO records of the `harness` loggers, which show_progress()
prints on stderr as `==> message`, so command output stays clean on stdout. Library code only
logs (`logging.getLogger(__name__)`); the CLI, the pytest plugin and the benchmarks show."""

import logging
import sys


class ProgressHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (pytest swaps it per test)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"==> {record.getMessage()}", file=sys.stderr, flush=True)


def show_progress() -> None:
    """Print the harness's progress lines from now on (once, however often it is called)."""
    logger = logging.getLogger("harness")
    logger.setLevel(logging.INFO)
    if not any(isinstance(handler, ProgressHandler) for handler in logger.handlers):
        logger.addHandler(ProgressHandler())
