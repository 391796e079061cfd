"""The fault rules of a running engine, over HTTP (the CLI and the pytest fixture use this)."""

import json
import urllib.error
import urllib.request
from typing import Any

from harness.errors import HarnessError
from harness.faults.middleware import FAULTS_PATH, RECLAIM_PATH
from harness.faults.rules import FaultRuleError


class Faults:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def add(self, **rule: Any) -> dict[str, Any]:
        """Add a rule (fields as in rules.FaultRule); returns it with its id."""
        given = {key: value for key, value in rule.items() if value is not None}
        return dict(self._call("POST", given)["rule"])

    def listed(self) -> list[dict[str, Any]]:
        return list(self._call("GET")["rules"])

    def clear(self) -> int:
        return int(self._call("DELETE")["removed"])

    def reclaim(self, job_id: str) -> str:
        """Reclaim the host of a RUNNING job (a Spot interruption); its statusReason."""
        return str(self._call("POST", {"jobId": job_id}, RECLAIM_PATH)["statusReason"])

    def _call(
        self, method: str, body: dict[str, Any] | None = None, path: str = FAULTS_PATH
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        url = self.endpoint + path
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.load(response))
        except urllib.error.HTTPError as error:
            raise FaultRuleError(json.load(error).get("message", str(error))) from error
        except OSError as error:
            message = f"no engine answers at {url} ({error}): run `make local-up`"
            raise HarnessError(message) from error
