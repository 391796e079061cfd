"""compose.yaml for real: `docker compose up` runs the engine as a container, the harness
deploys the stack to the engine that answers (as `make local-up` does), the sample's rows
arrive, and `docker compose down` leaves nothing behind. On a port of its own, so the
session's local cloud is not disturbed."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from botocore.exceptions import ClientError

from harness.client import aws
from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import LocalCloud
from harness.engine.base import engine_health
from harness.engine.moto.engine import MotoEngine
from harness.images.prepare import base_image
from harness.paths import REPO
from harness.testing import targets
from tests.integration import listeners
from tests.integration.helpers import free_port

COMPOSE = Path(sys.executable).parent / "docker-compose"

# slow: compose builds the engine image from this repository whenever the harness changed
# (about a minute), then starts a second engine and deploys the stack to it.
pytestmark = pytest.mark.slow


def compose(project: str, port: int, base_image: str, *arguments: str) -> None:
    environment = {**os.environ, "HARNESS_PORT": str(port), "BASE_IMAGE": base_image}
    subprocess.run([str(COMPOSE), "-p", project, *arguments], cwd=REPO, env=environment, check=True)


@pytest.fixture(scope="module")
def embedded(target: str) -> None:
    """compose.yaml's default service is the embedded engine; these tests start their own,
    so the session's local cloud need not be up."""
    if target != "moto":
        pytest.skip(targets.MOTO_ONLY)


@pytest.fixture(scope="module")
def composed(embedded, tmp_path_factory) -> Iterator[dict]:
    """The engine from compose.yaml on its own port; torn down with `docker compose down`."""
    port = free_port()
    project = f"csv-pipeline-it{port}"
    base = base_image(docker.from_env())
    compose(project, port, base, "up", "--detach", "--wait", "--build")
    cloud = LocalCloud(engine=MotoEngine(tmp_path_factory.mktemp("compose"), port=port))
    try:
        yield {"cloud": cloud, "project": project, "port": port, "base": base}
    finally:
        compose(project, port, base, "down")


def test_compose_runs_the_engine_and_the_stack_deploys_and_processes_the_sample(
    composed, listeners_before
):
    cloud: LocalCloud = composed["cloud"]
    labels = {"label": f"com.docker.compose.project={composed['project']}"}
    (container,) = docker.from_env().containers.list(filters=labels)

    outputs = cloud.up()  # reuses the engine that answers: compose's
    pipeline = Pipeline(cloud.endpoint, outputs)
    upload = pipeline.upload(REPO / "samples" / "Sample.csv")
    # S3 delivers an event at least once (a trigger whose first invocation timed out on a busy
    # machine runs again), so the upload may have two jobs; its rows are in the table once.
    jobs = pipeline.wait_for_jobs(upload)

    assert container.labels["csv-pipeline.harness"] == "engine"
    assert [job["status"] for job in jobs] == ["SUCCEEDED"] * len(jobs), jobs
    assert pipeline.count() == 12  # a fresh engine: the sample's rows only
    assert listeners.exposed(listeners_before, docker.from_env()) == []


def test_compose_down_removes_the_engine(composed):
    compose(composed["project"], composed["port"], composed["base"], "down")
    labels = {"label": f"com.docker.compose.project={composed['project']}"}

    assert docker.from_env().containers.list(all=True, filters=labels) == []
    assert not composed["cloud"].engine.healthy()


def test_the_localstack_profiles_edge_runs_from_the_engine_image_and_serves_batch(
    embedded, listeners_before
):
    """The `localstack` profile's edge alone (no LocalStack image can be pulled here): it
    starts from this repository's image, serves Batch itself and passes the rest on."""
    port = free_port()
    project = f"csv-pipeline-edge{port}"
    base = base_image(docker.from_env())
    compose(
        project,
        port,
        base,
        "--profile",
        "localstack",
        "up",
        "--detach",
        "--wait",
        "--build",
        "--no-deps",
        "localstack",
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        health = engine_health(endpoint)
        queues = aws.client("batch", endpoint).describe_job_queues()["jobQueues"]
        with pytest.raises(ClientError) as passed_on:
            aws.client("s3", endpoint).list_buckets()
        exposed = listeners.exposed(listeners_before, docker.from_env())
    finally:
        compose(project, port, base, "--profile", "localstack", "down")

    assert health["engine"] == "localstack"
    assert health["localstack"] == "http://localstack-runtime:4566"
    assert health["localstack_ready"] is False
    assert queues == []  # the stand-in answered
    assert passed_on.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    assert exposed == []  # published on 127.0.0.1 only
