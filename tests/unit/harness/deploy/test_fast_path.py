"""The no-synth processor path's rewrite of a cloud assembly, on a small one (no Docker)."""

import hashlib
import json
import re
from pathlib import Path

from harness.deploy.fast_path import Assembly, rewrite
from harness.paths import REPO
from harness.project import CdkApp

OLD = "a" * 64
NEW = "b" * 64


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_assembly(directory: Path, stack: str) -> None:
    assembly = directory / "cdk.out"
    assembly.mkdir()
    image_uri = f"000000000000.dkr.ecr.us-east-1.amazonaws.com/repo:{OLD}"
    template = {"Resources": {"Definition": {"Properties": {"Image": image_uri}}}}
    (assembly / f"{stack}.template.json").write_text(json.dumps(template))
    template_hash = sha256(assembly / f"{stack}.template.json")
    assets = {
        "files": {
            template_hash: {
                "source": {"path": f"{stack}.template.json"},
                "destinations": {"d": {"objectKey": f"{template_hash}.json"}},
            }
        },
        "dockerImages": {
            OLD: {
                "source": {
                    "directory": f"asset.{OLD}",
                    "dockerBuildArgs": {"BASE_IMAGE": "base:1"},
                    "platform": "linux/amd64",
                },
                "destinations": {"d": {"imageTag": OLD}},
            }
        },
    }
    (assembly / f"{stack}.assets.json").write_text(json.dumps(assets))
    manifest = {
        "artifacts": {
            stack: {
                "properties": {"stackTemplateAssetObjectUrl": f"s3://bucket/{template_hash}.json"}
            }
        }
    }
    (assembly / "manifest.json").write_text(json.dumps(manifest))


def test_the_assembly_is_read_with_its_one_image_and_build_arguments(tmp_path):
    app = CdkApp(tmp_path, "unit-stack", job_image="batch")
    make_assembly(tmp_path, app.stack_name)

    assembly = Assembly.read(app, tmp_path / "cdk.out")

    assert (assembly.image_hash, assembly.build_args, assembly.platform) == (
        OLD,
        {"BASE_IMAGE": "base:1"},
        "linux/amd64",
    )


def test_rewrite_moves_the_image_hash_and_the_template_hash_everywhere(tmp_path):
    app = CdkApp(tmp_path, "unit-stack", job_image="batch")
    make_assembly(tmp_path, app.stack_name)
    assembly = Assembly.read(app, tmp_path / "cdk.out")

    rewrite(assembly, app, NEW)

    texts = {path.name: path.read_text() for path in assembly.directory.iterdir()}
    assert not any(OLD in text for text in texts.values())
    template_hash = sha256(assembly.template)
    assets = json.loads(texts[f"{app.stack_name}.assets.json"])
    assert list(assets["files"]) == [template_hash]
    assert list(assets["dockerImages"]) == [NEW]
    assert f"{template_hash}.json" in texts["manifest.json"]
    assert f"repo:{NEW}" in texts[f"{app.stack_name}.template.json"]


def test_the_node_cdk_library_is_the_version_the_python_app_uses():
    """The hash is only the CDK's if both sides run the same aws-cdk-lib and constructs."""
    npm = json.loads((REPO / "package.json").read_text())["devDependencies"]
    pip = dict(re.findall(r"^([a-z-]+)==(\S+)$", (REPO / "constraints.txt").read_text(), re.M))

    assert (npm["aws-cdk-lib"], npm["constructs"]) == (pip["aws-cdk-lib"], pip["constructs"])
