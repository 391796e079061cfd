"""When the harness may install and start a Docker engine itself (no Docker used here)."""

import pytest

from harness.cloud import docker_host


@pytest.fixture
def root_on_debian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_host.os, "geteuid", lambda: 0)
    monkeypatch.setattr(docker_host.Path, "exists", lambda path: True)
    monkeypatch.setattr(docker_host.shutil, "which", lambda name: f"/usr/bin/{name}")


def test_root_on_debian_may_install_unless_told_not_to(root_on_debian, monkeypatch):
    assert docker_host.can_install()

    monkeypatch.setenv("HARNESS_INSTALL_DOCKER", "0")
    assert not docker_host.can_install()


def test_with_no_engine_and_no_leave_to_install_it_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(docker_host, "answers", lambda: False)
    monkeypatch.setenv("HARNESS_INSTALL_DOCKER", "0")

    with pytest.raises(docker_host.DockerUnavailable, match="Start Docker") as refused:
        docker_host.ensure_docker(tmp_path / "dockerd.log")
    assert "HARNESS_INSTALL_DOCKER=0" in str(refused.value)
