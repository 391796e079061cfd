"""python -m harness COMMAND: run and inspect the pipeline on the local cloud."""

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from harness.client import aws
from harness.client.demo import run_demo
from harness.client.pipeline import Pipeline, plain
from harness.cloud.lifecycle import LocalCloud
from harness.control.client import Faults, Iam
from harness.deploy.cdk import CdkApp
from harness.deploy.watch import Watcher
from harness.errors import BadInput, HarnessError
from harness.paths import REPO
from harness.progress import show_progress


def pipeline(cloud: LocalCloud) -> Pipeline:
    return Pipeline(cloud.endpoint, cloud.outputs())


def cmd_up(cloud: LocalCloud, args: argparse.Namespace) -> int:
    outputs = cloud.up()
    print(f"""
Local cloud is up at {cloud.endpoint} (engine: {cloud.engine.name}; Batch on the same endpoint)
  bucket      {outputs.bucket}   (uploads under {outputs.upload_prefix!r} ending in .csv start jobs)
  table       {outputs.table}
  job queue   {outputs.job_queue}
  function    {outputs.function}

Try:
  make demo                                   upload samples/Sample.csv and follow it
  .venv/bin/python -m harness upload F.csv   upload any CSV
  .venv/bin/python -m harness jobs|logs|rows inspect
  eval "$(.venv/bin/python -m harness env)"  point aws/boto3 in this shell here
  make local-down                             stop everything""")
    return 0


def cmd_down(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.down()
    return 0


def cmd_status(cloud: LocalCloud, args: argparse.Namespace) -> int:
    status = cloud.status()
    print(json.dumps(status.as_dict(), indent=2))
    return 0 if status.engine_running and status.stack else 1


def cmd_env(cloud: LocalCloud, args: argparse.Namespace) -> int:
    for name, value in aws.environment(cloud.endpoint).items():
        print(f"export {name}={value}")
    return 0


def cmd_upload(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    local = pipeline(cloud)
    upload = local.upload(path, args.key)
    print(f"uploaded s3://{upload.bucket}/{upload.key} (ETag {upload.etag})")
    return 0


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
    reason = args.reason or f"{args.command} with python -m harness"
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
    return run_demo(pipeline(cloud), Path(args.file))


def cmd_watch(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.up()
    Watcher(cloud, CdkApp()).run()
    return 0


def cmd_images(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.images()
    return 0


def cmd_faults(cloud: LocalCloud, args: argparse.Namespace) -> int:
    faults = Faults(cloud.endpoint)
    if args.action == "list":
        for rule in faults.listed():
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "up", help="start Docker, the engine and Batch; build images; deploy"
    ).set_defaults(run=cmd_up)
    commands.add_parser("down", help="stop the engine and remove job containers").set_defaults(
        run=cmd_down
    )
    commands.add_parser("status", help="engine and stack state as JSON").set_defaults(
        run=cmd_status
    )
    commands.add_parser("env", help="shell exports for the local endpoint").set_defaults(
        run=cmd_env
    )
    commands.add_parser(
        "images", help="start Docker if needed and prepare the local images"
    ).set_defaults(run=cmd_images)
    commands.add_parser(
        "watch", help="bring the cloud up, then redeploy whenever infra/, lambda/ or batch/ change"
    ).set_defaults(run=cmd_watch)
    jobs = commands.add_parser("jobs", help="every job of the queue, newest first")
    jobs.add_argument("--children", action="store_true", help="list array jobs' children too")
    jobs.set_defaults(run=cmd_jobs)
    for verb, meaning in (
        ("cancel", "CancelJob: a job not yet STARTING"),
        ("terminate", "TerminateJob: also a running one"),
    ):
        stop = commands.add_parser(verb, help=meaning)
        stop.add_argument("job_id")
        stop.add_argument("--reason", help="the job's statusReason")
        stop.set_defaults(run=cmd_stop)
    upload = commands.add_parser("upload", help="upload a file to the bucket")
    upload.add_argument("file")
    upload.add_argument("--key", help="object key (default: the upload prefix + the file name)")
    upload.set_defaults(run=cmd_upload)
    logs = commands.add_parser("logs", help="a job's container output, or the trigger's log")
    logs.add_argument("job_id", nargs="?")
    logs.add_argument("--trigger", action="store_true", help="the trigger Lambda's log instead")
    logs.add_argument("--tail", type=int, default=100, help="with --trigger: last N lines")
    logs.set_defaults(run=cmd_logs)
    rows = commands.add_parser("rows", help="the table's items as JSON lines")
    rows.add_argument("--count", action="store_true", help="print only the number of items")
    rows.add_argument("--limit", type=int, default=0)
    rows.set_defaults(run=cmd_rows)
    enforcement = commands.add_parser(
        "iam", help="enforce the roles' IAM policies on the trigger and jobs (embedded engine)"
    )
    enforcement.add_argument("state", choices=("on", "off", "status"))
    enforcement.set_defaults(run=cmd_iam)
    faults = commands.add_parser(
        "faults", help="make calls to the local cloud fail on purpose (add, list, clear)"
    )
    faults.add_argument("action", choices=("add", "list", "clear", "reclaim"))
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
    faults.set_defaults(run=cmd_faults)
    demo = commands.add_parser("demo", help="upload a CSV and wait for its rows")
    demo.add_argument("file", nargs="?", default=str(REPO / "samples" / "Sample.csv"))
    demo.set_defaults(run=cmd_demo)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    show_progress()
    try:
        return args.run(LocalCloud(), args)
    except KeyboardInterrupt:
        return 130
    except (HarnessError, ClientError) as error:  # what went wrong, not a traceback
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, BadInput) else 1  # a wrong request: the usage exit code
