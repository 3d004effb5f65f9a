"""The one exception hierarchy of watchkeeper.

Every error raised for bad user input is a :class:`WatchkeeperError` and says which
file, record, column or key is wrong and what value it had. The CLI turns these into
a one-line message and exit code 2.
"""

from __future__ import annotations


class WatchkeeperError(Exception):
    """Base class of every error watchkeeper raises on purpose."""


class InputError(WatchkeeperError):
    """Input data cannot be read or does not fit what was expected."""


class ConfigError(WatchkeeperError):
    """A configuration file or option is invalid.

    >>> str(ConfigError("drift.alpha", 2, "must be between 0 and 1"))
    'drift.alpha: must be between 0 and 1 (got 2)'
    """

    def __init__(self, key: str, value: object, problem: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        super().__init__(f"{key}: {problem} (got {value!r})")


class ProfileError(WatchkeeperError):
    """A saved profile cannot be read, or two profiles cannot be combined."""
