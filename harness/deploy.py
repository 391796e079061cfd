"""Deploy the unchanged CDK app to the local engine with cdklocal.

Only values differ from an AWS deploy: the endpoint and test credentials (environment),
CDK_DOCKER (keeps the image asset in the local engine), and the `baseImage` context value
when the public Python image is not available.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import aws
from harness.progress import Progress

REPO = Path(__file__).resolve().parents[1]
CDKLOCAL = REPO / "node_modules" / ".bin" / "cdklocal"
CDK_DOCKER = REPO / "harness" / "bin" / "cdk-docker"
STACK_NAME = "csv-pipeline-stack"


class DeployError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackOutputs:
    bucket: str
    table: str
    job_queue: str
    job_definition: str
    function: str
    upload_prefix: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> "StackOutputs":
        return cls(
            bucket=outputs["BucketName"],
            table=outputs["TableName"],
            job_queue=outputs["JobQueueName"],
            job_definition=outputs["JobDefinitionArn"],
            function=outputs["TriggerFunctionName"],
            upload_prefix=outputs["UploadPrefix"],
        )


def cdk_environment(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        **aws.environment(endpoint),
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


def stack_outputs(endpoint: str, stack: str = STACK_NAME) -> StackOutputs | None:
    """The deployed stack's outputs, or None when it is not (completely) deployed."""
    description = describe_stack(endpoint, stack)
    if description is None:
        return None
    if not description["StackStatus"].endswith("_COMPLETE") or "Outputs" not in description:
        return None
    return StackOutputs.from_outputs(
        {output["OutputKey"]: output["OutputValue"] for output in description["Outputs"]}
    )


def bootstrapped(endpoint: str) -> bool:
    return describe_stack(endpoint, "CDKToolkit") is not None


def cdklocal(arguments: list[str], endpoint: str, log: Path | None) -> None:
    if not CDKLOCAL.exists():
        raise DeployError("cdklocal is not installed: run `make setup` (it runs npm ci)")
    command = [str(CDKLOCAL), *arguments, "--no-notices"]
    output = log.open("ab") if log else None
    try:
        result = subprocess.run(
            command,
            cwd=REPO,
            env=cdk_environment(endpoint),
            stdout=output,
            stderr=output,
            check=False,
        )
    finally:
        if output:
            output.close()
    if result.returncode != 0:
        where = f"; its output is in {log}" if log else ""
        raise DeployError(
            f"`cdklocal {arguments[0]}` failed with exit code {result.returncode}{where}"
        )


def deploy(
    endpoint: str, base_image: str, progress: Progress, log: Path | None = None
) -> StackOutputs:
    """Bootstrap when needed, then deploy; `log` receives the CDK output (None: the terminal)."""
    if not bootstrapped(endpoint):
        progress("bootstrapping the CDK environment aws://000000000000/us-east-1")
        cdklocal(["bootstrap", f"aws://{aws.ACCOUNT_ID}/{aws.REGION}"], endpoint, log)
    progress("deploying the CDK app with cdklocal (synth, image asset build, CloudFormation)")
    cdklocal(
        ["deploy", STACK_NAME, "--require-approval", "never", "-c", f"baseImage={base_image}"],
        endpoint,
        log,
    )
    outputs = stack_outputs(endpoint)
    if outputs is None:
        raise DeployError(f"the deploy finished but stack {STACK_NAME} has no outputs")
    return outputs
