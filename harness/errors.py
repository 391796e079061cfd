"""The harness's errors: one base class, so callers catch HarnessError; only the CLI exits."""


class HarnessError(RuntimeError):
    """Something the user can act on; the message says what happened and what to do."""


class BadInput(HarnessError):
    """The request itself is wrong (a rule, a name, a value); the CLI exits 2, as for a bad flag."""
