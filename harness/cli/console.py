"""`harness console`: the local cloud in the browser (harness/console/)."""

import argparse
import os
from typing import Any

import waitress

from harness.cli.parsing import command
from harness.cloud.lifecycle import LocalCloud
from harness.console.app import ConsoleApp
from harness.console.data import ConsoleData
from harness.engine.base import port_taken
from harness.errors import HarnessError

PORT_VARIABLE = "HARNESS_CONSOLE_PORT"
DEFAULT_PORT = 4580
THREADS = 8  # each open page holds one for its stream of job states


def cmd_console(cloud: LocalCloud, args: argparse.Namespace) -> int:
    outputs = cloud.outputs()  # the cloud is up and the stack deployed, or NotUp says how
    url = f"http://127.0.0.1:{args.port}/"
    if port_taken(url):
        raise HarnessError(
            f"port {args.port} is taken: choose another with --port or {PORT_VARIABLE}"
        )
    data = ConsoleData(
        cloud.engine.name, cloud.endpoint, cloud.app.stack_name, outputs, cloud.app.item_source
    )
    print(f"console: {url} (Ctrl-C stops it)", flush=True)
    # send_bytes=1: each server-sent event goes out as soon as it is written.
    waitress.serve(
        ConsoleApp(data, args.port),
        host="127.0.0.1",
        port=args.port,
        threads=THREADS,
        send_bytes=1,
        ident="harness-console",
        _quiet=True,
    )
    return 0


def register(commands: Any) -> None:
    """Add this subcommand to `commands` (argparse's subparsers)."""
    console = command(
        commands,
        "console",
        "the local cloud in the browser",
        "Serve a console of the running local cloud on 127.0.0.1: the deployed stack and fault "
        "rules, the jobs as their states change and why each waiting job waits, a job's "
        "attempts, log and items, an upload and a cancel. Runs until Ctrl-C.",
        "harness console --port 4580",
    )
    console.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get(PORT_VARIABLE, DEFAULT_PORT)),
        help=f"the port on 127.0.0.1 (default {DEFAULT_PORT}, or {PORT_VARIABLE})",
    )
    console.set_defaults(run=cmd_console)
