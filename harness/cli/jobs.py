"""The Batch jobs of the deployed queue: jobs, cancel, terminate, logs."""

import argparse
import sys
from datetime import datetime
from typing import Any

from harness.cli.target import pipeline
from harness.cloud.lifecycle import LocalCloud


def job_line(job: dict[str, Any]) -> str:
    created = datetime.fromtimestamp(job["createdAt"] / 1000).strftime("%H:%M:%S")
    exit_code = job.get("container", {}).get("exitCode", "")
    status = f"{job['status']:<9} exit={exit_code!s:<3}"
    return f"{created}  {job['jobId']}  {status} {job['jobName']}  {job.get('statusReason', '')}"


def cmd_jobs(cloud: LocalCloud, args: argparse.Namespace) -> int:
    local = pipeline(cloud)
    jobs = local.jobs()
    if not jobs:
        print("no jobs yet")
    for job in jobs:
        print(job_line(job))
        size = job.get("arrayProperties", {}).get("size")
        if not size:
            continue
        (described,) = local.describe([job["jobId"]])
        counts = described["arrayProperties"].get("statusSummary", {})
        print(f"{'':10}array of {size}: " + " ".join(f"{s}={n}" for s, n in counts.items() if n))
        if args.children:
            for child in local.children(job["jobId"]):
                print(f"{'':10}{job_line(child)}")
    return 0


def cmd_stop(cloud: LocalCloud, args: argparse.Namespace) -> int:
    """CancelJob or TerminateJob, as the Batch API does them."""
    batch = pipeline(cloud).batch
    reason = args.reason or f"{args.command} with the harness CLI"
    stop = batch.cancel_job if args.command == "cancel" else batch.terminate_job
    stop(jobId=args.job_id, reason=reason)
    print(f"{args.command} requested for {args.job_id} ({reason})")
    return 0


def cmd_logs(cloud: LocalCloud, args: argparse.Namespace) -> int:
    local = pipeline(cloud)
    if args.trigger:
        lines = local.trigger_log_lines()[-args.tail :]
    elif args.job_id:
        lines = list(local.log_lines(args.job_id))
    else:
        print("give a job id (see `jobs`) or --trigger", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    jobs = commands.add_parser("jobs", help="every job of the queue, newest first")
    jobs.add_argument("--children", action="store_true", help="list array jobs' children too")
    jobs.set_defaults(run=cmd_jobs)
    for verb, meaning in (
        ("cancel", "CancelJob: a job not yet STARTING"),
        ("terminate", "TerminateJob: also a running one"),
    ):
        stop = commands.add_parser(verb, help=meaning)
        stop.add_argument("job_id", help="the job's id (see `jobs`)")
        stop.add_argument("--reason", help="the job's statusReason")
        stop.set_defaults(run=cmd_stop)
    logs = commands.add_parser("logs", help="a job's container output, or the trigger's log")
    logs.add_argument("job_id", nargs="?", help="the job's id (see `jobs`)")
    logs.add_argument("--trigger", action="store_true", help="the trigger Lambda's log instead")
    logs.add_argument("--tail", type=int, default=100, help="with --trigger: last N lines")
    logs.set_defaults(run=cmd_logs)
