"""The pipeline's data: upload a file, read the table's rows, the demo."""

import argparse
import json
from pathlib import Path
from typing import Any

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
        print(local.count())
        return 0
    for number, item in enumerate(local.items()):
        if args.limit and number >= args.limit:
            break
        print(json.dumps(plain(item), ensure_ascii=False))
    return 0


def cmd_demo(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = readable_file(args.file)
    return run_demo(pipeline(cloud), path)


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    upload = commands.add_parser("upload", help="upload a file to the bucket")
    upload.add_argument("file", help="a CSV file on this machine")
    upload.add_argument("--key", help="object key (default: the upload prefix + the file name)")
    upload.set_defaults(run=cmd_upload)
    rows = commands.add_parser("rows", help="the table's items as JSON lines")
    rows.add_argument("--count", action="store_true", help="print only the number of items")
    rows.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    rows.set_defaults(run=cmd_rows)
    demo = commands.add_parser("demo", help="upload a CSV and wait for its rows")
    demo.add_argument(
        "file",
        nargs="?",
        default=str(REPO / "samples" / "Sample.csv"),
        help="a CSV file (default: samples/Sample.csv)",
    )
    demo.set_defaults(run=cmd_demo)
