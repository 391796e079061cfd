"""pytest fixtures for a CDK app's integration tests: the package's pytest11 plugin `harness`,
loaded by pytest wherever the harness is installed; it does nothing until a test asks for one
of its fixtures.

The app is the one `harness_app` returns: by default the folder the ini option `harness_app`
names (relative to the rootdir), else the nearest folder with a cdk.json from the working
directory, configured by its [tool.harness] table (harness/project.py). A conftest.py may
override the fixture to build the CdkApp in code.

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

from harness import project
from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import PORT, STATE_DIR, LocalCloud
from harness.control.client import Faults, Iam
from harness.engine import choice
from harness.errors import HarnessError
from harness.progress import show_progress
from harness.project import CdkApp
from harness.testing import targets

ENDPOINT = f"http://127.0.0.1:{PORT}"
APP_OPTION = "harness_app"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        APP_OPTION,
        "folder of the CDK app the harness deploys, relative to the rootdir (default: the "
        "nearest folder with a cdk.json from the working directory)",
    )


@pytest.fixture(scope="session")
def harness_app(request: pytest.FixtureRequest) -> CdkApp:
    """The CDK app under test (harness.project.CdkApp): its folder, stack and output keys,
    from the [tool.harness] table of its pyproject.toml. Override it in a conftest.py to
    describe the app in code."""
    named = request.config.getini(APP_OPTION)
    try:
        return project.load(request.config.rootpath / named) if named else project.load()
    except HarnessError as error:
        pytest.exit(f"error: {error}", returncode=2)


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
def local_cloud(target: str, harness_app: CdkApp) -> Iterator[LocalCloud]:
    """The local cloud, up with the app's stack deployed, once per session: a cloud already up
    (from `harness up`) is reused and left running; one started here is stopped at the end
    unless HARNESS_KEEP_UP=1. Skips the test where the target is aws."""
    if target not in targets.LOCAL:
        pytest.skip(targets.LOCAL_ONLY)
    cloud = LocalCloud(engine=choice.create(target, STATE_DIR, PORT), app=harness_app)
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
def pipeline(request: pytest.FixtureRequest, target: str, harness_app: CdkApp) -> Pipeline:
    """The deployed app's flow (harness.client.pipeline.Pipeline) on the target: upload to its
    bucket, follow the jobs an upload started, read their logs and the table's items."""
    if target == "aws":
        return Pipeline(None, targets.aws_outputs(harness_app))
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
