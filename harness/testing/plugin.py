"""pytest fixtures for the pipeline's integration tests: the package's pytest11 plugin
`harness`, loaded by pytest wherever the harness is installed; it does nothing until a test
asks for one of its fixtures.

PIPELINE_TARGET picks where they run (harness/testing/targets.py). On the local cloud (moto, the
default, or localstack) `local_cloud` brings everything up once per session (reusing a
cloud that is already up, e.g. from `make local-up`) and stops only what it started;
HARNESS_KEEP_UP=1 leaves it running for inspection. On aws, `pipeline` is the deployed stack
and every test that asks for `local_cloud` is skipped with the reason; on localstack, every
test that asks for `moto_cloud` (the embedded engine's own powers) is.
"""

import os
import uuid
from collections.abc import Iterator

import pytest

from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import PORT, STATE_DIR, LocalCloud
from harness.control.client import Faults, Iam
from harness.engine import choice
from harness.errors import HarnessError
from harness.progress import show_progress
from harness.testing import targets

ENDPOINT = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="session")
def target() -> str:
    """Where the suite runs: "moto", "localstack" (the local cloud on that engine) or "aws"
    (the stack `make deploy-aws` deployed), from PIPELINE_TARGET or HARNESS_ENGINE, else the
    engine already running, else moto. A wrong value, or aws without credentials, ends the
    run at once saying what to do."""
    try:
        selected = targets.selected(ENDPOINT)
        if selected == "aws":
            from infra.preflight import PreflightError, check

            try:
                check()
            except PreflightError as error:
                raise HarnessError(str(error)) from error
    except HarnessError as error:
        pytest.exit(f"error: {error}", returncode=2)
    # No image can be pulled here, so testcontainers' reaper (ryuk) cannot start; the
    # harness removes what it starts itself.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    return selected


@pytest.fixture(scope="session")
def local_cloud(target: str) -> Iterator[LocalCloud]:
    """The local cloud, up with the stack deployed, once per session: a cloud already up (from
    `make local-up`) is reused and left running; one started here is stopped at the end
    unless HARNESS_KEEP_UP=1. Skips the test where the target is aws."""
    if target not in targets.LOCAL:
        pytest.skip(targets.LOCAL_ONLY)
    cloud = LocalCloud(engine=choice.create(target, STATE_DIR, PORT))
    started_here = not cloud.engine.healthy()
    show_progress()
    cloud.up(deploy_log=STATE_DIR / "deploy.log")
    yield cloud
    if started_here and not os.environ.get("HARNESS_KEEP_UP"):
        cloud.down()


@pytest.fixture(scope="session")
def moto_cloud(target: str, local_cloud: LocalCloud) -> LocalCloud:
    """The local cloud on the embedded engine; tests of its own powers ask for this one."""
    if target != "moto":
        pytest.skip(targets.MOTO_ONLY)
    return local_cloud


@pytest.fixture(scope="session")
def pipeline(request: pytest.FixtureRequest, target: str) -> Pipeline:
    """The deployed pipeline (harness.client.pipeline.Pipeline) on the target: upload,
    follow its jobs, read their logs and the table's rows."""
    if target == "aws":
        return Pipeline(None, targets.aws_outputs())
    local_cloud: LocalCloud = request.getfixturevalue("local_cloud")
    return Pipeline(local_cloud.endpoint, local_cloud.outputs())


@pytest.fixture
def faults(local_cloud: LocalCloud) -> Iterator[Faults]:
    """The local cloud's fault rules (harness/faults/); every rule is removed after the test."""
    rules = Faults(local_cloud.endpoint)
    rules.clear()
    yield rules
    rules.clear()


@pytest.fixture
def enforced_iam(moto_cloud: LocalCloud) -> Iterator[None]:
    """IAM enforced on the embedded engine for one test (harness/engine/moto/iam.py): the
    trigger and jobs run with their roles' credentials and policies."""
    iam = Iam(moto_cloud.endpoint)
    was = iam.enforced()
    iam.enforced(True)
    yield
    iam.enforced(was)


@pytest.fixture
def unique() -> str:
    """A short token that keeps one test's keys and object names apart from every other's."""
    return uuid.uuid4().hex[:10]
