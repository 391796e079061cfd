"""The harness's errors: one base class, so callers catch HarnessError; only the CLI exits."""


class HarnessError(RuntimeError):
    """Something the user can act on; the message says what happened and what to do."""
