"""Errors a service raises for the person at the keyboard: the message says what to do."""

from __future__ import annotations

from db.engine import DatabaseBusy, DiskFull, is_busy, refusal_for
from domain.errors import BadInput, FrontdeskError, Refused
from domain.roles import PermissionDenied

__all__ = [
    "BadInput",
    "DatabaseBusy",
    "DiskFull",
    "is_busy",
    "refusal_for",
    "FrontdeskError",
    "NotFound",
    "Refused",
    "PermissionDenied",
    "ServiceError",
    "SignInError",
]


class ServiceError(Refused):
    """A request that cannot be carried out; str(error) is a sentence for the user."""


class SignInError(ServiceError):
    """Unknown user or wrong PIN."""


class NotFound(ServiceError):
    """The thing asked for does not exist."""
