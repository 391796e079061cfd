"""Checks before `make deploy-aws` and `make destroy-aws`.

Real credentials, a region, and no local endpoint in the environment.

`check()` returns the account and region, or raises PreflightError saying what to fix; run as
a program it prints them, or the error and exits 2. `make test-aws` runs the same check.
"""

import os
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

LOCAL_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_BATCH")


class PreflightError(Exception):
    """What keeps a deploy to AWS from starting, and what to do about it."""


def check() -> str:
    """Return 'account/region' or raise PreflightError with a message saying what to fix."""
    endpoints = [name for name in LOCAL_ENDPOINT_VARIABLES if os.environ.get(name)]
    if endpoints:
        raise PreflightError(
            f"{', '.join(endpoints)} is set, which points the AWS tools at a local engine. "
            f"Run `unset {' '.join(endpoints)}` (or open a new shell) to deploy to AWS."
        )
    # The CDK CLI reads AWS_REGION; boto3 only AWS_DEFAULT_REGION and the profile.
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
    if not session.region_name:
        raise PreflightError(
            "No AWS region configured. Set AWS_REGION (e.g. `export AWS_REGION=eu-west-1`) "
            "or a region in your AWS profile, then run the command again."
        )
    try:
        identity = session.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "No AWS credentials found. Configure them (`aws configure`, `aws sso login`, "
            "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then run the "
            "command again. To try the pipeline without an account: `make local-up`."
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise PreflightError(f"Your AWS credentials were refused: {error}") from None
    return f"{identity['Account']}/{session.region_name}"


if __name__ == "__main__":
    try:
        print(f"Using AWS account/region {check()}", file=sys.stderr)
    except PreflightError as error:
        sys.exit(f"error: {error}")
