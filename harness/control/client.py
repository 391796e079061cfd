"""The harness's own routes of a running engine, over HTTP: its fault rules and its IAM
enforcement (the CLI, the pytest fixtures and the benchmarks use this)."""

import http.client
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.control.routes import (
    CLOCK_PATH,
    FAULTS_PATH,
    IAM_PATH,
    JOBS_PATH,
    RECLAIM_PATH,
    STATE_PATH,
)
from harness.errors import HarnessError
from harness.faults.rules import FaultRuleError
from harness.paths import local_up_command


class ControlError(HarnessError):
    """The engine refused a control request, or it has no such route."""


ANSWER_SECONDS = 10.0
# A save answers once the whole state is on disk: many seconds for a state of 100 MB
# (docs/benchmarks.md), more while jobs write and other work shares the machine.
SAVE_SECONDS = 300.0
# Forgetting the job history answers once the running jobs it terminates have ended: the
# stand-in waits up to a minute for them (BatchBackend.forget_jobs).
FORGET_SECONDS = 90.0


class NoEngine(HarnessError):
    """Nothing answers at the endpoint as the harness's engine would."""


class Control:
    """Calls the control routes of the engine at `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The route's JSON answer, within `timeout` seconds (ANSWER_SECONDS by default); an
        answer with an error status raises ControlError with the engine's message, no answer
        at all a HarnessError saying to start the cloud."""
        data = json.dumps(body).encode() if body is not None else None
        url = self.endpoint + path
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or ANSWER_SECONDS) as response:
                return dict(json.load(response))
        except urllib.error.HTTPError as error:
            try:
                message = json.load(error).get("message", str(error))
            except ValueError:
                message = str(error)
            raise ControlError(message) from error
        except (OSError, http.client.HTTPException) as error:
            raise NoEngine(
                f"the local cloud's engine does not answer at {self.endpoint} ({error}): "
                f"start it with `{local_up_command()}`"
            ) from error


class Faults(Control):
    """The engine's fault rules (harness/faults/)."""

    def add(self, **rule: Any) -> dict[str, Any]:
        """Add a rule (fields as in rules.FaultRule); returns it with its id."""
        given = {key: value for key, value in rule.items() if value is not None}
        return dict(self._faults("POST", FAULTS_PATH, given)["rule"])

    def listed(self) -> list[dict[str, Any]]:
        return list(self._faults("GET", FAULTS_PATH)["rules"])

    def clear(self) -> int:
        return int(self._faults("DELETE", FAULTS_PATH)["removed"])

    def reclaim(self, job_id: str) -> str:
        """Reclaim the host of a RUNNING job (a Spot interruption); its statusReason."""
        return str(self._faults("POST", RECLAIM_PATH, {"jobId": job_id})["statusReason"])

    def _faults(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self.call(method, path, body)
        except ControlError as error:
            raise FaultRuleError(str(error)) from error


class BatchJobs(Control):
    """The Batch stand-in's job history."""

    def forget(self) -> int:
        """Terminate the running jobs, drop every job; how many there were."""
        return int(self.call("DELETE", JOBS_PATH, timeout=FORGET_SECONDS)["removed"])

    def waiting(self) -> dict[str, str]:
        """Why each job not yet started waits, by job id, as the stand-in's scheduler says."""
        return dict(self.call("GET", JOBS_PATH)["waiting"])

    def advance_clock(self, seconds: float) -> float:
        """Move the stand-in's clock `seconds` forward (harness/batch/clock.py); how far ahead
        of the wall clock it now is."""
        return float(self.call("POST", CLOCK_PATH, {"advanceSeconds": seconds})["aheadSeconds"])


class EngineState(Control):
    """The engine's saved state (harness/cloud/saved_state.py)."""

    def save(self) -> Path:
        """Have the engine save its state now; the file it wrote."""
        try:
            return Path(self.call("POST", STATE_PATH, timeout=SAVE_SECONDS)["path"])
        except ControlError as error:
            raise ControlError(
                f"the engine at {self.endpoint} cannot save its state: {error}"
            ) from error


class Iam(Control):
    """IAM enforcement, on the engine that can enforce it (the embedded one)."""

    def enforced(self, enforce: bool | None = None) -> bool:
        """Whether the engine enforces IAM, after switching it when `enforce` is given."""
        try:
            if enforce is None:
                answer = self.call("GET", IAM_PATH)
            else:
                answer = self.call("PUT", IAM_PATH, {"enforce": enforce})
            return bool(answer["enforce"])
        except (ControlError, KeyError) as error:
            raise ControlError(
                f"the engine at {self.endpoint} cannot switch IAM enforcement ({error}): it is "
                "a power of the embedded engine (HARNESS_ENGINE=moto, the default)"
            ) from error
