"""Whether a LocalStack answers: the harness's own, compose.yaml's, or a user's."""

import json
import threading
import time
import urllib.request

PROBE_SECONDS = 2.0


def localstack_ready(url: str) -> bool:
    """True when LocalStack answers its health check at `url`."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_localstack/health", timeout=2) as response:
            return "services" in json.load(response)
    except (OSError, ValueError):
        return False


class ReadinessProbe:
    """Checks LocalStack every PROBE_SECONDS in a thread of its own, so that the edge's own
    health answers at once even while LocalStack's name takes long to resolve (seen: 10 s for
    an unknown compose service name on a machine without an upstream DNS server)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ready = False
        threading.Thread(target=self._run, name="localstack-probe", daemon=True).start()

    def _run(self) -> None:
        while True:
            self.ready = localstack_ready(self.url)
            time.sleep(PROBE_SECONDS)
