"""The embedded engine's process: moto's server with the Batch stand-in on the same endpoint.

One edge endpoint serves every service, Batch included: requests signed for `batch` go to
the stand-in, all others to moto. Clients then need only AWS_ENDPOINT_URL, which is also
the one variable moto gives the Lambda functions it runs, so the unchanged trigger reaches
the stand-in without configuration of its own.

Containers the engine starts (Lambda functions, Batch jobs) run on the network the harness
chose (harness/cloud/network.py) and call the engine by the name given with
--containers-call; with --also-listen the engine also serves on that address (the gateway
of a bridge network the harness created), never on 0.0.0.0.

Run: python -m harness.engine.moto.server --port 4566   (binds 127.0.0.1 unless told)
"""

import argparse
import dataclasses
import os
import sys
import threading
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cloud.network import ContainerNetwork
from harness.contracts import ACCOUNT_ID
from harness.control.routes import ENFORCE_IAM, IAM_PATH, PERSIST, STATE_PATH
from harness.engine.base import answering
from harness.engine.edge.gate import RequestGate
from harness.engine.edge.router import answer, edge_app
from harness.engine.edge.serving import configure_logging, serve
from harness.waiting import wait_until

if TYPE_CHECKING:
    from harness.batch.service import BatchService
    from harness.engine.moto.persistence import SavedState


def build_app(
    endpoint: str,
    account_id: str,
    network: ContainerNetwork,
    port: int,
    enforce_iam: bool,
    saved: "SavedState | None" = None,
) -> tuple[Any, "BatchService"]:
    """The edge's WSGI app, and the Batch stand-in behind it. `saved`: where the engine saves
    its state (None: nowhere)."""
    # Imported here: moto reads its settings (set by main) when it is imported.
    from harness.batch.service import BatchService
    from harness.engine.moto import apps, patches
    from harness.engine.moto.iam import IamEnforcement, manage

    iam = IamEnforcement(account_id, endpoint, enforce=enforce_iam)
    batch = BatchService(
        account_id,
        endpoint,
        network.endpoint(port),
        network.container_options(),
        job_credentials=iam.job_credentials,
        authorize=iam.authorize_batch,
    )
    # Kept for the life of the process; install() checks moto's internals first.
    patches.MotoPatches(network, iam.function_credentials, batch, iam).install()

    def switch_iam(environ: dict[str, Any], start_response: Any) -> Any:
        return manage(iam, environ, start_response)

    listening = urllib.parse.urlsplit(endpoint).hostname or ""
    saved_state = str(saved.path) if saved else None
    gate = RequestGate()
    app = edge_app(
        health=lambda: {"engine": "moto", "batch": "stand-in", "saved_state": saved_state},
        batch=batch,
        engine=gate.wsgi(apps.every_service()),
        own_hosts=(listening, network.engine_host, network.listen_also or ""),
        control={IAM_PATH: switch_iam, STATE_PATH: state_route(saved, batch, gate)},
    )
    return app, batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--containers-network", default="host", help="'host' or a network name")
    parser.add_argument("--containers-call", default="127.0.0.1", help="the engine's host name")
    parser.add_argument("--also-listen", help="one more address to serve on")
    parser.add_argument("--state", type=Path, help="read the saved state at start, save at stop")
    args = parser.parse_args(argv)
    network = ContainerNetwork(
        mode="host" if args.containers_network == "host" else "bridge",
        engine_host=args.containers_call,
        network_name=None if args.containers_network == "host" else args.containers_network,
        listen_also=args.also_listen,
    )
    configure_logging()
    os.environ["MOTO_PORT"] = str(args.port)
    account_id = os.environ.setdefault("MOTO_ACCOUNT_ID", ACCOUNT_ID)
    enforce_iam = os.environ.get(ENFORCE_IAM, "") == "1"
    endpoint = f"http://{args.host}:{args.port}"
    from harness.engine.moto.persistence import SavedState

    saved = SavedState(args.state) if args.state else None
    app, batch = build_app(endpoint, account_id, network, args.port, enforce_iam, saved)
    if saved:
        saved.load(batch)
        threading.Thread(target=resume_when_serving, args=(endpoint, batch), daemon=True).start()
    hosts = filter(None, (args.host, args.also_listen))
    try:
        serve(app, [(host, args.port) for host in hosts], "harness.engine")
    finally:
        if saved:
            saved.save(batch)
    return 0


def state_route(saved: "SavedState | None", batch: "BatchService", gate: RequestGate) -> Any:
    """`/_harness/state`: POST saves the state now (with moto's requests held at the gate) and
    answers where, with the file's header."""

    def route(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if saved is None:
            message = f"it keeps its state in memory only ({PERSIST}=0)"
            return answer(start_response, {"message": message}, HTTPStatus.CONFLICT)
        try:
            with gate.closed():
                header = saved.save(batch)
        except Exception as error:  # the engine goes on serving; the caller hears why
            message = f"the state was not saved: {error!r}"
            return answer(start_response, {"message": message}, HTTPStatus.INTERNAL_SERVER_ERROR)
        return answer(start_response, {"path": str(saved.path), **dataclasses.asdict(header)})

    return route


def resume_when_serving(endpoint: str, batch: "BatchService") -> None:
    """Restored jobs go on once the engine answers: their containers and logs call it."""
    wait_until(lambda: answering(endpoint) == "moto" or None, timeout=60, interval=0.1)
    batch.resume_restored()


if __name__ == "__main__":
    sys.exit(main())
