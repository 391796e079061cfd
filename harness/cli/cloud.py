"""The local cloud's lifecycle: up, down, status, env, images, watch, state."""

import argparse
from typing import Any

from harness.cli.parsing import command, json_flag, print_json
from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.cloud.reset import reset_data
from harness.deploy.watch import Watcher


def cmd_up(cloud: LocalCloud, args: argparse.Namespace) -> int:
    outputs = cloud.up()
    print(f"""
Local cloud is up at {cloud.endpoint} (engine: {cloud.engine.name}; Batch on the same endpoint)
  bucket      {outputs.bucket}   (uploads under {outputs.upload_prefix!r} ending in .csv start jobs)
  table       {outputs.table}
  job queue   {outputs.job_queue}
  function    {outputs.function}

Try:
  make demo                          upload samples/Sample.csv and follow it
  .venv/bin/harness upload F.csv     upload any CSV
  .venv/bin/harness jobs|logs|rows   inspect
  eval "$(.venv/bin/harness env)"    point aws/boto3 in this shell here
  make local-down                    stop everything""")
    return 0


def cmd_down(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.down()
    return 0


def cmd_status(cloud: LocalCloud, args: argparse.Namespace) -> int:
    status = cloud.status()
    if args.json:
        print_json(status.as_dict())
    else:
        state = "running" if status.engine_running else "not running"
        print(f"engine    {status.engine} at {status.endpoint}: {state}")
        stack = status.stack
        print(f"stack     {'deployed: table ' + stack.table if stack else 'not deployed'}")
    return 0 if status.engine_running and status.stack else 1


def cmd_env(cloud: LocalCloud, args: argparse.Namespace) -> int:
    for name, value in aws.environment(cloud.endpoint).items():
        print(f"export {name}={value}")
    return 0


def cmd_state(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.outputs()  # the cloud is up and the stack deployed, or NotUp says how to get there
    print(reset_data(cloud.endpoint, cloud.app.stack_name))
    return 0


def cmd_images(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.images()
    return 0


def cmd_watch(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.up()
    Watcher(cloud, cloud.app).run()
    return 0


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
    command(
        commands,
        "up",
        "start Docker, the engine and Batch; build images; deploy",
        "Bring the local cloud up: the Docker engine, the local images, the AWS engine "
        "(HARNESS_ENGINE: moto or localstack) with the Batch stand-in on one endpoint, then "
        "deploy the CDK app with cdklocal. Idempotent: what runs is reused, and an unchanged "
        "app deploys nothing.",
        "harness up",
    ).set_defaults(run=cmd_up)
    command(
        commands,
        "down",
        "stop the engine and remove job containers",
        "Stop the engine the harness started and remove the containers its jobs left; "
        "the cloud's data goes with it.",
        "harness down",
    ).set_defaults(run=cmd_down)
    status = command(
        commands,
        "status",
        "the engine and the stack: running? deployed?",
        "Whether the engine answers and the stack is deployed; exit 0 when both, 1 otherwise.",
        "harness status --json",
    )
    json_flag(
        status,
        "{engine, endpoint, engine_running, stack: null or {bucket, table, job_queue, "
        "job_definition, function, upload_prefix}}",
    )
    status.set_defaults(run=cmd_status)
    command(
        commands,
        "env",
        "shell exports for the local endpoint",
        "The variables that point the AWS CLI and SDKs in this shell at the local cloud "
        "(endpoint, region, test credentials).",
        'eval "$(harness env)"',
    ).set_defaults(run=cmd_env)
    state = command(
        commands,
        "state",
        "the cloud's data: reset empties it and keeps the stack",
        "reset: terminate the running jobs and drop the job history, delete every object of "
        "the stack's buckets, every item of its tables and every stream of its log groups "
        "(its functions' and Batch's). The deployed stack, its functions, roles, queues and "
        "job definitions stay: the next upload runs at once, with no redeploy.",
        "harness state reset",
    )
    state.add_argument("action", choices=("reset",), help="what to do with the data")
    state.set_defaults(run=cmd_state)
    command(
        commands,
        "images",
        "start Docker if needed and prepare the local images",
        "Start the Docker engine if it is not running, then build or reuse the images the "
        "flow needs (base, Lambda runtime, processor, and the engine's own).",
        "harness images",
    ).set_defaults(run=cmd_images)
    command(
        commands,
        "watch",
        "bring the cloud up, then redeploy whenever infra/, lambda/ or batch/ change",
        "Bring the cloud up, then redeploy on every save under infra/, lambda/, batch/ or to "
        "cdk.json; a processor-only change takes the no-synth path. Ctrl-C stops watching.",
        "harness watch",
    ).set_defaults(run=cmd_watch)
