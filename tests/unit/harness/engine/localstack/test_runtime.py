"""What the harness supplies to LocalStack's runtime (harness/engine/localstack/runtime.py): a
Java whose programs cannot listen beyond loopback."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine.localstack import runtime
from harness.waiting import wait_until

BIND_EVERYWHERE = """
import socket
for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    listener = socket.socket(family)
    listener.bind((address, 0))
    listener.listen()
    print(listener.getsockname()[0])
"""

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler on this machine")


@pytest.fixture
def supplied(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "BIND_LOOPBACK", tmp_path / "bind-loopback")
    monkeypatch.setattr(runtime, "LIB", tmp_path / "lib")
    return tmp_path


@needs_cc
def test_a_program_with_the_library_preloaded_binding_every_interface_gets_loopback(supplied):
    library = runtime.bind_loopback()

    preloaded = subprocess.run(
        [sys.executable, "-c", BIND_EVERYWHERE],
        env={"LD_PRELOAD": str(library)},
        capture_output=True,
        text=True,
        check=True,
    )
    plain = subprocess.run(
        [sys.executable, "-c", BIND_EVERYWHERE], capture_output=True, text=True, check=True
    )

    assert preloaded.stdout.split() == ["127.0.0.1", "::ffff:127.0.0.1"]
    assert plain.stdout.split() == ["0.0.0.0", "::"]


@needs_cc
def test_the_library_is_compiled_once_per_source(supplied):
    library = runtime.bind_loopback()
    built = library.stat().st_mtime_ns

    assert runtime.bind_loopback() == library
    assert library.stat().st_mtime_ns == built


@needs_cc
@pytest.mark.skipif(shutil.which("java") is None, reason="no Java on this machine")
def test_the_supplied_java_preloads_the_library_and_replaces_an_old_link(supplied):
    old_link = runtime.LIB / "java" / "21"
    old_link.parent.mkdir(parents=True)
    target = supplied / "not-to-be-touched"
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "java").write_text("the machine's own")
    old_link.symlink_to(target, target_is_directory=True)

    runtime.java_home()
    java = old_link / "bin" / "java"
    version = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=True)

    assert not old_link.is_symlink()
    assert (target / "bin" / "java").read_text() == "the machine's own"
    assert "LD_PRELOAD" in java.read_text() and "bind_loopback.so" in java.read_text()
    assert "version" in version.stderr
    assert (old_link / "lib").is_symlink()  # LocalStack sets LD_LIBRARY_PATH to <home>/lib


def test_dynamodb_local_left_by_localstack_is_stopped_and_nothing_else(supplied, tmp_path):
    marker = str(runtime.LIB / "dynamodb-local" / "2" / "DynamoDBLocal.jar")
    java = tmp_path / "java"  # a stand-in program named java, sleeping
    java.symlink_to(sys.executable)
    sleep = ["-c", "import time; time.sleep(60)"]
    left = subprocess.Popen([str(java), *sleep, "-jar", marker])
    other = subprocess.Popen([str(java), *sleep, "-jar", "/elsewhere/DynamoDBLocal.jar"])
    try:
        for process in (left, other):  # Popen returns before the program has replaced pytest
            cmdline = Path(f"/proc/{process.pid}/cmdline")
            assert wait_until(
                lambda c=cmdline: (b"DynamoDBLocal" in c.read_bytes()) or None, 10, 0.01
            )
        stopped = runtime.stop_dynamodb_local()
        left_status = left.wait(timeout=10)
    finally:
        other.kill()
        other.wait()

    assert stopped == 1
    assert left_status == -15  # SIGTERM
