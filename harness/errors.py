"""The two kinds of failure the CLI tells apart: bad input (exit 2) and a harness fault (exit 1)."""


class UsageError(Exception):
    """Bad input or a missing prerequisite the user can fix: exit status 2, no traceback."""


class HarnessError(Exception):
    """The harness itself could not do its work: exit status 1."""
