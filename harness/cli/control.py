"""The harness's own controls of the local cloud: fault rules and IAM enforcement."""

import argparse
import json
from typing import Any

from harness.cli.parsing import command, json_flag, print_json
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import Faults, Iam
from harness.errors import HarnessError


def cmd_faults(cloud: LocalCloud, args: argparse.Namespace) -> int:
    faults = Faults(cloud.endpoint)
    if args.action == "list":
        rules = faults.listed()
        if args.json:
            print_json(rules)
        else:
            for rule in rules:
                print(json.dumps(rule))
    elif args.action == "clear":
        print(f"{faults.clear()} rules removed")
    elif args.action == "reclaim":
        if not args.job_id:
            raise HarnessError("faults reclaim needs the id of a RUNNING job")
        print(faults.reclaim(args.job_id))
    else:
        rule = faults.add(
            service=args.service,
            operation=args.operation,
            error=args.error,
            status=args.status,
            latency_ms=args.latency_ms,
            unprocessed=args.unprocessed,
            probability=args.probability,
            count=args.count,
            match=args.match,
        )
        print(json.dumps(rule))
    return 0


def cmd_iam(cloud: LocalCloud, args: argparse.Namespace) -> int:
    enforce = {"on": True, "off": False, "status": None}[args.state]
    enforced = Iam(cloud.endpoint).enforced(enforce)
    print(f"IAM enforcement is {'on' if enforced else 'off'}")
    return 0


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    enforcement = command(
        commands,
        "iam",
        "enforce the roles' IAM policies on the trigger and jobs (embedded engine)",
        "Switch IAM enforcement on the embedded engine: on, the trigger and the jobs run with "
        "their roles' credentials and every call is checked against their policies.",
        "harness iam on",
    )
    enforcement.add_argument("state", choices=("on", "off", "status"), help="switch or report")
    enforcement.set_defaults(run=cmd_iam)
    faults = command(
        commands,
        "faults",
        "make calls to the local cloud fail on purpose (add, list, clear, reclaim)",
        "Fault rules at the engine's edge: add one (an AWS error, a delay, or BatchWriteItem "
        "items held back, for the calls it matches), list them with how often each fired, "
        "clear them, or reclaim a running job's host as a Spot interruption would.",
        "harness faults add --service dynamodb --operation BatchWriteItem "
        "--error ProvisionedThroughputExceededException --probability 0.2",
    )
    faults.add_argument("action", choices=("add", "list", "clear", "reclaim"), help="what to do")
    faults.add_argument("job_id", nargs="?", help="reclaim: the RUNNING job whose host goes")
    faults.add_argument("--service", help="as signed for: dynamodb, s3, batch, logs, ...")
    faults.add_argument("--operation", help="e.g. BatchWriteItem, GetObject, SubmitJob")
    faults.add_argument("--error", help="an AWS error code, e.g. ThrottlingException, SlowDown")
    faults.add_argument("--status", type=int, help="HTTP status (default: the code's own)")
    faults.add_argument("--latency-ms", type=int, help="delay the call instead")
    faults.add_argument("--unprocessed", type=float, help="BatchWriteItem: fraction held back")
    faults.add_argument("--probability", type=float, help="of each matching call (default 1)")
    faults.add_argument("--count", type=int, help="at most this many times")
    faults.add_argument("--match", help="a table, bucket or key the call must name (substring)")
    json_flag(faults, "list: an array of the rules, each with its id and how often it fired")
    faults.set_defaults(run=cmd_faults)
