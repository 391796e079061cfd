"""Deployment settings.

Each setting comes from CDK context (`-c name=value` or cdk.json), else from the
environment variable PIPELINE_<NAME> (e.g. PIPELINE_BASE_IMAGE), else from its default.

Every setting is a value; there is no setting that says "local". The local harness
passes the same kind of values a team would (a base image, a prefix), nothing more.
"""

import os
import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,23}$")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PipelineConfig:
    prefix: str = "csv-pipeline"
    stage: str = "dev"
    compute: str = "fargate"
    instance_types: tuple[str, ...] = ("m6i.large", "c6i.large")
    max_vcpus: int = 16
    nat_gateways: int = 0
    job_vcpus: float = 1.0
    job_memory_mib: int = 2048
    job_timeout_minutes: int = 60
    job_attempts: int = 3
    key_column: str = "ProductId"
    csv_delimiter: str = ","
    upload_prefix: str = "uploads/"
    shard_mib: int = 256  # objects larger than this are split across an array job; 0: never
    max_shards: int = 100
    base_image: str = "python:3.12-slim"

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    def validate(self) -> "PipelineConfig":
        if not PREFIX_PATTERN.match(self.prefix):
            raise ConfigError(
                f"prefix {self.prefix!r} must be 2-24 lowercase letters, digits or hyphens, "
                "starting with a letter (it becomes part of the bucket name)"
            )
        if self.stage not in ("dev", "prod"):
            raise ConfigError(f"stage must be 'dev' or 'prod', not {self.stage!r}")
        if self.compute not in ("fargate", "ec2"):
            raise ConfigError(f"compute must be 'fargate' or 'ec2', not {self.compute!r}")
        if len(self.csv_delimiter) != 1:
            raise ConfigError(f"csvDelimiter must be one character, not {self.csv_delimiter!r}")
        if self.job_attempts < 1 or self.job_attempts > 10:
            raise ConfigError("jobAttempts must be between 1 and 10 (AWS Batch's limit)")
        if self.shard_mib < 0:
            raise ConfigError("shardMib must be 0 (never shard) or more")
        if not 2 <= self.max_shards <= 10_000:
            raise ConfigError("maxShards must be between 2 and 10000 (AWS Batch's array sizes)")
        return self


# context name -> (field, converter)
SETTINGS: dict[str, tuple[str, Any]] = {
    "prefix": ("prefix", str),
    "stage": ("stage", str),
    "compute": ("compute", str),
    "instanceTypes": ("instance_types", lambda v: tuple(t.strip() for t in str(v).split(","))),
    "maxVcpus": ("max_vcpus", int),
    "natGateways": ("nat_gateways", int),
    "jobVcpus": ("job_vcpus", float),
    "jobMemoryMib": ("job_memory_mib", int),
    "jobTimeoutMinutes": ("job_timeout_minutes", int),
    "jobAttempts": ("job_attempts", int),
    "keyColumn": ("key_column", str),
    "csvDelimiter": ("csv_delimiter", str),
    "uploadPrefix": ("upload_prefix", str),
    "shardMib": ("shard_mib", int),
    "maxShards": ("max_shards", int),
    "baseImage": ("base_image", str),
}


def environment_name(context_name: str) -> str:
    """prefix -> PIPELINE_PREFIX, baseImage -> PIPELINE_BASE_IMAGE."""
    return "PIPELINE_" + re.sub(r"(?<!^)([A-Z])", r"_\1", context_name).upper()


def load_config(node: Node) -> PipelineConfig:
    values: dict[str, Any] = {}
    for context_name, (field, convert) in SETTINGS.items():
        raw = node.try_get_context(context_name)
        if raw is None:
            raw = os.environ.get(environment_name(context_name))
        if raw is not None:
            try:
                values[field] = convert(raw)
            except ValueError as error:
                raise ConfigError(f"{context_name}={raw!r}: {error}") from error
    return PipelineConfig(**values).validate()
