"""Deploy a change to the Batch job's code without synthesizing the app, to the same end state.

A full deploy spends most of its time (about 6 of 9 s here) synthesizing the app, only to
learn one new value when just the job's code changed: the image asset's hash, which is the
image tag the job definition names. This path computes that hash with the CDK's own code
(aws-cdk-lib, found by harness/deploy/node_tools.py, run by harness/bin/image-asset-hash.js),
stages the sources under it as the CDK does, rewrites the
last synthesized cloud assembly from the old hash to the new one (and the template's own
asset hash, which is the template's sha256), and deploys that assembly with `cdklocal
deploy --app`. The template is then byte for byte the one a synth would write, so the stack
gets the same image tag and the same next job definition revision; a later full deploy of
the same sources finds no changes.

`unavailable()` checks that claim before the path is used: the hash computed here for the
current sources must equal the one in the last synthesized assembly.
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.deploy import node_tools
from harness.deploy.cdk import AfterDeploy, DeployError, cdk_deploy, nothing_after
from harness.paths import PACKAGE
from harness.project import CdkApp

logger = logging.getLogger(__name__)

HASH_SCRIPT = PACKAGE / "bin" / "image-asset-hash.js"


@dataclass(frozen=True)
class Assembly:
    """The last synthesized cloud assembly of the app, as far as this path needs it."""

    directory: Path
    template: Path
    image_hash: str
    build_args: dict[str, str]
    platform: str | None

    @classmethod
    def read(cls, app: CdkApp, directory: Path) -> "Assembly":
        if app.job_image is None:
            raise DeployError("no job-image in [tool.harness]: the job's image folder is unknown")
        assets_file = directory / f"{app.stack_name}.assets.json"
        if not assets_file.exists():
            raise DeployError(f"no synthesized app in {directory} (deploy it once first)")
        images = json.loads(assets_file.read_text()).get("dockerImages", {})
        if len(images) != 1:
            raise DeployError(f"the app has {len(images)} image assets, this path handles one")
        ((image_hash, image),) = images.items()
        return cls(
            directory=directory,
            template=directory / f"{app.stack_name}.template.json",
            image_hash=image_hash,
            build_args=image["source"].get("dockerBuildArgs", {}),
            platform=image["source"].get("platform"),
        )


def image_source(app: CdkApp) -> Path:
    assert app.job_image is not None  # Assembly.read checked it
    return app.directory / app.job_image


def image_hash(app: CdkApp, assembly: Assembly) -> str:
    """The hash a synth would give the image asset of the app's sources as they are now."""
    context = json.loads((app.directory / "cdk.json").read_text()).get("context", {})
    request = {
        "directory": str(image_source(app)),
        "buildArgs": assembly.build_args,
        "platform": assembly.platform,
        "context": context,
    }
    result = subprocess.run(
        ["node", str(HASH_SCRIPT)],
        env={**os.environ, "NODE_PATH": node_tools.node_path(app)},
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DeployError(f"computing the image asset hash failed: {result.stderr.strip()}")
    return result.stdout.strip()


def unavailable(app: CdkApp, assembly_directory: Path) -> str | None:
    """Why this path cannot be trusted for the app now, or None when it can."""
    try:
        assembly = Assembly.read(app, assembly_directory)
        computed = image_hash(app, assembly)
    except DeployError as error:
        return str(error)
    if computed != assembly.image_hash:
        return (
            f"the image hash computed without a synth ({computed[:12]}) differs from the "
            f"last synth's ({assembly.image_hash[:12]}): the sources changed since, or the "
            "app's image asset is built in a way this path does not know"
        )
    return None


def redeploy(
    endpoint: str,
    app: CdkApp,
    assembly_directory: Path,
    log: Path | None = None,
    after_deploy: AfterDeploy = nothing_after,
) -> bool:
    """Deploy the job's new image; False when its sources hash as before (no change).
    `assembly_directory`: where the cloud's last deploy synthesized the app; `after_deploy`:
    as for `cdk.deploy`."""
    assembly = Assembly.read(app, assembly_directory)
    new_hash = image_hash(app, assembly)
    if new_hash == assembly.image_hash:
        logger.info("the job image's sources are unchanged: nothing to deploy")
        return False
    staged = assembly.directory / f"asset.{new_hash}"
    if not staged.exists():
        # The CDK leaves out what .dockerignore names; the copy keeps it, and the image build
        # leaves it out, as it does for the CDK's own staging.
        shutil.copytree(image_source(app), staged)
    rewrite(assembly, app, new_hash)
    logger.info(f"deploying image {new_hash[:12]} with cdklocal, without a synth")
    cdk_deploy(
        ["--app", str(assembly.directory)], endpoint, log, app, assembly.directory, updating=True
    )
    after_deploy(app.stack_name)
    return True


def rewrite(assembly: Assembly, app: CdkApp, new_hash: str) -> None:
    """Old image hash -> new in the template and manifests, then the template's own hash."""
    manifests = [
        assembly.directory / f"{app.stack_name}.assets.json",
        assembly.directory / "manifest.json",
    ]
    old_template_hash = hashlib.sha256(assembly.template.read_bytes()).hexdigest()
    for path in [assembly.template, *manifests]:
        path.write_text(path.read_text().replace(assembly.image_hash, new_hash))
    new_template_hash = hashlib.sha256(assembly.template.read_bytes()).hexdigest()
    for path in manifests:
        path.write_text(path.read_text().replace(old_template_hash, new_template_hash))
