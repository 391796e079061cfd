"""pytest fixtures for the local cloud (enable with `-p harness.pytest_plugin`).

`local_cloud` brings everything up once per session (reusing a cloud that is already up,
e.g. from `make local-up`) and stops only what it started. Set HARNESS_KEEP_UP=1 to leave
it running after the session for inspection.
"""

import os
import uuid
from collections.abc import Iterator

import pytest

from harness.cloud import STATE_DIR, LocalCloud
from harness.pipeline import Pipeline

# No image can be pulled here, so testcontainers' reaper (ryuk) cannot start; the harness
# removes what it starts itself.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud()
    started_here = not cloud.engine.healthy()
    cloud.up(deploy_log=STATE_DIR / "deploy.log")
    yield cloud
    if started_here and not os.environ.get("HARNESS_KEEP_UP"):
        cloud.down()


@pytest.fixture(scope="session")
def pipeline(local_cloud: LocalCloud) -> Pipeline:
    return Pipeline(local_cloud.endpoint, local_cloud.outputs())


@pytest.fixture
def unique() -> str:
    """A short token that keeps one test's keys and object names apart from every other's."""
    return uuid.uuid4().hex[:10]
