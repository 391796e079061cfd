"""containerOverrides of a job's resources: VCPU and MEMORY replace the definition's for that
job (its container's limits, its share of the compute environment, its description)."""

import pytest

from harness.batch.backend import BatchBackend
from harness.batch.errors import ClientException
from harness.batch.resources import with_resource_overrides
from harness.batch.runner import memory_limit
from harness.batch.validation import check_submit_job

DEFINITION = {
    "image": "i",
    "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
}


@pytest.fixture
def backend() -> BatchBackend:
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    backend.create_compute_environment("env", {"maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.register_job_definition("work", DEFINITION)
    return backend


def test_overriding_requirements_replace_the_definitions_for_that_job_only(backend):
    bigger = backend.submit_job(
        "bigger",
        "queue",
        "work",
        container_overrides={
            "resourceRequirements": [
                {"type": "MEMORY", "value": "4096"},
                {"type": "VCPU", "value": "2"},
            ]
        },
    )
    plain = backend.submit_job("plain", "queue", "work")

    assert (bigger.vcpus, memory_limit(bigger.container_properties)) == (2.0, "4096m")
    assert (plain.vcpus, memory_limit(plain.container_properties)) == (1.0, "2048m")
    described = {
        r["type"]: r["value"] for r in bigger.describe()["container"]["resourceRequirements"]
    }
    assert described == {"VCPU": "2", "MEMORY": "4096"}


def test_the_older_vcpus_and_memory_overrides_win_over_the_definitions_requirements():
    properties = with_resource_overrides(DEFINITION, {"vcpus": 3, "memory": 512})

    assert memory_limit(properties) == "512m"
    assert properties["vcpus"] == 3
    assert properties.get("resourceRequirements") is None


def test_a_gpu_override_is_refused_not_dropped():
    request = {
        "jobName": "x",
        "jobQueue": "q",
        "jobDefinition": "d",
        "containerOverrides": {"resourceRequirements": [{"type": "GPU", "value": "1"}]},
    }

    with pytest.raises(ClientException, match=r"containerOverrides\.resourceRequirements: GPU"):
        check_submit_job(request)
