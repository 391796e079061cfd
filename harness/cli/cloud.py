"""The local cloud's lifecycle: up, down, status, env, images, watch, state."""

import argparse
from pathlib import Path
from typing import Any

from harness.cli.parsing import command, json_flag, print_json
from harness.client import aws
from harness.cloud import saved_state, snapshots
from harness.cloud.lifecycle import LocalCloud, Status
from harness.cloud.reset import reset_data
from harness.deploy.watch import Watcher


def cmd_up(cloud: LocalCloud, args: argparse.Namespace) -> int:
    outputs = cloud.up()
    print(f"""
Local cloud is up at {cloud.endpoint} (engine: {cloud.engine.name}; Batch on the same endpoint)
  bucket      {outputs.bucket}   (uploads under {outputs.upload_prefix!r} start jobs)
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
        print(f"state     {state_line(status)}")
    return 0 if status.engine_running and status.stack else 1


def state_line(status: Status) -> str:
    """Where the cloud's state is: the engine's, or only what the harness keeps of it."""
    if status.saved_state:
        return f"on disk: {on_disk(status.saved_state)}"
    if status.kept:
        return (
            f"{status.engine}'s in memory only; the Batch stand-in's state and the fault rules "
            f"on disk in {status.kept}"
        )
    return "in memory only"


def on_disk(saved: Path) -> str:
    """The saved state's file and what its files take on disk."""
    count = len(saved_state.files(saved))
    if not count:
        return f"{saved} (nothing saved yet)"
    size = saved_state.bytes_on_disk(saved) / 1e6
    return f"{saved} and the journal of writes since ({size:.1f} MB in {count} files)"


def cmd_env(cloud: LocalCloud, args: argparse.Namespace) -> int:
    for name, value in aws.environment(cloud.endpoint).items():
        print(f"export {name}={value}")
    return 0


def cmd_state_reset(cloud: LocalCloud, args: argparse.Namespace) -> int:
    cloud.outputs()  # the cloud is up and the stack deployed, or NotUp says how to get there
    print(reset_data(cloud.endpoint, cloud.app.stack_name))
    return 0


def cmd_state_save(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = snapshots.named(args.name)
    header = snapshots.export(cloud, path)
    print(f"snapshot {args.name}: {path} ({header.describe()})")
    return 0


def cmd_state_load(cloud: LocalCloud, args: argparse.Namespace) -> int:
    path = snapshots.named(args.name)
    header = snapshots.import_(cloud, path)
    print(f"loaded snapshot {args.name} ({header.describe()})")
    return 0


def cmd_state_export(cloud: LocalCloud, args: argparse.Namespace) -> int:
    header = snapshots.export(cloud, args.file)
    print(f"exported to {args.file} ({header.describe()})")
    return 0


def cmd_state_import(cloud: LocalCloud, args: argparse.Namespace) -> int:
    header = snapshots.import_(cloud, args.file)
    print(f"imported {args.file} ({header.describe()})")
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
        "job_definition, function, upload_prefix}, saved_state: null or its file, kept: null "
        "or the folder of what outlives the engine}",
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
        "the cloud's state: reset, save, load, export, import",
        "The local cloud's state: what `harness down` saves and `harness up` brings back "
        "(.harness/state/<port>/). Empty its data, keep a snapshot of it under a name, or "
        "move it as a file.",
        "harness state save before-migration",
    )
    actions = state.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(
        actions,
        "reset",
        "empty the data, keep the stack",
        "Terminate the running jobs and drop the job history, delete every object of the "
        "stack's buckets, every item of its tables and every stream of its log groups (its "
        "functions' and Batch's). The deployed stack, its functions, roles, queues and job "
        "definitions stay: the next upload runs at once, with no redeploy.",
        "harness state reset",
    ).set_defaults(run=cmd_state_reset)
    for name, run, summary, description, example in (
        (
            "save",
            cmd_state_save,
            "keep the state as it is now, under a name",
            "Save the running cloud's state now (else take its last saved state) as a snapshot "
            "in .harness/snapshots/NAME.state.",
            "harness state save seeded",
        ),
        (
            "load",
            cmd_state_load,
            "go back to a named snapshot",
            "Replace the cloud's state with the snapshot NAME: a running cloud is stopped and "
            "started again on it.",
            "harness state load seeded",
        ),
    ):
        action = command(actions, name, summary, description, example)
        action.add_argument("name", help="the snapshot's name (letters, digits, . _ -)")
        action.set_defaults(run=run)
    for name, run, summary, description, example in (
        (
            "export",
            cmd_state_export,
            "write the state to a file",
            "Write the cloud's state as it is now to FILE, for a teammate or CI to import. The "
            "file names the engine and the versions that wrote it.",
            "harness state export seeded.state",
        ),
        (
            "import",
            cmd_state_import,
            "take the state from a file",
            "Replace the cloud's state with FILE (written by `harness state export`): a "
            "running cloud is stopped and started again on it. A file that is not a saved "
            "state is refused before anything changes.",
            "harness state import seeded.state",
        ),
    ):
        action = command(actions, name, summary, description, example)
        action.add_argument("file", type=Path, help="the state's file")
        action.set_defaults(run=run)
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
