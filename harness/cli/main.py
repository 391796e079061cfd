"""harness COMMAND (or python -m harness): run and inspect the pipeline on the local cloud."""

import argparse
import contextlib
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError

from harness import installed_version
from harness.cli import cloud, console, control, data, jobs
from harness.cloud.lifecycle import LocalCloud
from harness.errors import BadInput, HarnessError
from harness.progress import show_progress

NOT_INSTALLED = "(not installed: run `make setup` or `pip install .`)"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="harness",
        description=__doc__,
        epilog="exit codes: 0 done, 1 failed, 2 bad input, 130 interrupted",
    )
    root.add_argument(
        "--version", action="version", version=f"%(prog)s {installed_version() or NOT_INSTALLED}"
    )
    commands = root.add_subparsers(dest="command", required=True)
    for group in (cloud, jobs, data, control, console):
        group.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    show_progress()
    try:
        return args.run(LocalCloud(), args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped (`harness jobs | head -1`): say nothing more
        # Python's final flush of stdout then goes nowhere instead of failing again (unless
        # stdout is no file, as when captured).
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (HarnessError, ClientError, BotoCoreError) as error:  # what, not a traceback
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, BadInput) else 1  # a wrong request: the usage exit code
