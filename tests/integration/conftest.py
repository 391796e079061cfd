import docker
import pytest

from harness.cloud.lifecycle import LocalCloud
from harness.images import prepare
from harness.paths import REPO
from tests.integration import listeners

PROCESSOR_IMAGE = "csv-pipeline-processor:local"

SESSION_GROUP = "local-cloud"
LISTENERS_BEFORE = pytest.StashKey[list[listeners.Listener]]()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the integration tests; notes what listens before any test brings the local cloud
    up (tests/integration/listeners.py): collection ends before the first test runs.

    Under pytest-xdist's `--dist loadgroup` (`make test`), every test runs in one worker, that
    of the session's local cloud, except modules marked with a group of their own: a cloud
    of their own, on its own port and in its own folders, runs beside the session's."""
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)
            if not any(item.iter_markers("xdist_group")):
                item.add_marker(pytest.mark.xdist_group(SESSION_GROUP))
    config.stash[LISTENERS_BEFORE] = listeners.listening()


@pytest.fixture(scope="session")
def listeners_before(pytestconfig: pytest.Config) -> list[listeners.Listener]:
    return pytestconfig.stash[LISTENERS_BEFORE]


@pytest.fixture(scope="session")
def processor_image(local_cloud: LocalCloud) -> str:
    """The processor's image, built from batch/ as the stack's asset is, to run it directly."""
    client = docker.from_env()
    return prepare.build(client, REPO / "batch", PROCESSOR_IMAGE, prepare.base_image(client))
