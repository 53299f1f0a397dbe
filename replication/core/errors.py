"""The suite's exceptions: one base class for every error a user can fix.

`vss` turns a `VSSError` into one line (with its fix, when it has one) and exit code 1; any
other exception is a bug and shows its traceback. The subclasses also derive from the builtin
a caller would expect (ValueError, FileNotFoundError), so library users can catch either.
"""
from __future__ import annotations


class VSSError(Exception):
    """An error in the user's input, settings or environment; `fix` says what to do."""

    fix: str | None = None


class InputError(VSSError, ValueError):
    """A file or value that cannot be used (unreadable, malformed, out of range)."""


class MissingInput(VSSError, FileNotFoundError):
    """A file or folder a command needs that is not there."""


class SettingsError(InputError):
    """A setting (in params.yaml or a flag) that is unknown, of the wrong type or out of range;
    the message names where it was set, the value, what is allowed, and the fix."""


class OutputError(InputError):
    """An output path that cannot be written without destroying something."""


class Unavailable(MissingInput):
    """An input that cannot be had here (a benchmark that needs registration, a checkpoint that
    cannot be downloaded, SAM2 on a machine where it cannot finish): with `--record-not-run` the
    stage writes "not run" outputs saying this reason and `fix`, and the pipeline goes on."""

    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.fix = fix
