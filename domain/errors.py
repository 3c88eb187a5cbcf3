"""The one family of errors a person can act on.

Every error raised for the person at the keyboard derives from `FrontdeskError`, and
`str(error)` is a sentence that says what to do. The CLI and the desktop map this family
once: a `BadInput` is a value that cannot be read or does not meet its rule (exit status 2
on the command line, a message beside the field in a form); any other `FrontdeskError` is
a request refused (exit status 1, a message box). Anything else is a bug and is logged.
"""

from __future__ import annotations


class FrontdeskError(Exception):
    """A request that cannot be carried out; str(error) is a sentence for the user."""


class BadInput(FrontdeskError, ValueError):
    """A value that cannot be read, or breaks the rule it must meet."""


class Refused(FrontdeskError):
    """A well-formed request that the rules, the role or the state of things refuse."""


class FieldError(BadInput):
    """A value that breaks its rule; `field` names the input to fix (a form shows the
    sentence beside it, the CLI names the option that sets it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
