"""Where the integration suite runs: PIPELINE_TARGET=moto (the default) or aws.

- moto: the local cloud (harness/cloud.py), brought up by the suite itself.
- aws: the stack `make deploy-aws` deployed, found with the caller's own credentials and
  region; tests that need local-only powers (the engine, local images, redeploys, a second
  engine) skip, saying so.
LocalStack is the next target (the open issue "One app, every target"); asking for it now
is refused with that reason, not run against the wrong engine.
"""

import os

from harness import aws
from harness.deploy import CdkApp, StackOutputs
from harness.errors import HarnessError

VARIABLE = "PIPELINE_TARGET"
TARGETS = ("moto", "aws")
LOCAL_ONLY = "needs the local cloud (PIPELINE_TARGET=moto)"


def selected() -> str:
    target = os.environ.get(VARIABLE, "moto")
    if target == "localstack":
        raise HarnessError(
            f"{VARIABLE}=localstack: the LocalStack engine is not part of the harness yet; "
            "use moto (the default) or aws"
        )
    if target not in TARGETS:
        raise HarnessError(f"{VARIABLE} must be one of {', '.join(TARGETS)}, not {target!r}")
    return target


def aws_outputs(app: CdkApp | None = None) -> StackOutputs:
    """The outputs of the stack deployed to AWS (caller's credentials and region)."""
    stack = (app or CdkApp()).stack_name
    cloudformation = aws.client("cloudformation", None)
    try:
        (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise HarnessError(
            f"stack {stack} is not deployed in this account and region ({error}): "
            "run `make deploy-aws` first"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    return StackOutputs.from_outputs(outputs)
