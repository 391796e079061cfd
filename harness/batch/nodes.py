"""Multi-node parallel jobs: a job definition's nodeProperties, checked as AWS documents them,
and the container each node runs.

A node range's `targetNodes` is "start:end" (both included); an omitted start is 0 and an
omitted end the last node. Ranges may nest: a node takes the narrowest range that holds it
(AWS: "the 4:5 range properties override the 0:10 properties"). Together the ranges must hold
every node.
"""

from typing import Any

from harness.batch.errors import ClientException

NODE_PROPERTIES_FIELDS = {"numNodes", "mainNode", "nodeRangeProperties"}
NODE_RANGE_HONOURED = {"targetNodes", "container"}
NODE_OVERRIDES_FIELDS = {"numNodes", "nodePropertyOverrides"}
NODE_OVERRIDE_FIELDS = {"targetNodes", "containerOverrides"}
MAX_NODES = 1000  # AWS Batch's limit on numNodes
MAX_NODE_RANGES = 5  # AWS: "up to five distinct node groups for each job"


def refuse_unknown(where: str, given: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(name for name, value in given.items() if name not in known and value)
    if unknown:
        raise ClientException(
            f"{where}: {', '.join(unknown)} not supported by the local Batch stand-in "
            "(docs/batch-stand-in.md lists its fields); remove them to run this locally"
        )


def target_range(target: Any, num_nodes: int) -> range:
    """The node indices `target` ("2:5", ":3", "4:", "2") names, checked against num_nodes."""
    text = str(target or "")
    start_text, colon, end_text = text.partition(":")
    try:
        start = int(start_text) if start_text else 0
        end = int(end_text) if end_text else num_nodes - 1
        if not colon:
            end = start
    except ValueError:
        raise ClientException(
            f"targetNodes {text!r} is invalid: give node indices as start:end, :end or start:"
        ) from None
    if not 0 <= start <= end < num_nodes:
        raise ClientException(
            f"targetNodes {text!r} is outside the job's nodes 0 to {num_nodes - 1}"
        )
    return range(start, end + 1)


def check_node_properties(properties: Any) -> dict[str, Any]:
    """The definition's nodeProperties with numNodes and mainNode as integers; raises
    ClientException for what AWS refuses or the stand-in does not support."""
    if not isinstance(properties, dict):
        raise ClientException("nodeProperties is required for a multinode job definition")
    refuse_unknown("nodeProperties", properties, NODE_PROPERTIES_FIELDS)
    num_nodes, main_node = check_counts(properties.get("numNodes"), properties.get("mainNode"))
    ranges = properties.get("nodeRangeProperties")
    if not isinstance(ranges, list) or not 1 <= len(ranges) <= MAX_NODE_RANGES:
        raise ClientException(
            f"nodeProperties.nodeRangeProperties needs 1 to {MAX_NODE_RANGES} node ranges"
        )
    covered: set[int] = set()
    for entry in ranges:
        if not isinstance(entry, dict):
            raise ClientException("nodeRangeProperties holds objects with targetNodes")
        refuse_unknown("nodeRangeProperties", entry, NODE_RANGE_HONOURED)
        covered.update(target_range(entry.get("targetNodes"), num_nodes))
        if not (entry.get("container") or {}).get("image"):
            raise ClientException(
                f"node range {entry.get('targetNodes')}: container.image is required"
            )
    missing = sorted(set(range(num_nodes)) - covered)
    if missing:
        raise ClientException(
            f"nodeRangeProperties must cover every node: no range holds node {missing[0]}"
        )
    return {**properties, "numNodes": num_nodes, "mainNode": main_node}


def check_counts(num_nodes: Any, main_node: Any) -> tuple[int, int]:
    if not isinstance(num_nodes, int) or not 1 <= num_nodes <= MAX_NODES:
        raise ClientException(f"numNodes must be a whole number from 1 to {MAX_NODES}")
    if not isinstance(main_node, int) or not 0 <= main_node < num_nodes:
        raise ClientException(f"mainNode must be a node index from 0 to {num_nodes - 1}")
    return num_nodes, main_node


def check_node_overrides(overrides: Any, properties: dict[str, Any]) -> dict[str, Any]:
    """SubmitJob's nodeOverrides against the definition's nodeProperties: the job's
    nodeProperties (numNodes as overridden) and its per-node container overrides."""
    overrides = overrides or {}
    refuse_unknown("nodeOverrides", overrides, NODE_OVERRIDES_FIELDS)
    num_nodes = overrides.get("numNodes", properties["numNodes"])
    num_nodes, _ = check_counts(num_nodes, properties["mainNode"])
    job_properties = check_node_properties({**properties, "numNodes": num_nodes})
    for entry in overrides.get("nodePropertyOverrides") or []:
        refuse_unknown("nodePropertyOverrides", entry, NODE_OVERRIDE_FIELDS)
        target_range(entry.get("targetNodes"), num_nodes)
    return job_properties


def for_node(entries: list[dict[str, Any]], index: int, num_nodes: int) -> dict[str, Any] | None:
    """Of `entries` (node ranges or overrides), the narrowest whose targetNodes hold `index`;
    the later one of two as narrow."""
    holding = [
        (len(target_range(entry.get("targetNodes"), num_nodes)), position, entry)
        for position, entry in enumerate(entries)
        if index in target_range(entry.get("targetNodes"), num_nodes)
    ]
    if not holding:
        return None
    return min(holding, key=lambda found: (found[0], -found[1]))[2]


def node_container(properties: dict[str, Any], index: int) -> dict[str, Any]:
    """The container node `index` runs (its range's `container`)."""
    entry = for_node(properties["nodeRangeProperties"], index, properties["numNodes"])
    assert entry is not None, "check_node_properties: every node is in a range"
    return dict(entry["container"])


def node_overrides(overrides: dict[str, Any], index: int, num_nodes: int) -> dict[str, Any]:
    """The containerOverrides of node `index` from SubmitJob's nodeOverrides."""
    entries = (overrides or {}).get("nodePropertyOverrides") or []
    entry = for_node(entries, index, num_nodes)
    return dict((entry or {}).get("containerOverrides") or {})
