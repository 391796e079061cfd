"""Where the integration suite runs: PIPELINE_TARGET=moto, localstack or aws.

- moto, localstack: the local cloud (harness/cloud/lifecycle.py) on that engine, brought up by the
  suite itself. Without PIPELINE_TARGET, the engine HARNESS_ENGINE names (or the one already
  running; harness/engine/choice.py). Tests of the embedded engine's own powers (redeploys of
  app copies, a second engine, compose) run on moto only and skip on localstack, saying so.
- aws: the stack `make deploy-aws` deployed, found with the caller's own credentials and
  region; tests that need local-only powers (the engine, local images, redeploys, a second
  engine) skip, saying so.
"""

import os

from harness.client import aws
from harness.contracts import StackOutputs
from harness.engine import choice
from harness.errors import HarnessError
from harness.project import CdkApp

VARIABLE = "PIPELINE_TARGET"
LOCAL = choice.NAMES
TARGETS = (*LOCAL, "aws")
LOCAL_ONLY = "needs the local cloud (PIPELINE_TARGET=moto or localstack)"
MOTO_ONLY = "needs the embedded engine's own powers (PIPELINE_TARGET=moto)"


def selected(endpoint: str | None = None) -> str:
    """PIPELINE_TARGET, else the local engine `choice.selected` picks."""
    target = os.environ.get(VARIABLE) or choice.selected(endpoint)
    if target not in TARGETS:
        raise HarnessError(f"{VARIABLE} must be one of {', '.join(TARGETS)}, not {target!r}")
    engine = os.environ.get(choice.VARIABLE)
    if target in LOCAL and engine and engine != target:
        raise HarnessError(
            f"{VARIABLE}={target} and {choice.VARIABLE}={engine} disagree: set one of them"
        )
    return target


def aws_outputs(app: CdkApp) -> StackOutputs:
    """The outputs of the app's stack deployed to AWS (caller's credentials and region)."""
    stack = app.stack_name
    cloudformation = aws.client("cloudformation", None)
    try:
        (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise HarnessError(
            f"stack {stack} is not deployed in this account and region ({error}): "
            "run `make deploy-aws` first"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    return StackOutputs.from_outputs(outputs, app.outputs, f"stack {stack}")
