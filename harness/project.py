"""The CDK app the harness serves, as its `[tool.harness]` table in pyproject.toml describes it.

The app is any CDK app (any CDK language) with an S3 -> Lambda -> Batch -> DynamoDB flow;
the harness needs its stack's name, the output keys that name the flow's resources, and, for
`harness watch`, what to watch. docs/your-project.md documents every key:

    [tool.harness]
    stack = "orders-stack"                 # ${VAR} and ${VAR:-default} read the environment
    watch = ["app.js", "function", "job"]  # default: the whole app folder
    job-image = "job"                      # the Batch job's image folder (watch's fast path)
    job-code = "job/src"                   # changes only here take the fast path
    item-source = "source_object"          # the item attribute naming the object it came
                                           # from, as s3://bucket/key (the console's link)

    [tool.harness.outputs]                 # role = output key; the defaults are below
    bucket = "BucketName"
"""

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.contracts import OutputKeys
from harness.errors import BadInput
from harness.paths import REPO

CONFIG_FILE = "pyproject.toml"
TABLE = "tool.harness"
VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class CdkApp:
    """A CDK app on disk, the stack it deploys, and what the harness reads of it.

    `environment`: extra variables for the CDK process (this repository's tests deploy copies
    of the app side by side, each under its own resource prefix)."""

    directory: Path
    stack_name: str
    outputs: OutputKeys = field(default_factory=OutputKeys)
    environment: Mapping[str, str] = field(default_factory=dict)
    watch: tuple[str, ...] = (".",)
    job_image: str | None = None
    job_code: str | None = None
    item_source: str | None = None


def load(directory: Path = REPO, environment: Mapping[str, str] | None = None) -> CdkApp:
    """The app in `directory` (default: the project the harness runs in, harness.paths),
    configured by the `[tool.harness]` table of its pyproject.toml, deployed with the extra
    `environment` (which `${VAR}` in the table reads too)."""
    config_file = directory / CONFIG_FILE
    if not (directory / "cdk.json").is_file():
        raise BadInput(
            f"no CDK app in {directory} (no cdk.json): run the harness in your CDK app's folder "
            "or set HARNESS_PROJECT to it"
        )
    try:
        config = tomllib.loads(config_file.read_text()).get("tool", {}).get("harness", {})
    except FileNotFoundError:
        config = {}
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{config_file}: {error}") from error
    return from_config(directory, config, f"[{TABLE}] in {config_file}", environment or {})


def from_config(
    directory: Path, config: dict[str, Any], where: str, environment: Mapping[str, str]
) -> CdkApp:
    """The app from its `[tool.harness]` table; `where` names the table in errors."""
    known = {"stack", "watch", "job-image", "job-code", "item-source", "outputs"}
    if unknown := sorted(set(config) - known):
        raise BadInput(f"{where}: unknown key {', '.join(unknown)} (known: {sorted(known)})")
    if "stack" not in config:
        raise BadInput(
            f"{where}: no `stack`; name the stack the harness deploys, e.g. stack = "
            '"my-stack" (docs/your-project.md)'
        )
    outputs = config.get("outputs", {})
    roles = {f.name.replace("_", "-"): f.name for f in fields(OutputKeys)}
    if unknown := sorted(set(outputs) - set(roles)):
        raise BadInput(f"{where}: unknown output role {', '.join(unknown)} (known: {list(roles)})")
    return CdkApp(
        directory=directory,
        stack_name=interpolate(text(config, "stack", where), {**os.environ, **environment}, where),
        environment=dict(environment),
        outputs=OutputKeys(**{roles[role]: text(outputs, role, where) for role in outputs}),
        watch=tuple(text_list(config, "watch", where)) or (".",),
        job_image=optional_text(config, "job-image", where),
        job_code=optional_text(config, "job-code", where),
        item_source=optional_text(config, "item-source", where),
    )


def interpolate(value: str, variables: Mapping[str, str], where: str) -> str:
    """${VAR} and ${VAR:-default} from `variables`, as docker compose reads them."""

    def variable(match: re.Match[str]) -> str:
        name, default = match.groups()
        if variables.get(name) or (name in variables and default is None):
            return variables[name]
        if default is None:
            raise BadInput(f"{where}: {name} is not set (write ${{{name}:-default}} for one)")
        return default

    return VARIABLE.sub(variable, value)


def text(table: dict[str, Any], key: str, where: str) -> str:
    value = table[key]
    if not isinstance(value, str):
        raise BadInput(f"{where}: {key} must be a string, not {value!r}")
    return value


def optional_text(table: dict[str, Any], key: str, where: str) -> str | None:
    return text(table, key, where) if key in table else None


def text_list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadInput(f"{where}: {key} must be a list of strings, not {value!r}")
    return value
