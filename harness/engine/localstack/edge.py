"""The edge in front of LocalStack: one endpoint for every service, Batch included.

Requests signed for `batch` go to the Batch stand-in and those signed for `ecr` to moto's ECR
(LocalStack's free edition has neither; image assets stay in the local Docker engine, as with
the embedded engine: harness/bin/cdk-docker); everything else is passed through to
LocalStack unchanged, streamed both ways.

It listens on the harness's endpoint (127.0.0.1:4566) and on the gateway address of the
harness's bridge network at LocalStack's own port: LocalStack tells the functions it runs
(AWS_ENDPOINT_URL) and its Lambda init (LOCALSTACK_RUNTIME_ENDPOINT) to call that address
and port, so the unchanged trigger's SubmitJob reaches the stand-in, and job containers
on the same network call the same address. LocalStack itself listens on loopback only.

Run: python -m harness.engine.localstack.edge --localstack http://127.0.0.1:4567 ...
"""

import argparse
import http
import json
import logging
import os
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import urllib3

from harness.batch.service import BatchService
from harness.cloud.network import ContainerNetwork
from harness.contracts import ACCOUNT_ID, REGION
from harness.engine import stand_in_state
from harness.engine.edge.router import edge_app
from harness.engine.edge.serving import configure_logging, once_serving, serve
from harness.engine.edge.sigv4 import credential_scope, signed_service
from harness.engine.localstack import stand_in_resources
from harness.engine.localstack.health import ReadinessProbe
from harness.faults.middleware import buffered_body

logger = logging.getLogger("harness.edge")

# Headers that belong to one connection, not to the request (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    )
)
CHUNK = 64 * 1024
# LocalStack loads a service on its first request, which on a busy machine takes longer than
# any one API call: only the connection has a short limit; an answer may take minutes (S3
# uploads of big files, CloudFormation's first call).
CONNECT_SECONDS = 10.0
READ_SECONDS = 960.0
# In the folder the edge keeps (--keep-in), beside the fault rules: LocalStack's free runtime
# keeps nothing, so this file is all the stand-in has across a restart.
STAND_IN_STATE = "stand-in.state"


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    return headers


def request_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        return bytes(stream.read(int(length)))
    if environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
        return bytes(stream.read())
    return b""


class Proxy:
    """Passes requests through to `target` over a pool of kept-alive connections."""

    def __init__(
        self,
        target: str,
        connect_seconds: float = CONNECT_SECONDS,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self.target = target.rstrip("/")
        timeout = urllib3.Timeout(connect=connect_seconds, read=read_seconds)
        self.pool = urllib3.PoolManager(maxsize=32, retries=False, timeout=timeout)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("REQUEST_URI") or environ["PATH_INFO"]  # as sent (waitress)
        if not path.startswith("/"):  # an absolute URI
            path = "/" + path.split("/", 3)[-1]
        if "?" not in path and environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        try:
            response = self.pool.request(
                environ["REQUEST_METHOD"],
                self.target + path,
                body=request_body(environ),
                headers=request_headers(environ),
                preload_content=False,
                decode_content=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as error:
            start_response("502 Bad Gateway", [("Content-Type", "application/json")])
            return [json.dumps({"message": f"LocalStack at {self.target}: {error}"}).encode()]
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in HOP_BY_HOP
        ]
        start_response(status_line(response.status), headers)
        return stream(response)


def status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def stream(response: Any) -> Iterator[bytes]:
    try:
        yield from response.stream(CHUNK, decode_content=False)
    finally:
        response.release_conn()


class StackDeletion:
    """DeleteStack passed on to LocalStack, then the stack's Batch resources, which its
    CloudFormation skipped, deleted from the stand-in (stand_in_resources.py)."""

    def __init__(self, proxy: Any, localstack: str, batch: BatchService) -> None:
        self.proxy = proxy
        self.localstack = localstack
        self.batch = batch

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        stack = deleted_stack(environ)
        if stack is None:
            return self.proxy(environ, start_response)
        try:
            template, resolver = stand_in_resources.read_stack(self.localstack, stack)
            name = resolver.pseudo["AWS::StackName"]
            resources = stand_in_resources.batch_resources(template, resolver, name)
        except Exception as error:  # a stack LocalStack no longer has, a template it cannot read
            logger.warning("DeleteStack %s: its Batch resources are not known (%s)", stack, error)
            resources = []
        answer = self.proxy(environ, start_response)
        scope = credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
        backend = self.batch.backend(scope[0] if scope else REGION)
        logger.info("DeleteStack %s: deleting its Batch resources from the stand-in", stack)
        stand_in_resources.delete_batch_resources(backend, resources)
        return answer


def deleted_stack(environ: dict[str, Any]) -> str | None:
    """The stack a CloudFormation DeleteStack request names (query protocol), else None."""
    if signed_service(environ) != "cloudformation" or environ["REQUEST_METHOD"] != "POST":
        return None
    form = urllib.parse.parse_qs(buffered_body(environ).decode("utf-8", "replace"))
    if form.get("Action") != ["DeleteStack"]:
        return None
    names = form.get("StackName")
    return names[0] if names else None


def build_app(
    localstack: str,
    batch: BatchService,
    own_hosts: list[str],
    kept: Path | None = None,
) -> Any:
    """The edge's WSGI app (moto's ECR takes its account from MOTO_ACCOUNT_ID); `own_hosts`:
    the names and addresses it is called by besides loopback's (harness/engine/edge/guard.py);
    `kept`: the folder of its fault rules (None: in memory only)."""
    from harness.engine.moto import apps

    probe = ReadinessProbe(localstack)
    return edge_app(
        health=lambda: {
            "engine": "localstack",
            "localstack": localstack,
            "batch": "stand-in",
            "localstack_ready": probe.ready,
        },
        batch=batch,
        engine=StackDeletion(Proxy(localstack), localstack, batch),
        own_hosts=own_hosts,
        services={"ecr": apps.one_service("ecr")},
        kept=kept,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localstack", required=True, help="LocalStack's URL")
    parser.add_argument("--listen", action="append", required=True, help="HOST:PORT")
    parser.add_argument("--account-id", default=ACCOUNT_ID)
    parser.add_argument("--containers-network", required=True, help="a network's name")
    parser.add_argument("--containers-call", required=True, help="HOST:PORT of this edge")
    parser.add_argument(
        "--keep-in", type=Path, help="a folder for the Batch stand-in's state and the fault rules"
    )
    args = parser.parse_args(argv)
    configure_logging()
    host, _, port = args.containers_call.rpartition(":")
    network = ContainerNetwork("bridge", host, args.containers_network)
    first_host, _, first_port = args.listen[0].rpartition(":")
    batch = BatchService(
        args.account_id,
        f"http://{first_host}:{first_port}",
        network.endpoint(int(port)),
        network.container_options(),
    )
    os.environ["MOTO_ACCOUNT_ID"] = args.account_id
    stand_in_file = None
    if args.keep_in:
        stand_in_file = stand_in_state.kept_alone(args.keep_in / STAND_IN_STATE, batch)
    addresses = [(host, int(port)) for host, _, port in (a.rpartition(":") for a in args.listen)]
    own_hosts = [host, *(address for address, _ in addresses)]
    app = build_app(args.localstack, batch, own_hosts, args.keep_in)
    logger.info("LocalStack at %s", args.localstack)
    once_serving(batch.engine_endpoint, "localstack", lambda: go_on(batch, stand_in_file))
    try:
        serve(app, addresses, "harness.edge")
    finally:
        if stand_in_file:
            stand_in_file.stop()
            stand_in_file.write()
    return 0


def go_on(batch: BatchService, stand_in_file: stand_in_state.StandInStateFile | None) -> None:
    """Once the edge serves, restored jobs go on (their containers call it) and the
    stand-in's file is kept current while jobs run."""
    batch.resume_restored()
    if stand_in_file:
        stand_in_file.keep_writing()


if __name__ == "__main__":
    sys.exit(main())
