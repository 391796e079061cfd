"""What `make local-up` and `make local-down` clean up on the real Docker engine."""

from urllib.parse import urlsplit

import docker

from harness.engine.moto.engine import remove_ended_function_containers
from harness.images.prepare import LAMBDA_IMAGE


def test_function_containers_that_ended_without_removal_are_removed(moto_cloud):
    # moto's own leftovers (harness/engine/moto/engine.py); LocalStack removes its own
    client = docker.from_env()
    ended = client.containers.run(
        LAMBDA_IMAGE, entrypoint=["true"], detach=True, network_mode="host"
    )
    ended.wait(timeout=30)
    # The image's entrypoint would take `sleep 30` as its own arguments and end at once.
    running = client.containers.run(
        LAMBDA_IMAGE, ["30"], entrypoint=["sleep"], detach=True, network_mode="host"
    )
    # one that ended for an engine that answers, which has yet to read its output
    port = urlsplit(moto_cloud.endpoint).port
    answered = client.containers.run(
        LAMBDA_IMAGE,
        entrypoint=["true"],
        environment={"MOTO_PORT": str(port)},
        detach=True,
        network_mode="host",
    )
    answered.wait(timeout=30)
    try:
        removed = remove_ended_function_containers()
        left = {c.id for c in client.containers.list(all=True, filters={"ancestor": LAMBDA_IMAGE})}
    finally:
        running.remove(force=True)
        answered.remove(force=True)

    assert removed >= 1
    assert ended.id not in left
    assert running.id in left  # a function still running belongs to an engine that runs
    assert answered.id in left  # its engine removes it
