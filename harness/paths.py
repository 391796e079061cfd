"""Where the harness finds the repository it belongs to, and keeps its own state."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache"  # git-ignored: images, the running cloud's state, downloaded wheels
