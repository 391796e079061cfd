"""Behaviour changes to moto for a local pipeline, held in one object that installs them all
and can undo them all (MotoPatches).

Every replaced moto function goes through `internals`, which checks it first.
"""

import logging
import os
from contextlib import nullcontext
from ipaddress import ip_address
from urllib.parse import urlparse

from harness.batch.service import BatchService
from harness.cloud.network import HOST, ContainerNetwork
from harness.engine.moto import changesets, cloudformation, code_volumes, dynamodb_order, internals
from harness.engine.moto.engine import lambda_network_environment
from harness.engine.moto.iam import IamEnforcement
from harness.engine.moto.invocations import FunctionCredentials, LambdaInvocations

logger = logging.getLogger("harness.engine")

_TEMPLATE_READERS = (
    "moto.cloudformation.utils",
    "moto.cloudformation.responses",
    "moto.cloudformation.models",
)
_read_template_url = internals.get("moto.cloudformation.utils", "get_stack_from_s3_url")


def template_from_path_style_url(template_url: str, account_id: str, partition: str) -> str:
    """Read a TemplateURL like http://127.0.0.1:4566/bucket/key (moto only knows 'localhost')."""
    host = urlparse(template_url).hostname or ""
    if host != "localhost" and not _is_ip(host):
        return _read_template_url(template_url, account_id, partition)
    s3_backends = internals.get("moto.s3.models", "s3_backends")
    bucket, key = urlparse(template_url).path.lstrip("/").split("/", 1)
    return s3_backends[account_id][partition].get_object(bucket, key).value.decode("utf-8")


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


class MotoPatches:
    """Every change the embedded engine makes to moto, installed together after moto's
    internals are checked, and undone together (the engine keeps them for its life).

    Lambda containers run on `network` and call the engine by its `engine_host`; S3's
    invocations of a function run inside `credentials(function)`; CloudFormation's Batch
    resources go to `batch`; with `iam`, moto's authorization is switched on through it."""

    def __init__(
        self,
        network: ContainerNetwork = HOST,
        credentials: FunctionCredentials = nullcontext,
        batch: BatchService | None = None,
        iam: IamEnforcement | None = None,
    ) -> None:
        self.network = network
        self.credentials = credentials
        self.batch = batch
        self.iam = iam
        self._replacements = internals.Replacements()
        self.invocations: LambdaInvocations | None = None
        self._environment: dict[str, str | None] = {}

    def install(self) -> None:
        internals.check()
        replace = self._replacements.replace
        for module in _TEMPLATE_READERS:
            replace(module, "get_stack_from_s3_url", template_from_path_style_url)
        self.invocations = LambdaInvocations(self.credentials)
        replace("moto.s3.notifications", "_invoke_awslambda", self.invocations)
        changesets.install(self._replacements)
        cloudformation.install(self.batch, self._replacements)
        dynamodb_order.install(self._replacements)
        code_volumes.install(
            self._replacements, f"engine-{os.environ.get('MOTO_PORT', 'in-process')}"
        )
        if self.iam is not None:
            self.iam.install(self._replacements)
        # Never an address moto might discover itself (it looks for a container network).
        host = f"http://{self.network.engine_host}"
        replace("moto.settings", "moto_server_host", lambda: host)
        settings = lambda_network_environment(self.network)
        self._environment = {name: os.environ.get(name) for name in settings}
        os.environ.update(settings)

    def uninstall(self) -> None:
        self._replacements.undo()
        cloudformation.detach()
        if self.invocations is not None:
            self.invocations.shutdown()
            self.invocations = None
        for name, value in self._environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> "MotoPatches":
        self.install()
        return self

    def __exit__(self, *_: object) -> None:
        self.uninstall()
