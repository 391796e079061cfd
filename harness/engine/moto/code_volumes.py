"""Each embedded engine's own Docker volumes for its functions' code.

moto copies a function's code into a Docker volume named after the code's digest, counts in
its own process the invocations that use it, and removes it when the last one ends. Two
engines on one Docker engine that run the same code (clouds on two ports: the tests' and the
developer's, or two checkouts') share the volume but not the count, so one removes it while
the other needs it: while the other's function runs, Docker refuses (409), which moto reports
as that invocation's failure after the function ran, and S3's retry runs it a second time;
just before the other mounts it, Docker mounts a new, empty volume. Here the volume's name
also carries the engine's port, so each engine counts and removes only its own volumes.
"""

from typing import Any

from harness.engine.moto import internals

LAMBDA_MODELS = "moto.awslambda.models"


class _FunctionOfThisEngine:
    """A function as moto's code volume reads it: its digest carries the engine's name."""

    def __init__(self, function: Any, engine: str) -> None:
        self._function = function
        self.code_digest = f"{function.code_digest}-{engine}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._function, name)


def code_volume_of(engine: str) -> type:
    """moto's code volume context, its volumes named for `engine` too."""
    volume_context: type = internals.get(LAMBDA_MODELS, "_DockerDataVolumeContext")

    class CodeVolumeOfThisEngine(volume_context):
        def __init__(self, lambda_func: Any) -> None:
            super().__init__(_FunctionOfThisEngine(lambda_func, engine))

    return CodeVolumeOfThisEngine


def install(replacements: internals.Replacements, engine: str) -> None:
    replacements.replace(LAMBDA_MODELS, "_DockerDataVolumeContext", code_volume_of(engine))
