"""Behaviour changes to moto for a local pipeline, applied in the engine process only."""

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlparse

from moto import settings
from moto.cloudformation import responses as cloudformation_responses
from moto.cloudformation import utils as cloudformation_utils
from moto.cloudformation.models import CloudFormationBackend
from moto.s3 import notifications

logger = logging.getLogger("harness.engine")

# Lambda retries a failed asynchronous invocation twice.
ASYNC_INVOKE_ATTEMPTS = 3
_invocations = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-to-lambda")


def template_from_path_style_url(template_url: str, account_id: str, partition: str) -> str:
    """Read a TemplateURL like http://127.0.0.1:4566/bucket/key (moto only knows 'localhost')."""
    host = urlparse(template_url).hostname or ""
    if host != "localhost" and not _is_ip(host):
        return _original_get_stack(template_url, account_id, partition)
    from moto.s3.models import s3_backends

    bucket, key = urlparse(template_url).path.lstrip("/").split("/", 1)
    return s3_backends[account_id][partition].get_object(bucket, key).value.decode("utf-8")


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def invoke_lambda_asynchronously(
    account_id: str, event_body: Any, function_arn: str, region_name: str
) -> None:
    """S3 invokes Lambda asynchronously: the upload returns at once, failures are retried."""
    _invocations.submit(_invoke_with_retries, account_id, event_body, function_arn, region_name)


def _invoke_with_retries(
    account_id: str, event_body: Any, function_arn: str, region_name: str
) -> None:
    from moto.awslambda.utils import get_backend

    for attempt in range(1, ASYNC_INVOKE_ATTEMPTS + 1):
        try:
            function = get_backend(account_id, region_name).get_function(function_arn)
            response_headers: dict[str, str] = {}
            result = function.invoke(json.dumps(event_body), {}, response_headers)
        except Exception:
            logger.exception("invoking %s failed (attempt %d)", function_arn, attempt)
            continue
        if "x-amz-function-error" not in response_headers:
            return
        logger.warning(
            "function %s failed (attempt %d of %d): %s",
            function_arn,
            attempt,
            ASYNC_INVOKE_ATTEMPTS,
            result,
        )


_original_get_stack = cloudformation_utils.get_stack_from_s3_url
_original_execute_change_set = CloudFormationBackend.execute_change_set
_original_delete_change_set = CloudFormationBackend.delete_change_set


def delete_change_set_if_present(self: CloudFormationBackend, change_set_name: str) -> None:
    """moto raises an internal error for a change set it does not have (the CDK CLI deletes
    its previous change set before every deploy); treat that as already deleted."""
    names = {cs.change_set_name for cs in self.change_sets.values()}
    if change_set_name in self.change_sets or change_set_name in names:
        _original_delete_change_set(self, change_set_name)


def execute_change_set_with_outputs(
    self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None
) -> None:
    """moto applies a change set's resources but keeps the old (empty) outputs; refresh them."""
    _original_execute_change_set(self, change_set_name, stack_name)
    for stack in self.stacks.values():
        stack._parse_template()
        stack.output_map = stack._create_output_map()


def apply() -> None:
    cloudformation_utils.get_stack_from_s3_url = template_from_path_style_url
    cloudformation_responses.get_stack_from_s3_url = template_from_path_style_url
    notifications._invoke_awslambda = invoke_lambda_asynchronously
    CloudFormationBackend.execute_change_set = execute_change_set_with_outputs
    CloudFormationBackend.delete_change_set = delete_change_set_if_present
    # Lambda containers share the host network: the engine is on loopback, never a
    # container-network address moto might otherwise discover.
    settings.moto_server_host = lambda: "http://127.0.0.1"
    os.environ.setdefault("MOTO_DOCKER_NETWORK_MODE", "host")
