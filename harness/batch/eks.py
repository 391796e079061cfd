"""Jobs of Amazon EKS compute environments: a job definition's eksProperties, checked field by
field, and the pod's container as the container the stand-in runs on the local Docker engine.

A pod's container keeps Kubernetes' meaning: `command` replaces the image's entrypoint and
`args` its arguments (the ECS `command` is the arguments only); `env` sets variables;
`resources` gives its vCPUs ("1", "500m") and memory ("512Mi", "2Gi") in Kubernetes'
quantities, limits over requests.
"""

import re
from typing import Any

from harness.batch.errors import ClientException
from harness.batch.validation import RESERVED_ENVIRONMENT_PREFIX, check_fields

POD_HONOURED = {"containers"}
POD_NO_EFFECT = {
    "metadata": "there is no Kubernetes to label or annotate a pod in",
    "serviceAccountName": "there are no service accounts: the container gets the credentials "
    "of a job without a job role",
    "hostNetwork": "the container runs on the harness's container network",
    "dnsPolicy": "the container resolves names as the local Docker engine does",
    "imagePullSecrets": "images come from the local Docker engine; nothing is pulled",
}
CONTAINER_HONOURED = {"name", "image", "command", "args", "env", "resources"}
CONTAINER_NO_EFFECT = {"imagePullPolicy": "images come from the local Docker engine"}
OVERRIDE_HONOURED = {"containers"}
OVERRIDE_NO_EFFECT = {"metadata": POD_NO_EFFECT["metadata"]}
CONTAINER_OVERRIDE_HONOURED = {"name", "image", "command", "args", "env", "resources"}
CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
MEMORY = re.compile(r"^(\d+)(Mi|Gi|M|G)?$")
MEMORY_MIB = {"Mi": 1, "Gi": 1024, "M": 1_000_000 / 1_048_576, "G": 1_000_000_000 / 1_048_576}


def check_eks_properties(properties: Any) -> dict[str, Any]:
    """A definition's eksProperties: one pod container with an image; other documented fields
    accepted with a warning or refused by name."""
    pod = properties.get("podProperties") if isinstance(properties, dict) else None
    if not isinstance(pod, dict):
        raise ClientException("eksProperties.podProperties is required")
    check_fields("eksProperties.podProperties", pod, POD_HONOURED, POD_NO_EFFECT)
    containers = pod.get("containers")
    if not isinstance(containers, list) or len(containers) != 1:
        raise ClientException(
            "eksProperties.podProperties.containers: the local Batch stand-in runs pods of "
            "one container (AWS allows up to 10)"
        )
    (container,) = containers
    check_fields("podProperties.containers", container, CONTAINER_HONOURED, CONTAINER_NO_EFFECT)
    if not container.get("image"):
        raise ClientException("podProperties.containers: image is required")
    for variable in container.get("env") or []:
        if str(variable.get("name", "")).startswith(RESERVED_ENVIRONMENT_PREFIX):
            raise ClientException(
                f"podProperties.containers.env: {variable['name']}: the "
                f"{RESERVED_ENVIRONMENT_PREFIX} prefix is reserved for the variables AWS Batch sets"
            )
    container_properties(container)  # its resources parse
    return properties


def check_eks_override(override: Any, definition: dict[str, Any] | None) -> dict[str, Any]:
    """SubmitJob's eksPropertiesOverride of an EKS definition: its container override."""
    if not override:
        return {}
    if definition is None:
        raise ClientException("eksPropertiesOverride is for job definitions with eksProperties")
    pod = override.get("podProperties") or {}
    check_fields("eksPropertiesOverride.podProperties", pod, OVERRIDE_HONOURED, OVERRIDE_NO_EFFECT)
    containers = pod.get("containers") or []
    if len(containers) > 1:
        raise ClientException("eksPropertiesOverride: the pod has one container to override")
    for container in containers:
        check_fields("podProperties.containers", container, CONTAINER_OVERRIDE_HONOURED, {})
        named = container.get("name")
        own = pod_container(definition).get("name")
        if named and own and named != own:
            raise ClientException(f"eksPropertiesOverride: the pod has no container {named!r}")
    return containers[0] if containers else {}


def pod_container(eks_properties: dict[str, Any]) -> dict[str, Any]:
    return dict(eks_properties["podProperties"]["containers"][0])


def with_override(container: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """The pod's container with SubmitJob's override: each given field replaces the
    definition's, env variables by name."""
    merged = {**container, **{k: v for k, v in override.items() if k not in ("env", "name")}}
    if "env" in override:
        variables = {item["name"]: item for item in container.get("env") or []}
        variables.update({item["name"]: item for item in override["env"]})
        merged["env"] = list(variables.values())
    return merged


def container_properties(container: dict[str, Any]) -> dict[str, Any]:
    """The pod container as the stand-in's container properties (its arguments as `command`,
    its env as `environment`, its resources as VCPU and MEMORY requirements)."""
    resources = container.get("resources") or {}
    wanted = {**(resources.get("requests") or {}), **(resources.get("limits") or {})}
    requirements = []
    if "cpu" in wanted:
        requirements.append({"type": "VCPU", "value": f"{cpus(wanted['cpu']):g}"})
    if "memory" in wanted:
        requirements.append({"type": "MEMORY", "value": str(memory_mib(wanted["memory"]))})
    unknown = sorted(set(wanted) - {"cpu", "memory"})
    if unknown:
        raise ClientException(
            f"podProperties.containers.resources: {', '.join(unknown)} not supported by the "
            "local Batch stand-in (cpu and memory are)"
        )
    return {
        "image": container["image"],
        "command": list(container.get("args") or []),
        "environment": [
            {"name": item["name"], "value": item.get("value", "")}
            for item in container.get("env") or []
        ],
        "resourceRequirements": requirements,
    }


def cpus(quantity: Any) -> float:
    match = CPU.match(str(quantity))
    if not match:
        raise ClientException(f"cpu {quantity!r} is not a Kubernetes quantity like 1 or 500m")
    value = float(match.group(1))
    return value / 1000 if match.group(2) else value


def memory_mib(quantity: Any) -> int:
    match = MEMORY.match(str(quantity))
    if not match:
        raise ClientException(f"memory {quantity!r} is not a Kubernetes quantity like 512Mi or 2Gi")
    value, unit = int(match.group(1)), match.group(2)
    if unit is None:
        return max(1, round(value / 1_048_576))
    return max(1, round(value * MEMORY_MIB[unit]))


EKS_CONFIGURATION_HONOURED = {"eksClusterArn", "kubernetesNamespace"}
EKS_CONFIGURATION_NO_EFFECT = {"accessEntry": "there is no cluster to give Batch access to"}


def check_eks_configuration(configuration: Any, compute_resources: dict[str, Any]) -> None:
    """An environment's eksConfiguration: the cluster and namespace its pods would run in
    (kept and described; jobs run on the local Docker engine)."""
    if not isinstance(configuration, dict):
        raise ClientException("eksConfiguration holds eksClusterArn and kubernetesNamespace")
    check_fields(
        "eksConfiguration", configuration, EKS_CONFIGURATION_HONOURED, EKS_CONFIGURATION_NO_EFFECT
    )
    for name in sorted(EKS_CONFIGURATION_HONOURED):
        if not configuration.get(name):
            raise ClientException(f"eksConfiguration.{name} is required")
    if str(compute_resources.get("type", "")).startswith("FARGATE"):
        raise ClientException("an EKS compute environment runs on EC2 or SPOT, not Fargate")
