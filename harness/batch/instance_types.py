"""How much memory an EC2 instance type has, for the sizes whose memory follows from the name.

In the current general-purpose (m), compute-optimised (c) and memory-optimised (r) families
from the fifth generation on, an instance has 2 (c), 4 (m) or 8 (r) GiB per vCPU, and a
`medium` has 1 vCPU, a `large` 2, an `xlarge` 4 and an `Nxlarge` 4·N. Other types (earlier
generations, n/z/e variants, metal, whole families, `optimal`) are not known here: the
stand-in then does not judge whether a job's memory can ever fit.
"""

import re

GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8}
SIZED_TYPE = re.compile(
    r"^(?P<family>[cmr])(?P<generation>\d+)(?P<variant>[agid]{0,2})\."
    r"(?P<size>medium|large|xlarge|(?P<times>\d+)xlarge)$"
)


def vcpus_of_size(size: str, times: str | None) -> int:
    return {"medium": 1, "large": 2, "xlarge": 4}.get(size) or 4 * int(times or 0)


def memory_mib(instance_type: str) -> int | None:
    """The instance type's memory in MiB, or None when it does not follow from its name."""
    match = SIZED_TYPE.match(instance_type)
    if match is None or int(match["generation"]) < 5:
        return None
    vcpus = vcpus_of_size(match["size"], match["times"])
    return vcpus * GIB_PER_VCPU[match["family"]] * 1024


def largest_memory_mib(instance_types: list[str]) -> int | None:
    """The most memory any of the types has, or None when one of them is not known."""
    memories = [memory_mib(instance_type) for instance_type in instance_types]
    if not memories or None in memories:
        return None
    return max(m for m in memories if m is not None)
