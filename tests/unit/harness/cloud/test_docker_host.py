"""When the harness may install and start a Docker engine itself (no Docker used here)."""

import docker.errors
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


class Listed:
    """A container as Docker lists it; `gone`: its own engine removes it first."""

    def __init__(self, name: str, gone: bool = False) -> None:
        self.name = name
        self.gone = gone
        self.removed = False
        self.attrs = {"Config": {"Env": ["MOTO_PORT=1"]}}

    def remove(self, force: bool) -> None:
        if self.gone:
            raise docker.errors.NotFound(f"No such container: {self.name}")
        self.removed = True


def test_containers_removed_meanwhile_by_another_engine_are_passed_over(monkeypatch):
    containers = [Listed("kept"), Listed("gone", gone=True), Listed("left")]
    listed: dict = {}

    class Client:
        class containers:
            @staticmethod
            def list(**options):
                listed.update(options)
                return containers

    monkeypatch.setattr(docker_host.docker, "from_env", Client)

    removed = docker_host.remove_containers(
        {"label": "x"}, "MOTO_PORT=1", unless=lambda c: c.name == "kept"
    )

    assert removed == 1
    assert [c.removed for c in containers] == [False, False, True]
    assert listed["ignore_removed"] is True
