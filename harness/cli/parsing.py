"""How every subcommand is declared: a one-line summary for `harness --help`, a description
and an example for its own `--help`, and `--json` where it lists or reports."""

import argparse
import json
import textwrap
from collections.abc import Callable, Iterable
from typing import Any


def command(
    commands: Any, name: str, summary: str, description: str, example: str
) -> argparse.ArgumentParser:
    """Add subcommand `name` to `commands` (argparse's subparsers)."""
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 88),
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def json_flag(parser: argparse.ArgumentParser, schema: str) -> None:
    """--json, with the shape of what it prints."""
    parser.add_argument("--json", action="store_true", help=f"print JSON: {schema}")


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False))


def print_listed(values: Iterable[Any], as_json: bool, line: Callable[[Any], str] = str) -> None:
    """`values` as one JSON array (--json), else one line each as they come."""
    if as_json:
        print_json(list(values))
        return
    for value in values:
        print(line(value))
