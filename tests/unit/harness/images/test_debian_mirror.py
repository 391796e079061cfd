"""The base image's Debian mirror comes from the machine's apt configuration."""

from pathlib import Path

import pytest

from harness.images.debian_mirror import OVERRIDE, PUBLIC_MIRROR, debian_mirror

DEB822 = """Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


@pytest.fixture(autouse=True)
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OVERRIDE, raising=False)


def apt_dir(root: Path, files: dict[str, str]) -> Path:
    (root / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_a_deb822_source_for_the_suite_is_used(tmp_path):
    apt = apt_dir(tmp_path, {"sources.list.d/debian.sources": DEB822})

    assert debian_mirror("bookworm", apt) == "http://mirror.example/debian"


def test_a_one_line_source_is_used_and_options_and_other_suites_are_skipped(tmp_path):
    apt = apt_dir(
        tmp_path,
        {
            "sources.list": "deb http://sec.example/debian-security bookworm-security main\n"
            "# deb http://commented.example/debian bookworm main\n"
            "deb-src http://src.example/debian bookworm main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://proxy.example/debian bookworm main\n"
        },
    )

    assert debian_mirror("bookworm", apt) == "http://proxy.example/debian"


def test_the_override_wins_and_nothing_configured_falls_back_to_debian(tmp_path, monkeypatch):
    empty = apt_dir(tmp_path, {})
    assert debian_mirror("bookworm", empty) == PUBLIC_MIRROR

    monkeypatch.setenv(OVERRIDE, "http://override.example/debian")
    assert debian_mirror("bookworm", empty) == "http://override.example/debian"
