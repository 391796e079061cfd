"""Local-first harness: runs the pipeline offline on a local AWS engine plus a Batch stand-in."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "cdk-batch-harness"


def installed_version() -> str | None:
    """The installed distribution's version; None where the package is only copied (the
    engine's container image)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None
