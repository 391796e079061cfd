"""Consumable resources: the API's actions and checks, and jobs that wait for the units they
ask for, hold them while they run and give back the replenishable ones (scripted runner, no
Docker)."""

import pytest
from werkzeug.test import Client

from harness.batch.backend import BatchBackend
from harness.batch.capacity import CapacityPool
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.responses import BatchApp
from harness.waiting import wait_until
from tests.unit.harness.batch.test_capacity import GatedRunner, becomes

ARN = "arn:aws:batch:us-east-1:000000000000:consumable-resource/licence"


def licensed_backend(runner: GatedRunner, total: int, kind: str = "REPLENISHABLE"):
    """An environment of 4 vCPUs, a consumable resource `licence` of `total` units, and a job
    definition whose jobs take one; the backend and its pool."""
    pool = CapacityPool()
    backend = BatchBackend("000000000000", "us-east-1", JobExecutor(runner, pool).start)
    backend.create_compute_environment("env", {"maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    backend.create_consumable_resource("licence", total, kind)
    backend.register_job_definition(
        "licensed",
        {"image": "i", "vcpus": 1},
        consumable_resource_properties={
            "consumableResourceList": [{"consumableResource": "licence", "quantity": 1}]
        },
    )
    return backend, pool


def test_resources_are_created_described_listed_updated_and_deleted_through_the_api():
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    client = Client(BatchApp(lambda region: backend))

    created = client.post(
        "/v1/createconsumableresource",
        json={"consumableResourceName": "licence", "totalQuantity": 3, "tags": {"t": "v"}},
    ).json
    client.post("/v1/createconsumableresource", json={"consumableResourceName": "other"})
    added = client.post(
        "/v1/updateconsumableresource",
        json={"consumableResource": "licence", "operation": "ADD", "quantity": 2},
    ).json
    too_many = client.post(
        "/v1/updateconsumableresource",
        json={"consumableResource": ARN, "operation": "REMOVE", "quantity": 9},
    )
    described = client.post("/v1/describeconsumableresource", json={"consumableResource": ARN}).json
    listed = client.post(
        "/v1/listconsumableresources",
        json={"filters": [{"name": "CONSUMABLE_RESOURCE_NAME", "values": ["lic*"]}]},
    ).json
    deleted = client.post("/v1/deleteconsumableresource", json={"consumableResource": "licence"})

    assert created == {"consumableResourceName": "licence", "consumableResourceArn": ARN}
    assert added["totalQuantity"] == 5
    assert too_many.status_code == 400
    assert {k: described[k] for k in ("totalQuantity", "availableQuantity", "resourceType")} == {
        "totalQuantity": 5,
        "availableQuantity": 5,
        "resourceType": "REPLENISHABLE",
    }
    assert described["tags"] == {"t": "v"}
    assert [r["consumableResourceName"] for r in listed["consumableResources"]] == ["licence"]
    assert deleted.status_code == 200
    assert [r.name for r in backend.list_consumable_resources()] == ["other"]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"consumableResourceList": [{"consumableResource": "licence", "quantity": 0}]},
            "at least 1",
        ),
        ({"consumableResourceList": [{"consumableResource": "nothing"}]}, "nothing does not exist"),
        ({"resources": []}, "consumableResourceList and nothing else"),
    ],
)
def test_a_definition_naming_resources_wrongly_is_refused(properties, message):
    backend, _ = licensed_backend(GatedRunner(), total=1)

    with pytest.raises(ClientException, match=message):
        backend.register_job_definition(
            "bad", {"image": "i", "vcpus": 1}, consumable_resource_properties=properties
        )


def test_a_replenishable_resource_limits_how_many_jobs_run_at_once():
    runner = GatedRunner()
    backend, pool = licensed_backend(runner, total=2)
    jobs = [backend.submit_job(f"job-{n}", "queue", "licensed") for n in range(3)]
    assert becomes(jobs[0], "RUNNING") and becomes(jobs[1], "RUNNING")
    assert becomes(jobs[2], "RUNNABLE")  # vCPUs are free; the licence is not
    reason = pool.why_waiting(jobs[2])
    resource = backend.find_consumable_resource("licence")
    in_use = resource.in_use

    runner.release("job-0")
    assert becomes(jobs[2], "RUNNING")
    for job in jobs[1:]:
        runner.release(job.name)
    assert becomes(jobs[2], "SUCCEEDED") and becomes(jobs[1], "SUCCEEDED")

    assert reason == "waiting for 1 of consumable resource licence, which has 0 of 2 available"
    assert in_use == 2
    assert resource.in_use == 0


def test_a_non_replenishable_resource_is_used_up_until_more_is_added():
    runner = GatedRunner()
    backend, _ = licensed_backend(runner, total=1, kind="NON_REPLENISHABLE")
    first = backend.submit_job("first", "queue", "licensed")
    runner.release("first")
    assert becomes(first, "SUCCEEDED")
    second = backend.submit_job("second", "queue", "licensed")
    runner.release("second")
    assert becomes(second, "RUNNABLE")
    assert not becomes_within(second, "RUNNING", 0.5)

    backend.update_consumable_resource("licence", "ADD", 1)

    assert becomes(second, "SUCCEEDED")
    assert backend.find_consumable_resource("licence").describe()["availableQuantity"] == 0


def becomes_within(job, status: str, seconds: float) -> bool:
    return bool(wait_until(lambda: job.status == status or None, timeout=seconds, interval=0.05))


def test_an_override_replaces_the_definitions_list_and_jobs_are_listed_by_resource():
    runner = GatedRunner()
    backend, _ = licensed_backend(runner, total=1)
    backend.create_consumable_resource("seats", 5)
    client = Client(BatchApp(lambda region: backend))
    job_id = client.post(
        "/v1/submitjob",
        json={
            "jobName": "seated",
            "jobQueue": "queue",
            "jobDefinition": "licensed",
            "consumableResourcePropertiesOverride": {
                "consumableResourceList": [{"consumableResource": "seats", "quantity": 3}]
            },
        },
    ).json["jobId"]
    job = backend.jobs[job_id]
    assert becomes(job, "RUNNING")

    listed = client.post(
        "/v1/listjobsbyconsumableresource",
        json={
            "consumableResource": "seats",
            "filters": [{"name": "JOB_STATUS", "values": ["RUNNING"]}],
        },
    ).json
    refused = client.post("/v1/deleteconsumableresource", json={"consumableResource": "seats"})
    runner.release("seated")
    assert becomes(job, "SUCCEEDED")

    (entry,) = listed["jobs"]
    assert (entry["jobName"], entry["quantity"], entry["jobStatus"]) == ("seated", 3, "RUNNING")
    assert job.describe()["consumableResourceProperties"] == {
        "consumableResourceList": [
            {
                "consumableResource": ARN.replace("licence", "seats"),
                "quantity": 3,
            }
        ]
    }
    assert refused.status_code == 400
    assert backend.find_consumable_resource("licence").in_use == 0
