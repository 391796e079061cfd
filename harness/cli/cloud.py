"""The local cloud's lifecycle: up, down, status, env, images, watch."""

import argparse
import json
from typing import Any

from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.deploy.cdk import CdkApp
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
    print(json.dumps(status.as_dict(), indent=2))
    return 0 if status.engine_running and status.stack else 1


def cmd_env(cloud: LocalCloud, args: argparse.Namespace) -> int:
    for name, value in aws.environment(cloud.endpoint).items():
        print(f"export {name}={value}")
    return 0


def cmd_images(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.images()
    return 0


def cmd_watch(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.up()
    Watcher(cloud, CdkApp()).run()
    return 0


def register(commands: Any) -> None:
    """Add these subcommands to `commands` (argparse's subparsers)."""
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
