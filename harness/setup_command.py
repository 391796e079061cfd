"""Running a setup command (debootstrap, pip, npm, javac, ...) whose failure is an error that
names the step and shows the end of what the command printed."""

import subprocess

from harness.errors import HarnessError


def run(
    command: list[str], what: str, error: type[HarnessError] = HarnessError, cwd: str | None = None
) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()[-2000:]
        raise error(f"{what} failed ({result.returncode}):\n{output}")
