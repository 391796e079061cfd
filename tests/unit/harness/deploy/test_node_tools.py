"""Where the harness finds cdklocal and aws-cdk-lib, and what it says without npm."""

import pytest

from harness.deploy import node_tools
from harness.project import CdkApp


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_apps_own_cdklocal_comes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(node_tools, "CACHE", tmp_path / "cache")
    own = executable(tmp_path / "app/node_modules/.bin/cdklocal")
    executable(tmp_path / "cache/node_modules/.bin/cdklocal")

    assert node_tools.cdklocal(CdkApp(tmp_path / "app", "s")) == own


def test_without_one_the_cache_then_path_are_used(tmp_path, monkeypatch):
    monkeypatch.setattr(node_tools, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    on_path = executable(tmp_path / "bin/cdklocal")
    app = CdkApp(tmp_path / "app", "s")

    assert node_tools.cdklocal(app) == on_path
    cached = executable(tmp_path / "cache/node_modules/.bin/cdklocal")
    assert node_tools.cdklocal(app) == cached


def test_without_npm_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(node_tools, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(node_tools.NodeToolsError, match=r"needs Node.js and npm: install them"):
        node_tools.cdklocal(CdkApp(tmp_path / "app", "s"))


def test_node_path_lists_the_folders_that_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(node_tools, "CACHE", tmp_path / "cache")
    monkeypatch.delenv("NODE_PATH", raising=False)
    (tmp_path / "app/node_modules").mkdir(parents=True)

    assert node_tools.node_path(CdkApp(tmp_path / "app", "s")) == str(tmp_path / "app/node_modules")
