"""The embedded engine's process: moto's server with the Batch stand-in on the same endpoint.

One edge endpoint serves every service, Batch included: requests signed for `batch` go to
the stand-in, all others to moto. Clients then need only AWS_ENDPOINT_URL, which is also
the one variable moto gives the Lambda functions it runs, so the unchanged trigger reaches
the stand-in without configuration of its own.

Containers the engine starts (Lambda functions, Batch jobs) run on the network the harness
chose (harness/cloud/network.py) and call the engine by the name given with
--containers-call; with --also-listen the engine also serves on that address (the gateway
of a bridge network the harness created), never on 0.0.0.0. Where they run on the host
network, a multi-node job's nodes run on a bridge network all the same
(harness/engine/moto/node_network.py).

Run: python -m harness.engine.moto.server --port 4566   (binds 127.0.0.1 unless told)
"""

import argparse
import dataclasses
import os
import sys
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cloud.network import ContainerNetwork
from harness.contracts import ACCOUNT_ID
from harness.control.routes import ENFORCE_IAM, IAM_PATH, PERSIST, STATE_PATH
from harness.engine.edge.gate import RequestGate
from harness.engine.edge.router import answer, edge_app
from harness.engine.edge.serving import configure_logging, once_serving, serve, serve_also
from harness.engine.moto.node_network import NodeBridge

if TYPE_CHECKING:
    from harness.batch.service import BatchService
    from harness.engine.moto.durability import DurableState


def build_app(
    endpoint: str,
    account_id: str,
    network: ContainerNetwork,
    port: int,
    enforce_iam: bool,
    kept: Path | None = None,
) -> tuple[Any, "BatchService", "DurableState | None"]:
    """The edge's WSGI app, the Batch stand-in behind it, and where the engine keeps its
    state: the folder `kept` (None: in memory only). The saved state there, if any, is
    restored before it returns."""
    # Imported here: moto reads its settings (set by main) when it is imported.
    from harness.batch.service import BatchService
    from harness.engine.moto import apps, patches
    from harness.engine.moto.durability import DurableState
    from harness.engine.moto.engine import SAVED_STATE
    from harness.engine.moto.iam import IamEnforcement, manage
    from harness.engine.moto.persistence import SavedState

    # Enforced once the saved state is restored: the journal's writes were authorized.
    iam = IamEnforcement(account_id, endpoint, enforce=False)

    def serve_nodes_on(gateway: str) -> None:
        app.also_called_by(gateway)
        serve_also(app, (gateway, port), "harness.engine")

    batch = BatchService(
        account_id,
        endpoint,
        network.endpoint(port),
        network.container_options(),
        job_credentials=iam.job_credentials,
        authorize=iam.authorize_batch,
        node_network=NodeBridge(port, serve_nodes_on) if network.mode == "host" else None,
    )
    # Kept for the life of the process; install() checks moto's internals first.
    installed = patches.MotoPatches(network, iam.function_credentials, batch, iam)
    installed.install()
    assert installed.invocations is not None
    gate = RequestGate()
    engine = apps.every_service()
    durable = None
    saved = SavedState(kept / SAVED_STATE) if kept else None
    if saved:
        durable = DurableState(saved, batch, installed.invocations, gate)
        engine = durable.restore(engine)
    iam.enforce = enforce_iam

    def switch_iam(environ: dict[str, Any], start_response: Any) -> Any:
        return manage(iam, environ, start_response)

    listening = urllib.parse.urlsplit(endpoint).hostname or ""
    saved_state = str(saved.path) if saved else None
    app = edge_app(
        health=lambda: {
            "engine": "moto",
            "batch": "stand-in",
            "saved_state": saved_state,
        },
        batch=batch,
        engine=gate.wsgi(engine),
        own_hosts=(listening, network.engine_host, network.listen_also or ""),
        control={IAM_PATH: switch_iam, STATE_PATH: state_route(durable)},
        kept=kept,
    )
    return app, batch, durable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--containers-network", default="host", help="'host' or a network name")
    parser.add_argument("--containers-call", default="127.0.0.1", help="the engine's host name")
    parser.add_argument("--also-listen", help="one more address to serve on")
    parser.add_argument(
        "--keep-in", type=Path, help="a folder: restore the state there at start, keep it there"
    )
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
    app, batch, durable = build_app(
        endpoint, account_id, network, args.port, enforce_iam, args.keep_in
    )
    once_serving(endpoint, "moto", lambda: go_on(batch, durable))
    hosts = filter(None, (args.host, args.also_listen))
    try:
        serve(app, [(host, args.port) for host in hosts], "harness.engine")
    finally:
        if durable:
            durable.stop()
    return 0


def state_route(durable: "DurableState | None") -> Any:
    """`/_harness/state`: POST saves the state now (with moto's requests held at the gate)
    and answers where, with the file's header."""

    def route(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if durable is None:
            message = f"it keeps its state in memory only ({PERSIST}=0)"
            return answer(start_response, {"message": message}, HTTPStatus.CONFLICT)
        try:
            header = durable.save()
        except Exception as error:  # the engine goes on serving; the caller hears why
            message = f"the state was not saved: {error!r}"
            return answer(start_response, {"message": message}, HTTPStatus.INTERNAL_SERVER_ERROR)
        return answer(
            start_response, {"path": str(durable.saved.path), **dataclasses.asdict(header)}
        )

    return route


def go_on(batch: "BatchService", durable: "DurableState | None") -> None:
    """Once the engine serves, restored jobs go on and held S3 events are delivered: their
    containers call the engine."""
    batch.resume_restored()
    if durable:
        durable.serving()


if __name__ == "__main__":
    sys.exit(main())
