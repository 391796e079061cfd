"""The edge in front of every engine: one endpoint, requests routed by path and signature.

In order: the harness's health route, the stand-in's job history (DELETE: `harness state
reset`) and clock (clock.py), the engine's other control routes (by path), Batch to the
stand-in, a service the engine serves from another app (by the service a request is signed
for), everything else to the engine. In front of that, for every request alike: the Host
and Origin checks (guard.py), the fault rules with their own routes (harness/faults/) and S3
upload checksums (checksums.py)."""

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from harness.batch import clock
from harness.batch.errors import ClientException
from harness.batch.responses import is_batch_request
from harness.batch.service import BatchService
from harness.control.routes import CLOCK_PATH, HEALTH_PATH, JOBS_PATH
from harness.engine.edge.checksums import ChecksumCheck
from harness.engine.edge.guard import RequestGuard
from harness.engine.edge.sigv4 import signed_service
from harness.faults.middleware import FaultInjector
from harness.faults.rules import FaultRules

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
STATE_RESET_REASON = "the local cloud's data was reset (harness state reset)"
FAULT_RULES = "faults.json"  # in the folder the engine keeps, either engine's


def edge_app(
    health: Callable[[], dict[str, Any]],
    batch: BatchService,
    engine: WsgiApp,
    own_hosts: Iterable[str],
    control: dict[str, WsgiApp] | None = None,
    services: dict[str, WsgiApp] | None = None,
    kept: Path | None = None,
) -> RequestGuard:
    """The edge's WSGI app. `health`: what GET /_harness/health answers; `control`: the
    engine's own control routes by path; `services`: apps by the service a request is signed
    for; `own_hosts`: the names and addresses the edge is called by besides loopback's;
    `kept`: the folder the engine keeps across restarts, the fault rules' among them (None:
    memory only); its health says which."""
    batch_app = batch.app()
    control = control or {}
    services = services or {}

    def route(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH:
            return answer(start_response, {**health(), "kept": str(kept) if kept else None})
        if path == JOBS_PATH and environ.get("REQUEST_METHOD") == "DELETE":
            return answer(start_response, {"removed": batch.forget_jobs(STATE_RESET_REASON)})
        if path == JOBS_PATH and environ.get("REQUEST_METHOD") == "GET":
            return answer(start_response, {"waiting": batch.waiting()})
        if path == CLOCK_PATH:
            return clock_route(environ, start_response)
        if path in control:
            return control[path](environ, start_response)
        if is_batch_request(environ):
            return batch_app(environ, start_response)
        service = signed_service(environ)
        if service in services:
            return services[service](environ, start_response)
        return engine(environ, start_response)

    rules = FaultRules(kept_in=kept / FAULT_RULES if kept else None)
    faults = FaultInjector(ChecksumCheck(route), rules, batch.reclaim_host)
    return RequestGuard(faults, [host for host in own_hosts if host])


def clock_route(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """CLOCK_PATH: GET says how far the stand-in's clock is ahead of the wall clock; POST
    {"advanceSeconds": N} moves it N seconds further."""
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            seconds = request.get("advanceSeconds") if isinstance(request, dict) else None
            clock.CLOCK.advance(seconds)
        except (ValueError, ClientException) as error:
            return answer(start_response, {"message": str(error)}, HTTPStatus.BAD_REQUEST)
    return answer(start_response, {"aheadSeconds": clock.CLOCK.ahead_seconds})


def answer(
    start_response: Any, body: dict[str, Any], status: HTTPStatus = HTTPStatus.OK
) -> list[bytes]:
    """A control route's JSON answer."""
    start_response(f"{status.value} {status.phrase}", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
