"""Jobs of Amazon EKS compute environments: a job definition's eksProperties, checked field by
field, and each of the pod's containers as a container the stand-in runs on the local Docker
engine (runner.py runs a pod of several as Kubernetes runs a pod).

A pod's container keeps Kubernetes' meaning: `command` replaces the image's entrypoint and
`args` its arguments (the ECS `command` is the arguments only); `env` sets variables;
`resources` gives its vCPUs ("1", "500m") and memory ("512Mi", "2Gi") in Kubernetes'
quantities, limits over requests.
"""

import re
from typing import Any

from harness.batch.errors import ClientException
from harness.batch.validation import RESERVED_ENVIRONMENT_PREFIX, check_fields

POD_HONOURED = {"containers", "initContainers"}
MAX_CONTAINERS = 10  # AWS: podProperties.containers "is limited to 10 elements"
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
OVERRIDE_HONOURED = {"containers", "initContainers"}
OVERRIDE_NO_EFFECT = {"metadata": POD_NO_EFFECT["metadata"]}
CONTAINER_OVERRIDE_HONOURED = {"name", "image", "command", "args", "env", "resources"}
CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
MEMORY = re.compile(r"^(\d+)(Mi|Gi|M|G)?$")
MEMORY_MIB = {"Mi": 1, "Gi": 1024, "M": 1_000_000 / 1_048_576, "G": 1_000_000_000 / 1_048_576}


def check_eks_properties(properties: Any) -> dict[str, Any]:
    """A definition's eksProperties: 1 to 10 containers (and any init containers), each with
    an image, named when there are several; other documented fields accepted with a warning
    or refused by name."""
    pod = properties.get("podProperties") if isinstance(properties, dict) else None
    if not isinstance(pod, dict):
        raise ClientException("eksProperties.podProperties is required")
    check_fields("eksProperties.podProperties", pod, POD_HONOURED, POD_NO_EFFECT)
    containers = pod.get("containers")
    if not isinstance(containers, list) or not 1 <= len(containers) <= MAX_CONTAINERS:
        raise ClientException(
            f"eksProperties.podProperties.containers: 1 to {MAX_CONTAINERS} containers"
        )
    every = [*containers, *(pod.get("initContainers") or [])]
    for container in every:
        check_container("podProperties.containers", container)
    names = [container.get("name") for container in every]
    if len(every) > 1 and (None in names or len(set(names)) < len(names)):
        raise ClientException(
            "podProperties: the containers and init containers of a pod of more than one "
            "need a name each, all different"
        )
    return properties


def check_container(where: str, container: Any) -> None:
    if not isinstance(container, dict):
        raise ClientException(f"{where}: each container is an object with an image")
    check_fields(where, container, CONTAINER_HONOURED, CONTAINER_NO_EFFECT)
    if not container.get("image"):
        raise ClientException(f"{where}: image is required")
    for variable in container.get("env") or []:
        if str(variable.get("name", "")).startswith(RESERVED_ENVIRONMENT_PREFIX):
            raise ClientException(
                f"{where}.env: {variable['name']}: the {RESERVED_ENVIRONMENT_PREFIX} prefix is "
                "reserved for the variables AWS Batch sets"
            )
    container_properties(container)  # its resources parse


def check_eks_override(override: Any, definition: dict[str, Any] | None) -> dict[str, Any]:
    """SubmitJob's eksPropertiesOverride of an EKS definition: its podProperties, each
    container override naming a container of the pod (a pod of one may leave it unnamed)."""
    if not override:
        return {}
    if definition is None:
        raise ClientException("eksPropertiesOverride is for job definitions with eksProperties")
    pod = override.get("podProperties") or {}
    check_fields("eksPropertiesOverride.podProperties", pod, OVERRIDE_HONOURED, OVERRIDE_NO_EFFECT)
    for kind in ("containers", "initContainers"):
        own = definition["podProperties"].get(kind) or []
        for container in pod.get(kind) or []:
            check_fields(f"podProperties.{kind}", container, CONTAINER_OVERRIDE_HONOURED, {})
            if overridden(own, container) is None:
                raise ClientException(
                    f"eksPropertiesOverride: the pod has no {kind} entry named "
                    f"{container.get('name')!r}"
                )
    return pod


def overridden(containers: list[dict[str, Any]], override: dict[str, Any]) -> int | None:
    """The index of the container `override` is for: the one it names, or the only one."""
    named = override.get("name")
    if named is None:
        return 0 if len(containers) == 1 else None
    return next((i for i, c in enumerate(containers) if c.get("name") == named), None)


def pod_containers(
    eks_properties: dict[str, Any], override: dict[str, Any], kind: str = "containers"
) -> list[dict[str, Any]]:
    """The pod's containers (or `kind` initContainers), with SubmitJob's override of each."""
    containers = [dict(c) for c in eks_properties["podProperties"].get(kind) or []]
    for change in override.get(kind) or []:
        index = overridden(containers, change)
        if index is not None:
            containers[index] = with_override(containers[index], change)
    return containers


def with_override(container: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A container with its override: each given field replaces the definition's, env
    variables by name."""
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
