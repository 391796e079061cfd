"""The Batch jobs of the deployed queue: jobs, cancel, terminate, logs."""

import argparse
from datetime import datetime
from typing import Any

from harness.cli.parsing import command, json_flag, print_json, print_listed
from harness.cli.target import pipeline
from harness.client.job_records import RECORD_SCHEMA, job_record
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import BatchJobs
from harness.errors import BadInput

JOB_SCHEMA = f"an array of {RECORD_SCHEMA}"


def job_line(job: dict[str, Any], waiting: dict[str, str]) -> str:
    """A job as `jobs` prints it: a job not yet started with why it waits."""
    created = datetime.fromtimestamp(job["createdAt"] / 1000).strftime("%Y-%m-%d %H:%M:%S")
    exit_code = job.get("container", {}).get("exitCode", "")
    status = f"{job['status']:<9} exit={exit_code!s:<3}"
    reason = waiting.get(job["jobId"]) or job.get("statusReason", "")
    return f"{created}  {job['jobId']}  {status} {job['jobName']}  {reason}"


def cmd_jobs(cloud: LocalCloud, args: argparse.Namespace) -> int:
    local = pipeline(cloud)
    jobs = local.jobs()
    waiting = BatchJobs(cloud.endpoint).waiting()
    if args.json:
        listed = [job_record(job, waiting) for job in jobs]
        if args.children:
            for job in jobs:
                listed += [job_record(part, waiting) for part in local.parts(job)]
        print_json(listed)
        return 0
    if not jobs:
        print("no jobs yet")
    for job in jobs:
        print(job_line(job, waiting))
        size = job.get("arrayProperties", {}).get("size")
        if size:
            (described,) = local.describe([job["jobId"]])
            counts = described["arrayProperties"].get("statusSummary", {})
            summary = " ".join(f"{s}={n}" for s, n in counts.items() if n)
            print(f"{'':10}array of {size}: {summary}")
        if args.children:
            for part in local.parts(job):
                print(f"{'':10}{job_line(part, waiting)}")
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
    if args.follow and (args.trigger or args.json or not args.job_id):
        raise BadInput("--follow follows one job's log as text: give its id, without --json")
    local = pipeline(cloud)
    if args.follow:
        for line in local.follow_log(args.job_id):
            print(line, flush=True)
        return 0
    if args.trigger:
        lines = local.trigger_log_lines()[-args.tail :]
    elif args.job_id:
        lines = list(local.log_lines(args.job_id))
    else:
        raise BadInput("give a job id (see `harness jobs`) or --trigger")
    print_listed(lines, args.json)
    return 0


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    jobs = command(
        commands,
        "jobs",
        "every job of the queue, newest first",
        "Every job of the deployed job queue, newest first: when it was created (local time), "
        "its id, state, exit code, name, and its status reason or, for a job not yet started, "
        "why it waits (its dependencies, its queue or compute environment, vCPUs, jobs that "
        "go first); an array job with its children's states counted.",
        "harness jobs --children",
    )
    jobs.add_argument(
        "--children",
        action="store_true",
        help="list array jobs' children and multi-node jobs' nodes too",
    )
    json_flag(jobs, JOB_SCHEMA)
    jobs.set_defaults(run=cmd_jobs)
    for verb, summary, description in (
        (
            "cancel",
            "CancelJob: a job not yet STARTING",
            "Cancel a job that has not started (SUBMITTED, PENDING or RUNNABLE), as Batch's "
            "CancelJob does; a job already running goes on (use terminate).",
        ),
        (
            "terminate",
            "TerminateJob: also a running one",
            "Terminate a job in any state, as Batch's TerminateJob does: a running one's "
            "container is stopped and the job FAILS with the reason given.",
        ),
    ):
        stop = command(commands, verb, summary, description, f"harness {verb} JOB_ID --reason R")
        stop.add_argument("job_id", help="the job's id (see `harness jobs`)")
        stop.add_argument("--reason", help="the job's statusReason")
        stop.set_defaults(run=cmd_stop)
    logs = command(
        commands,
        "logs",
        "a job's container output, or the trigger's log",
        "A job's container output from CloudWatch Logs, oldest line first; an array job's "
        "is its children's, each line labelled with the child's index, and a multi-node "
        "job's its nodes', labelled [#index]. With --follow, lines "
        "as they are written until the job ends. With --trigger, the trigger Lambda's log.",
        "harness logs JOB_ID --follow",
    )
    logs.add_argument("job_id", nargs="?", help="the job's id (see `harness jobs`)")
    logs.add_argument("--trigger", action="store_true", help="the trigger Lambda's log instead")
    logs.add_argument("--tail", type=int, default=100, help="with --trigger: last N lines")
    logs.add_argument(
        "--follow", action="store_true", help="print lines as they are written, until the job ends"
    )
    json_flag(logs, "an array of the log's lines, as strings")
    logs.set_defaults(run=cmd_logs)
