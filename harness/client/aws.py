"""boto3 clients: for the local endpoint (fixed local account, region, test credentials), or,
without an endpoint, for real AWS with the caller's own credentials and region."""

from typing import Any

import boto3
from botocore.config import Config

from harness.contracts import REGION

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


def client(
    service: str, endpoint: str | None, region: str = REGION, config: Config | None = None
) -> Any:
    """`config` is merged over the default retries (e.g. shorter timeouts)."""
    merged = RETRIES.merge(config) if config else RETRIES
    if endpoint is None:
        return boto3.client(service, config=merged)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=merged,
    )


def environment(endpoint: str) -> dict[str, str]:
    """What a shell, the AWS CLI, boto3 or cdklocal needs to talk to the local endpoint."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_S3_FORCE_PATH_STYLE": "1",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **CREDENTIALS,
    }
