"""Progress lines for long steps, on stderr so that command output stays clean on stdout."""

import sys
from collections.abc import Callable

Progress = Callable[[str], None]


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)
