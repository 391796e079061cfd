import pytest

from tests.integration import listeners

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
