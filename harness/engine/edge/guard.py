"""Who may use the edge: programs on this machine and the harness's own containers, not web pages.

The edge answers plain HTTP and the engines accept any credentials, so whoever can send it a
request controls the local cloud, its control routes included (`/moto-api/reset` wipes it).
Two kinds of request are refused before they reach an engine or a control route:

- a `Host` that is not a name or address of this machine or of the edge's containers. A
  browser sends the name of the site a page came from, so a page on a hostile name that
  resolves to 127.0.0.1 (DNS rebinding) is refused; SDKs, the AWS CLI and cdklocal send the
  endpoint they were given.
- a request a web page makes: an `Origin` that is not allowed (browsers send one with every
  POST, PUT and DELETE and with cross-origin reads) or, without one, `Sec-Fetch-Site:
  cross-site` or `same-site` (an image or script a page loads: the query-protocol APIs act
  on GET). SDKs and the CLI send neither header.

HARNESS_ALLOWED_HOSTS and HARNESS_ALLOWED_ORIGINS (comma-separated, `*` for any) widen the
defaults for a user who exposes the cloud on purpose.
"""

import ipaddress
import json
import logging
import os
from collections.abc import Iterable
from typing import Any

from harness.engine.edge.sigv4 import signed_service
from harness.faults.aws_errors import JSON_SERVICES, error_response

ALLOWED_HOSTS = "HARNESS_ALLOWED_HOSTS"
ALLOWED_ORIGINS = "HARNESS_ALLOWED_ORIGINS"
# Names that lead to this machine whatever DNS says: RFC 6761 reserves *.localhost for
# loopback (browsers resolve it themselves), containers call the host by host.docker.internal,
# and LocalStack's public name and its subdomains resolve to 127.0.0.1.
LOCAL_NAMES = ("localhost", "host.docker.internal", "localhost.localstack.cloud")
CROSS_SITE = ("cross-site", "same-site")
WILDCARDS = frozenset(("", "0.0.0.0", "::"))  # listening on every address names no host
logger = logging.getLogger("harness.guard")


def host_name(host_header: str) -> str:
    """The name or address in a Host header, without its port, brackets or final dot."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [IPv6]:port
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        host = name
    return host.rstrip(".")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listed(values: str) -> frozenset[str]:
    return frozenset(value.strip().lower() for value in values.split(",") if value.strip())


class RequestGuard:
    """WSGI middleware that refuses requests from outside (see the module's docstring).

    `own_hosts`: the other names and addresses the edge is called by (those it listens on,
    the name its containers use); the environment's allow-lists are added to them.
    """

    def __init__(
        self, app: Any, own_hosts: Iterable[str], environ: dict[str, str] | None = None
    ) -> None:
        settings = os.environ if environ is None else environ
        self.app = app
        own = frozenset(host_name(host) for host in own_hosts) - WILDCARDS
        self.hosts = own | listed(settings.get(ALLOWED_HOSTS, ""))
        self.origins = listed(settings.get(ALLOWED_ORIGINS, ""))

    def also_called_by(self, host: str) -> None:
        """Accept `host` too from now on (an address the edge starts to listen on)."""
        self.hosts = self.hosts | {host_name(host)}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        reason = self.refusal(environ)
        if reason is None:
            return self.app(environ, start_response)
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        logger.warning("refused %s %s: %s", method, path, reason)
        return refuse(environ, start_response, reason)

    def refusal(self, environ: dict[str, Any]) -> str | None:
        """Why the request is refused, or None."""
        host = host_name(environ.get("HTTP_HOST", ""))
        if host and not self.local(host):
            return (
                f"Host {host!r} is not a name of this machine; the local cloud answers only "
                f"requests to 127.0.0.1 or localhost (set {ALLOWED_HOSTS}={host} to allow it)"
            )
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.origin_allowed(origin):
            return (
                f"requests from web pages are refused (Origin: {origin}); set "
                f"{ALLOWED_ORIGINS}={origin} to allow that site"
            )
        if origin is None and environ.get("HTTP_SEC_FETCH_SITE") in CROSS_SITE:
            return "requests from web pages of other sites are refused (Sec-Fetch-Site)"
        return None

    def local(self, host: str) -> bool:
        if "*" in self.hosts or host in self.hosts or is_loopback(host):
            return True
        return any(host == name or host.endswith("." + name) for name in LOCAL_NAMES)

    def origin_allowed(self, origin: str) -> bool:
        return "*" in self.origins or origin.strip().lower().rstrip("/") in self.origins


def refuse(environ: dict[str, Any], start_response: Any, reason: str) -> list[bytes]:
    """403 in the shape of the AWS service the request was signed for (AccessDenied), or JSON
    for anything else (the control routes, an unsigned request)."""
    service = signed_service(environ)
    if service:
        code = "AccessDeniedException" if service in JSON_SERVICES else "AccessDenied"
        _, headers, body = error_response(service, code, 403, reason)
        header_list = list(headers.items())
    else:
        body = json.dumps({"error": "Forbidden", "message": reason}).encode()
        header_list = [("Content-Type", "application/json")]
    header_list.append(("Content-Length", str(len(body))))
    start_response("403 Forbidden", header_list)
    return [body]
