"""The two ways a script run fails: bad input (exit 2) and a run that went wrong (exit 1)."""


class UsageError(Exception):
    """Bad input, found before any work: one line on stderr, exit 2."""


class RunError(Exception):
    """A run failed or timed out: one line on stderr, exit 1."""
