"""Each embedded engine's own code volumes (harness/engine/moto/code_volumes.py), through
moto's own volume context, with a Docker client that records what it is asked."""

from typing import Any

from harness.engine.moto.code_volumes import code_volume_of


class Volume:
    def __init__(self, name: str, removed: list[str]) -> None:
        self.name = name
        self._removed = removed

    def remove(self) -> None:
        self._removed.append(self.name)


class Container:
    def put_archive(self, path: str, stream: Any) -> None:
        pass

    def remove(self, force: bool) -> None:
        pass


class RecordingDocker:
    def __init__(self) -> None:
        self.volumes = self
        self.containers = self
        self.created: list[str] = []
        self.removed: list[str] = []
        self.mounted: list[dict[str, Any]] = []

    def list(self) -> list[Volume]:
        return []

    def create(self, name: str) -> Volume:
        self.created.append(name)
        return Volume(name, self.removed)

    def run(self, image: str, command: str, volumes: dict[str, Any], detach: bool) -> Container:
        self.mounted.append(volumes)
        return Container()


class Function:
    """What moto's volume context reads of a LambdaFunction."""

    code_digest = "0f1e2d"
    code_bytes = b"PK\x05\x06" + b"\x00" * 18  # an empty zip file

    def __init__(self, docker: RecordingDocker) -> None:
        self.docker_client = docker

    def ensure_image_exists(self, name: str) -> None:
        pass


def test_each_engine_fills_uses_and_removes_a_code_volume_of_its_own():
    docker = RecordingDocker()
    function = Function(docker)

    with code_volume_of("engine-4566")(function) as volume:
        name_on_4566 = volume.name
    with code_volume_of("engine-4599")(function) as volume:
        name_on_4599 = volume.name

    assert (name_on_4566, name_on_4599) == ("0f1e2d-engine-4566", "0f1e2d-engine-4599")
    assert docker.created == docker.removed == [name_on_4566, name_on_4599]
    assert [list(mount) for mount in docker.mounted] == [[name_on_4566], [name_on_4599]]
