"""Prepare every image the local flow needs, reusing what exists, with progress output.

- a base image with Python: the public one when it can be pulled, else one built here
  with debootstrap from the machine's Debian mirror (debian_mirror.py; no registry needed);
- the Lambda runtime image both engines run functions in (built from the base image, with
  boto3 from wheels the harness downloads into its cache).

The app's own images (the Batch job's) are its CDK image assets, which the deploy builds with
the base image as the `baseImage` context value.
"""

import hashlib
import logging
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from harness.errors import HarnessError
from harness.images.debian_mirror import OVERRIDE as MIRROR_OVERRIDE
from harness.images.debian_mirror import debian_mirror
from harness.paths import CACHE as CACHE_ROOT
from harness.paths import local_up_command
from harness.setup_command import run

logger = logging.getLogger(__name__)

CACHE = CACHE_ROOT / "images"
PUBLIC_BASE = "python:3.12-slim"
LOCAL_BASE = "csv-pipeline/python-base:bookworm"
LAMBDA_IMAGE_REPOSITORY = "csv-pipeline-lambda"
LAMBDA_RUNTIME = "python3.12"
LAMBDA_IMAGE = f"{LAMBDA_IMAGE_REPOSITORY}:{LAMBDA_RUNTIME}"
LAMBDA_SOURCE = Path(__file__).parent / "lambda_runtime"
LAMBDA_WHEELS = CACHE / "lambda-runtime-wheels"
SOURCE_LABEL = "csv-pipeline.source-hash"
DEBOOTSTRAP = ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", "bookworm"]


class ImageError(HarnessError):
    pass


@dataclass(frozen=True)
class PreparedImages:
    base: str
    lambda_runtime: str


def exists(client: Any, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def try_pull(client: Any, name: str) -> bool:
    logger.info(f"pulling {name}")
    try:
        client.images.pull(name)
    except docker.errors.APIError as error:
        logger.info(f"cannot pull {name} ({error.explanation or error}); building locally instead")
        return False
    return True


def base_image(client: Any) -> str:
    """The public python image if present or pullable, else a locally built Debian one."""
    for name in (PUBLIC_BASE, LOCAL_BASE):
        if exists(client, name):
            logger.info(f"base image: {name} (already present)")
            return name
    if try_pull(client, PUBLIC_BASE):
        return PUBLIC_BASE
    build_local_base(client)
    return LOCAL_BASE


def build_local_base(client: Any) -> None:
    """debootstrap Debian 12 with python3 and venv, then import it (about a minute)."""
    tarball = CACHE / "python-base-bookworm.tar"
    if not tarball.exists():
        if shutil.which("debootstrap") is None:
            raise ImageError(
                "no Python base image: cannot pull python:3.12-slim and debootstrap is not "
                "installed. Install it (`sudo apt-get install -y debootstrap`) or make "
                "python:3.12-slim available to the Docker engine, then run this again."
            )
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as rootfs:
            logger.info("building the base image with debootstrap (about a minute)")
            mirror = debian_mirror()
            logger.info(f"debootstrap from {mirror} (apt's source; {MIRROR_OVERRIDE} overrides)")
            run([*DEBOOTSTRAP, rootfs, mirror], "debootstrap", ImageError)
            logger.info(f"caching the root file system in {tarball}")
            run(["tar", "-C", rootfs, "-cf", str(tarball), "."], "tar", ImageError)
    logger.info(f"importing {LOCAL_BASE}")
    repository, tag = LOCAL_BASE.split(":")
    client.api.import_image_from_file(str(tarball), repository=repository, tag=tag)


def source_hash(files: list[Path], base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(client: Any, context: Path, tag: str, base: str) -> str:
    """Build `context` as `tag` unless an image from the same sources and base exists."""
    files = [p for p in context.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    wanted = source_hash(files, base)
    try:
        if client.images.get(tag).labels.get(SOURCE_LABEL) == wanted:
            logger.info(f"{tag}: up to date")
            return tag
    except docker.errors.ImageNotFound:
        pass
    logger.info(f"building {tag} from {base}")
    try:
        client.images.build(
            path=str(context),
            tag=tag,
            buildargs={"BASE_IMAGE": base},
            labels={SOURCE_LABEL: wanted},
            rm=True,
            forcerm=True,
        )
    except docker.errors.BuildError as error:
        log = "".join(chunk.get("stream", "") for chunk in error.build_log)
        raise ImageError(
            f"building {tag} from {context} failed: {error.msg}\n{log[-3000:]}\n"
            "Nothing was deployed: the running local cloud is unchanged. Fix the error above, "
            f"then run `{local_up_command()}` again."
        ) from error
    return tag


def lambda_wheels() -> Path:
    """The runtime's wheels, downloaded by the host's pip once per set of pins."""
    requirements = (LAMBDA_SOURCE / "requirements.txt").read_text()
    marker = LAMBDA_WHEELS / ".requirements.txt"
    if marker.exists() and marker.read_text() == requirements:
        return LAMBDA_WHEELS
    logger.info(f"downloading boto3's wheels for the Lambda runtime into {LAMBDA_WHEELS} (once)")
    shutil.rmtree(LAMBDA_WHEELS, ignore_errors=True)
    LAMBDA_WHEELS.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    wheels_only = ["--no-deps", "--only-binary=:all:", "-d", str(LAMBDA_WHEELS)]
    run(
        [*pip, *wheels_only, "-r", str(LAMBDA_SOURCE / "requirements.txt")],
        "pip download",
        ImageError,
    )
    marker.write_text(requirements)
    return LAMBDA_WHEELS


def lambda_runtime(client: Any, base: str) -> str:
    with tempfile.TemporaryDirectory() as context:
        root = Path(context)
        for name in ("Dockerfile", "invoke.py", "requirements.txt"):
            shutil.copy(LAMBDA_SOURCE / name, root)
        shutil.copytree(lambda_wheels(), root / "wheels", ignore=shutil.ignore_patterns(".*"))
        return build(client, root, LAMBDA_IMAGE, base)


def prepare_all(client: Any | None = None) -> PreparedImages:
    client = client or docker.from_env()
    base = base_image(client)
    return PreparedImages(base=base, lambda_runtime=lambda_runtime(client, base))
