"""Whether a LocalStack answers: the harness's own, compose.yaml's, or a user's."""

import json
import urllib.request


def localstack_ready(url: str) -> bool:
    """True when LocalStack answers its health check at `url`."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_localstack/health", timeout=2) as response:
            return "services" in json.load(response)
    except (OSError, ValueError):
        return False
