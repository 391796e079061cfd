import docker
import pytest

from harness.cloud.lifecycle import LocalCloud
from harness.images import prepare
from harness.paths import REPO
from tests.integration import listeners

PROCESSOR_IMAGE = "csv-pipeline-processor:local"

LISTENERS_BEFORE = pytest.StashKey[list[listeners.Listener]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the integration tests; notes what listens before any test brings the local cloud
    up (tests/integration/listeners.py): collection ends before the first test runs."""
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)
    config.stash[LISTENERS_BEFORE] = listeners.listening()


@pytest.fixture(scope="session")
def listeners_before(pytestconfig: pytest.Config) -> list[listeners.Listener]:
    return pytestconfig.stash[LISTENERS_BEFORE]


@pytest.fixture(scope="session")
def processor_image(local_cloud: LocalCloud) -> str:
    """The processor's image, built from batch/ as the stack's asset is, to run it directly."""
    client = docker.from_env()
    return prepare.build(client, REPO / "batch", PROCESSOR_IMAGE, prepare.base_image(client))
