"""EC2 instance memory from the type's name, where the name decides it."""

import pytest

from harness.batch.instance_types import largest_memory_mib, memory_mib


@pytest.mark.parametrize(
    ("instance_type", "gib"),
    [
        ("c5.large", 4),
        ("c5.18xlarge", 144),
        ("m5.24xlarge", 384),
        ("m6i.xlarge", 16),
        ("r7g.medium", 8),
        ("r6id.32xlarge", 1024),
        ("m7a.2xlarge", 32),
    ],
)
def test_memory_follows_from_family_and_size(instance_type, gib):
    assert memory_mib(instance_type) == gib * 1024


@pytest.mark.parametrize(
    "instance_type",
    ["optimal", "m5", "m4.large", "c5n.large", "m5.metal", "t3.micro", "x2gd.large"],
)
def test_types_whose_memory_the_name_does_not_decide_are_unknown(instance_type):
    assert memory_mib(instance_type) is None


def test_the_largest_is_known_only_when_every_type_is():
    assert largest_memory_mib(["m5.large", "r5.xlarge"]) == 32 * 1024
    assert largest_memory_mib(["m5.large", "optimal"]) is None
    assert largest_memory_mib([]) is None
