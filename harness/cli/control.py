"""The harness's own controls of the local cloud: fault rules and IAM enforcement."""

import argparse
import json
from typing import Any

from harness.cli.parsing import command, json_flag, print_listed
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import Faults, Iam


def cmd_faults_add(cloud: LocalCloud, args: argparse.Namespace) -> int:
    rule = Faults(cloud.endpoint).add(
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


def cmd_faults_list(cloud: LocalCloud, args: argparse.Namespace) -> int:
    print_listed(Faults(cloud.endpoint).listed(), args.json, line=json.dumps)
    return 0


def cmd_faults_clear(cloud: LocalCloud, args: argparse.Namespace) -> int:
    print(f"{Faults(cloud.endpoint).clear()} rules removed")
    return 0


def cmd_faults_reclaim(cloud: LocalCloud, args: argparse.Namespace) -> int:
    print(Faults(cloud.endpoint).reclaim(args.job_id))
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
        "harness faults add --service dynamodb --operation BatchWriteItem --probability 0.2 "
        "--error ProvisionedThroughputExceededException",
    )
    actions = faults.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = command(
        actions,
        "add",
        "add a rule",
        "Add a rule: the calls it matches (service, operation, a name they must contain) fail "
        "with an AWS error, wait, or have BatchWriteItem items held back; it prints the rule "
        "with its id.",
        "harness faults add --service s3 --operation GetObject --error SlowDown --count 2",
    )
    add.add_argument("--service", help="as signed for: dynamodb, s3, batch, logs, ...")
    add.add_argument("--operation", help="e.g. BatchWriteItem, GetObject, SubmitJob")
    add.add_argument("--error", help="an AWS error code, e.g. ThrottlingException, SlowDown")
    add.add_argument("--status", type=int, help="HTTP status (default: the code's own)")
    add.add_argument("--latency-ms", type=int, help="delay the call instead")
    add.add_argument("--unprocessed", type=float, help="BatchWriteItem: fraction held back")
    add.add_argument("--probability", type=float, help="of each matching call (default 1)")
    add.add_argument("--count", type=int, help="at most this many times")
    add.add_argument("--match", help="a table, bucket or key the call must name (substring)")
    add.set_defaults(run=cmd_faults_add)
    listing = command(
        actions,
        "list",
        "the rules, with how often each fired",
        "The fault rules, one JSON object per line, each with its id and how often it fired.",
        "harness faults list --json",
    )
    json_flag(listing, "an array of the rules, each with its id and how often it fired")
    listing.set_defaults(run=cmd_faults_list)
    command(
        actions, "clear", "remove every rule", "Remove every fault rule.", "harness faults clear"
    ).set_defaults(run=cmd_faults_clear)
    reclaim = command(
        actions,
        "reclaim",
        "a Spot interruption of a running job's host",
        "Reclaim the host a RUNNING job runs on, as a Spot interruption would: its container "
        "stops and the attempt fails with the host's reason; the retry strategy decides what "
        "follows.",
        "harness faults reclaim JOB_ID",
    )
    reclaim.add_argument("job_id", help="the RUNNING job (see `harness jobs`)")
    reclaim.set_defaults(run=cmd_faults_reclaim)
