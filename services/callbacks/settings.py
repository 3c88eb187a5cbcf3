"""The branch's callback settings and opening hours, kept in app_settings (a manager
changes them; requests already queued keep their due times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting, Branch, User
from domain.callbacks import (
    CallbackSettings,
    CallbackSettingsError,
    validate_settings,
)
from domain.opening_hours import (
    DEFAULT_OPENING_HOURS,
    OpeningHours,
    OpeningHoursError,
    hours_from_json,
    hours_to_json,
    validate_opening_hours,
)
from domain.permissions import require
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.callbacks.records import CallbackConfig, CallbackInputError, Context
from services.uow import UnitOfWork

CALLBACK_SETTINGS_KEY = "callback_settings"
OPENING_HOURS_KEY = "opening_hours"


# ---------------------------------------------------------------------------- settings


def settings_from_json(data: dict[str, Any] | None) -> CallbackSettings:
    if not data:
        return CallbackSettings()
    defaults = CallbackSettings()
    sla = {
        category: int(data.get("sla_minutes", {}).get(category.value, minutes))
        for category, minutes in defaults.sla_minutes.items()
    }
    return CallbackSettings(
        sla_minutes=sla,
        max_attempts=int(data.get("max_attempts", defaults.max_attempts)),
        retry_minutes=int(data.get("retry_minutes", defaults.retry_minutes)),
    )


def settings_to_json(settings: CallbackSettings) -> dict[str, Any]:
    return {
        "sla_minutes": {c.value: m for c, m in settings.sla_minutes.items()},
        "max_attempts": settings.max_attempts,
        "retry_minutes": settings.retry_minutes,
    }


def read_config(session: Session) -> CallbackConfig:
    branch = session.get_one(Branch, this_branch_id(session))
    settings_row = session.get(AppSetting, CALLBACK_SETTINGS_KEY)
    hours_row = session.get(AppSetting, OPENING_HOURS_KEY)
    hours = hours_from_json(hours_row.value) if hours_row else DEFAULT_OPENING_HOURS
    return CallbackConfig(
        settings_from_json(settings_row.value if settings_row else None), hours, branch.timezone
    )


def read_context(session: Session) -> Context:
    config = read_config(session)
    names = dict(session.execute(select(User.id, User.full_name)).all())
    return Context(config, config.clock(), this_branch_id(session), names)


def get_config(db: Database) -> CallbackConfig:
    """The SLAs, attempts, retry delay, opening hours and time zone in force."""
    with db.session(write=False) as session:
        return read_config(session)


def update_config(
    db: Database,
    actor: CurrentUser,
    settings: CallbackSettings,
    hours: OpeningHours,
    *,
    now: datetime,
) -> CallbackConfig:
    """Save the SLAs, attempts, retry delay and opening hours (manager); audited.

    Requests already in the queue keep their due times; new ones use the new settings."""
    require(actor.role, "callback.settings")
    try:
        clean = validate_settings(settings)
        clean_hours = validate_opening_hours(hours)
    except (CallbackSettingsError, OpeningHoursError) as exc:
        # The field names the input to fix: "sla_high", "max_attempts", "hours_sat", ...
        raise CallbackInputError(exc.field or "settings", f"{exc}.") from exc
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        before = read_config(session)
        for key, value in (
            (CALLBACK_SETTINGS_KEY, settings_to_json(clean)),
            (OPENING_HOURS_KEY, hours_to_json(clean_hours)),
        ):
            row = session.get(AppSetting, key)
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value
        uow.audit(
            "callback.settings",
            "branch",
            actor.branch_id,
            {
                "from": {
                    **settings_to_json(before.settings),
                    "hours": hours_to_json(before.hours),
                },
                "to": {**settings_to_json(clean), "hours": hours_to_json(clean_hours)},
            },
        )
        uow.commit()
        return CallbackConfig(clean, clean_hours, before.timezone)
