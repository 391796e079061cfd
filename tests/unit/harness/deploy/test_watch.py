"""Watch mode's change detection and the path it picks, on a temporary tree (no Docker)."""

import logging
import os
from pathlib import Path

from harness.deploy.watch import Watcher, changed_files, code_only, snapshot
from harness.errors import HarnessError
from harness.project import CdkApp

WATCH = ("infra", "lambda", "batch", "cdk.json")


def this_app(root: Path) -> CdkApp:
    """Watched as this repository's [tool.harness] says."""
    return CdkApp(root, "unit-stack", watch=WATCH, job_image="batch", job_code="batch/processor")


def write(root: Path, relative: str, text: str = "x", mtime_ns: int | None = None) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_snapshot_sees_the_app_sources_and_cdk_json_not_caches_wheels_or_editor_files(tmp_path):
    for relative in (
        "infra/app.py",
        "lambda/trigger/handler.py",
        "batch/processor/cli.py",
        "batch/Dockerfile",
        "batch/wheels/boto3.whl",
        "infra/__pycache__/a.pyc",
        "README.md",
        "tests/unit/test_x.py",
        "cdk.json",
        "batch/processor/.cli.py.swp",
        "batch/processor/cli.py~",
        "batch/processor/4913",
        "infra/.#app.py",
        "infra/#app.py#",
    ):
        write(tmp_path, relative)

    assert sorted(snapshot(this_app(tmp_path))) == [
        "batch/Dockerfile",
        "batch/processor/cli.py",
        "cdk.json",
        "infra/app.py",
        "lambda/trigger/handler.py",
    ]


def test_changed_files_are_the_edited_added_and_removed_ones(tmp_path):
    write(tmp_path, "infra/app.py", mtime_ns=1_000)
    write(tmp_path, "batch/processor/cli.py", mtime_ns=1_000)
    write(tmp_path, "batch/processor/rows.py", mtime_ns=1_000)
    before = snapshot(this_app(tmp_path))
    write(tmp_path, "batch/processor/cli.py", "edited", mtime_ns=2_000)
    write(tmp_path, "batch/processor/new.py")
    (tmp_path / "batch/processor/rows.py").unlink()

    assert changed_files(before, snapshot(this_app(tmp_path))) == [
        "batch/processor/cli.py",
        "batch/processor/new.py",
        "batch/processor/rows.py",
    ]


def test_by_default_the_whole_app_folder_is_watched_but_dependencies_and_build_output(tmp_path):
    for relative in (
        "app.js",
        "job/Dockerfile",
        "cdk.json",
        "node_modules/aws-cdk-lib/index.js",
        ".git/HEAD",
        ".venv/bin/python",
        ".cache/npm/x",
        ".harness/state/4566/engine.state",
        "cdk.out/manifest.json",
        "job/.app.js.swp",
    ):
        write(tmp_path, relative)

    assert sorted(snapshot(CdkApp(tmp_path, "unit-stack"))) == [
        "app.js",
        "cdk.json",
        "job/Dockerfile",
    ]


def test_only_the_job_code_takes_the_fast_path(tmp_path):
    app = this_app(tmp_path)
    assert code_only(app, ["batch/processor/cli.py", "batch/processor/rows.py"])
    assert not code_only(app, ["batch/processor/cli.py", "batch/Dockerfile"])
    assert not code_only(app, ["batch/requirements.txt"])
    assert not code_only(app, ["lambda/trigger/handler.py"])
    assert not code_only(app, ["batch/processor-old/x.py"])
    assert not code_only(CdkApp(tmp_path, "unit-stack"), ["batch/processor/cli.py"])
    one_file = CdkApp(tmp_path, "unit-stack", job_code="job/totals.py")
    assert code_only(one_file, ["job/totals.py"])
    assert not code_only(one_file, ["job/totals.py.bak", "job/Dockerfile"])


class FailingCloud:
    def deploy(self, app):
        raise HarnessError("`cdklocal deploy` failed: the app did not synthesize")


def test_a_failed_deploy_is_reported_and_watching_goes_on(tmp_path, caplog):
    watcher = Watcher(FailingCloud(), this_app(tmp_path))  # type: ignore[arg-type]

    with caplog.at_level(logging.INFO, logger="harness"):
        assert watcher.redeploy(["infra/app.py"], saved_at=0) is False
    said = [record.getMessage() for record in caplog.records]
    assert said[0] == "changed: infra/app.py"
    assert "deploy failed; still watching." in said[-1]
    assert "the app did not synthesize" in said[-1]
