"""The pipeline's data: upload a file, read the table's rows, the demo."""

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from harness.cli.parsing import command, json_flag, print_json, print_listed
from harness.cli.target import pipeline
from harness.client.demo import run_demo
from harness.client.pipeline import plain
from harness.cloud.lifecycle import LocalCloud
from harness.errors import BadInput
from harness.paths import REPO


def readable_file(name: str) -> Path:
    """The file `name`, or BadInput saying it is not one, before the cloud is asked."""
    path = Path(name)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    return path


def cmd_upload(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = readable_file(args.file)
    local = pipeline(cloud)
    upload = local.upload(path, args.key)
    print(f"uploaded s3://{upload.bucket}/{upload.key} (ETag {upload.etag})")
    return 0


def cmd_rows(cloud: LocalCloud, args: argparse.Namespace) -> int:
    local = pipeline(cloud)
    if args.count:
        count = local.count()
        if args.json:
            print_json({"count": count})
        else:
            print(count)
        return 0
    limit = None if args.limit == 0 else max(args.limit, 0)  # 0: every item
    items = (plain(item) for item in itertools.islice(local.items(), limit))
    print_listed(items, args.json, line=lambda item: json.dumps(item, ensure_ascii=False))
    return 0


def cmd_demo(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = readable_file(args.file)
    return run_demo(pipeline(cloud), path)


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    upload = command(
        commands,
        "upload",
        "upload a file to the bucket",
        "Upload a file to the deployed bucket; a key under the upload prefix ending in .csv "
        "starts a job.",
        "harness upload my.csv",
    )
    upload.add_argument("file", help="a CSV file on this machine")
    upload.add_argument("--key", help="object key (default: the upload prefix + the file name)")
    upload.set_defaults(run=cmd_upload)
    rows = command(
        commands,
        "rows",
        "the table's items as JSON lines",
        "The table's items, one JSON object per line (DynamoDB's types unwrapped), or "
        "their number.",
        "harness rows --limit 5",
    )
    rows.add_argument("--count", action="store_true", help="print only the number of items")
    rows.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    json_flag(rows, "an array of the items (with --count: {count})")
    rows.set_defaults(run=cmd_rows)
    demo = command(
        commands,
        "demo",
        "upload a CSV and wait for its rows",
        "Upload a CSV, follow its job to the end, check that every row is in the table, and "
        "say how long it took from the upload to the last row.",
        "harness demo samples/Sample.csv",
    )
    demo.add_argument(
        "file",
        nargs="?",
        default=str(REPO / "samples" / "Sample.csv"),
        help="a CSV file (default: samples/Sample.csv)",
    )
    demo.set_defaults(run=cmd_demo)
