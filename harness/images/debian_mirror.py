"""The Debian mirror to debootstrap the base image from: this machine's own, not a fixed host.

Order: HARNESS_DEBIAN_MIRROR; else the first `deb` source for the suite in apt's
configuration (deb822 `*.sources` files and one-line `sources.list` / `*.list` files), so a
machine behind its own mirror or proxy uses it; else Debian's public redirector.
"""

import os
import re
from pathlib import Path

OVERRIDE = "HARNESS_DEBIAN_MIRROR"
PUBLIC_MIRROR = "http://deb.debian.org/debian"
APT = Path("/etc/apt")


def debian_mirror(suite: str = "bookworm", apt: Path = APT) -> str:
    override = os.environ.get(OVERRIDE)
    if override:
        return override
    for uri in configured_mirrors(suite, apt):
        return uri
    return PUBLIC_MIRROR


def configured_mirrors(suite: str, apt: Path) -> list[str]:
    """Every `deb` URI apt uses for exactly `suite` (not suite-updates or -security)."""
    parts = apt / "sources.list.d"
    one_line = [apt / "sources.list", *sorted(parts.glob("*.list"))] if parts.exists() else []
    deb822 = sorted(parts.glob("*.sources")) if parts.exists() else []
    uris = []
    for path in deb822:
        uris += _deb822_uris(path.read_text(errors="replace"), suite)
    for path in one_line:
        if path.exists():
            uris += _one_line_uris(path.read_text(errors="replace"), suite)
    return uris


def _deb822_uris(text: str, suite: str) -> list[str]:
    uris: list[str] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.split()
        enabled = fields.get("enabled", ["yes"])[0].lower() != "no"
        if enabled and "deb" in fields.get("types", []) and suite in fields.get("suites", []):
            uris += fields.get("uris", [])
    return uris


def _one_line_uris(text: str, suite: str) -> list[str]:
    uris = []
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            uris.append(words[1])
    return uris
