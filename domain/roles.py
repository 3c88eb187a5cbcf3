"""Staff roles and what each may do."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Refused


class Role(StrEnum):
    """A user's role; each one can do everything the roles before it can."""

    FRONT_DESK = "front_desk"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"front_desk": "Front desk", "manager": "Manager", "admin": "Admin"}[self.value]


_RANK = {Role.FRONT_DESK: 0, Role.MANAGER: 1, Role.ADMIN: 2}


class PermissionDenied(Refused):
    """The signed-in user's role does not allow the action."""


def has_role(actual: Role, needed: Role) -> bool:
    """True when a user with role `actual` may do what needs `needed`."""
    return _RANK[actual] >= _RANK[needed]


def require_role(actual: Role, needed: Role, action: str) -> None:
    """Refuse `action` with a sentence the person can act on unless `actual` is enough."""
    if not has_role(actual, needed):
        who = needed.label.lower()
        article = "an" if who[0] in "aeiou" else "a"
        raise PermissionDenied(f"{action} needs {article} {who}; ask {article} {who} to sign in.")
