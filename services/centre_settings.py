"""The settings the head office sets for every branch (db.central.CENTRE_SETTINGS).

A pull (services.sync_pull) records, with its cursor, the keys of the settings it received
from the centre. From then on the centre sets them: the services that change them here
call `refuse_centre_setting` first, and the screens show them read-only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting
from domain.errors import Refused

# Where a branch keeps its pull's cursor and the centre's settings it received.
PULL_KEY = "sync_pull"


class CentreSetting(Refused):
    """A change of a setting the head office sets for every branch."""


def centre_settings(session: Session) -> frozenset[str]:
    """The settings this branch has received from the centre."""
    row = session.get(AppSetting, PULL_KEY)
    return frozenset(() if row is None else row.value.get("settings", ()))


def set_by_centre(db: Database, key: str) -> bool:
    """Whether the head office sets `key` for this branch (for the screens)."""
    with db.session(write=False) as session:
        return key in centre_settings(session)


def refuse_centre_setting(session: Session, key: str, what: str) -> None:
    """Refuse a change of `key` here once the centre sets it for every branch."""
    if key in centre_settings(session):
        raise CentreSetting(
            f"Head office sets {what} for every branch: change them on the centre; this "
            "branch receives them at its next sync."
        )
