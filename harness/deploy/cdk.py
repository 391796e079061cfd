"""Deploy the unchanged CDK app to the local engine with cdklocal.

Only values differ from an AWS deploy: the endpoint and test credentials (environment),
CDK_DOCKER (keeps the image asset in the local engine), and the `baseImage` context value
when the public Python image is not available.

The first deploy creates the stack; every later one updates it in place through a change set,
so objects, items and job history survive. A deploy that fails says where: before
CloudFormation was reached (synth or image build: nothing changed), or the resource that
failed and why, from the stack's events (the engine rolled the stack back).
"""

import collections
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.client import aws
from harness.contracts import ACCOUNT_ID, REGION, StackOutputs
from harness.deploy import node_tools
from harness.errors import HarnessError
from harness.paths import PACKAGE, local_up_command
from harness.project import CdkApp

logger = logging.getLogger(__name__)

CDK_DOCKER = PACKAGE / "bin" / "cdk-docker"
DEFAULT_PREFIX = "csv-pipeline"
OUTPUT_TAIL_LINES = 25
# Stack states in which nothing of the stack is deployed (a deploy creates it again).
NOT_DEPLOYED = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_COMPLETE")
UNCHANGED = "The running local cloud is unchanged: the previous deployment keeps working."


class DeployError(HarnessError):
    pass


AfterDeploy = Callable[[str], None]  # given the name of the stack just deployed


def nothing_after(stack: str) -> None:
    """For an engine whose CloudFormation deploys every resource of the app."""


def cdk_environment(endpoint: str, app: CdkApp) -> dict[str, str]:
    return {
        **os.environ,
        **aws.environment(endpoint),
        **app.environment,
        "CDK_DOCKER": str(CDK_DOCKER),
        "CDK_DISABLE_CLI_TELEMETRY": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # cdk.json runs `python -m infra.app`: the project's interpreter must come first.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def describe_stack(endpoint: str, stack: str) -> dict[str, Any] | None:
    """The stack's description, or None when the engine has no such stack."""
    cloudformation = aws.client("cloudformation", endpoint)
    try:
        (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError:
        return None
    return description


def stack_outputs(endpoint: str, app: CdkApp) -> StackOutputs | None:
    """The deployed stack's outputs, or None when it is not (completely) deployed."""
    description = describe_stack(endpoint, app.stack_name)
    if description is None:
        return None
    status = description["StackStatus"]
    if status in NOT_DEPLOYED or status.endswith("_IN_PROGRESS") or "Outputs" not in description:
        return None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in description["Outputs"]}
    return StackOutputs.from_outputs(outputs, app.outputs, f"stack {app.stack_name}")


def failed_events(endpoint: str, stack: str, since: float) -> list[str]:
    """The stack's resource failures since `since` (epoch seconds), oldest first."""
    cloudformation = aws.client("cloudformation", endpoint)
    try:
        pages = cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack)
        events = [event for page in pages for event in page["StackEvents"]]
    except cloudformation.exceptions.ClientError:
        return []
    failures = [
        event
        for event in events
        if event["ResourceStatus"].endswith("_FAILED")
        and event["Timestamp"].timestamp() >= since - 1
    ]
    return [
        f"{event['LogicalResourceId']} ({event['ResourceType']}) {event['ResourceStatus']}: "
        f"{event.get('ResourceStatusReason', 'no reason given')}"
        for event in sorted(failures, key=lambda event: event["Timestamp"])
    ]


def bootstrapped(endpoint: str) -> bool:
    """True when the CDK's bootstrap stack is deployed (not only begun, or rolled back)."""
    toolkit = describe_stack(endpoint, "CDKToolkit")
    if toolkit is None:
        return False
    status = toolkit["StackStatus"]
    return status.endswith("_COMPLETE") and status not in NOT_DEPLOYED


def cdklocal(
    arguments: list[str], endpoint: str, log: Path | None, app: CdkApp, assembly: Path
) -> None:
    """Run cdklocal in the app's directory, synthesizing into `assembly` (the cloud's own, so
    clouds on two ports can deploy one app at once: the CDK CLI locks its output folder); its
    output goes to `log` (None: the terminal)."""
    command = [
        str(node_tools.cdklocal(app)),
        *arguments,
        "--output",
        str(assembly),
        "--no-notices",
    ]
    tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
    output = log.open("a") if log else sys.stderr
    try:
        with subprocess.Popen(
            command,
            cwd=app.directory,
            env=cdk_environment(endpoint, app),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                output.write(line)
                output.flush()
                tail.append(line.rstrip("\n"))
    finally:
        if log:
            output.close()
    if process.returncode != 0:
        where = f" (full output: {log})" if log else ""
        raise DeployError(
            f"`cdklocal {arguments[0]}` failed with exit code {process.returncode}{where}:\n"
            + "\n".join(f"  | {line}" for line in tail)
        )


def deploy(
    endpoint: str,
    base_image: str,
    app: CdkApp,
    assembly: Path,
    log: Path | None = None,
    after_deploy: AfterDeploy = nothing_after,
) -> StackOutputs:
    """Bootstrap when needed, then deploy (create or update) the app's stack, synthesized
    into `assembly`.

    `after_deploy`: called with each stack deployed, the bootstrap's (CDKToolkit) too: the
    engine's Engine.after_deploy."""
    if not bootstrapped(endpoint):
        logger.info(f"bootstrapping the CDK environment aws://{ACCOUNT_ID}/{REGION}")
        cdklocal(["bootstrap", f"aws://{ACCOUNT_ID}/{REGION}"], endpoint, log, app, assembly)
    after_deploy("CDKToolkit")
    updating = deployed(endpoint, app)
    verb = "updating" if updating else "creating"
    logger.info(f"{verb} stack {app.stack_name} with cdklocal (synth, image build, change set)")
    cdk_deploy(["-c", f"baseImage={base_image}"], endpoint, log, app, assembly, updating)
    after_deploy(app.stack_name)
    outputs = stack_outputs(endpoint, app)
    if outputs is None:
        raise DeployError(f"the deploy finished but stack {app.stack_name} has no outputs")
    return outputs


def deployed(endpoint: str, app: CdkApp) -> bool:
    """True when the app's stack exists in a deployed state (an update, not a create)."""
    existing = describe_stack(endpoint, app.stack_name)
    return existing is not None and existing["StackStatus"] not in NOT_DEPLOYED


def cdk_deploy(
    arguments: list[str],
    endpoint: str,
    log: Path | None,
    app: CdkApp,
    assembly: Path,
    updating: bool,
) -> None:
    """`cdklocal deploy` of the app's stack; a failure says where it happened and whether
    the previous deployment still stands (`updating`: there was one)."""
    started = time.time()
    try:
        cdklocal(
            ["deploy", app.stack_name, "--require-approval", "never", *arguments],
            endpoint,
            log,
            app,
            assembly,
        )
    except DeployError as error:
        message = explain_failure(error, endpoint, app, started, updating)
        raise DeployError(message) from error


def explain_failure(
    error: DeployError,
    endpoint: str,
    app: CdkApp,
    started: float,
    stack_existed: bool,
) -> str:
    """The deploy's failure with where it happened and what to do next."""
    failures = failed_events(endpoint, app.stack_name, started)
    if not failures:
        return (
            f"{error}\n\nThe deploy stopped before CloudFormation changed anything (the app did "
            f"not synthesize, or an image did not build: the output above says which). "
            f"{UNCHANGED if stack_existed else ''}\n"
            f"Fix the error, then run `{local_up_command()}` again."
        )
    stamp = datetime.fromtimestamp(started).strftime("%H:%M:%S")
    listed = "\n".join(f"  - {failure}" for failure in failures)
    after = (
        f"Stack {app.stack_name} was rolled back to its previous template. {UNCHANGED}"
        if stack_existed
        else f"Stack {app.stack_name} was not created."
    )
    return (
        f"{error}\n\nCloudFormation refused the change (stack events since {stamp}):\n{listed}\n"
        f"{after}\nFix the resource named above, then run `{local_up_command()}` again."
    )
