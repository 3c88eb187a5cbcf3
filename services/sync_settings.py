"""Where this branch's centre is (Settings > Sync, admin; issue #15): host, port, database,
the branch's role and TLS mode in app_settings, the role's password in the OS keyring
(`keyring`: Windows Credential Manager, macOS Keychain, the Secret Service), never in the
database file or a backup of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import URL

from db import outbox
from db.engine import Database
from db.models import AppSetting
from domain.errors import BadInput, Refused
from domain.permissions import require
from services.auth import CurrentUser
from services.uow import UnitOfWork

SYNC_SETTINGS_KEY = "sync_central"
KEYRING_SERVICE = "Frontdesk central"
TLS_MODES = ("require", "verify-full", "prefer", "disable")


class SyncSettingsError(BadInput):
    """A setting that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PasswordStoreMissing(Refused):
    """The OS keyring cannot be used."""


@dataclass(frozen=True)
class SyncSettings:
    """The centre this branch syncs with (no password: that is in the keyring)."""

    host: str = ""
    port: int = 5432
    database: str = ""
    role: str = ""
    tls: str = "require"
    interval_minutes: int = 15

    @property
    def configured(self) -> bool:
        return bool(self.host and self.database and self.role)

    def keyring_user(self) -> str:
        return f"{self.role}@{self.host}:{self.port}/{self.database}"


def validate_sync_settings(settings: SyncSettings) -> SyncSettings:
    host, database, role = settings.host.strip(), settings.database.strip(), settings.role.strip()
    if not host:
        raise SyncSettingsError("host", "Give the centre's host name or address.")
    if not 1 <= settings.port <= 65535:
        raise SyncSettingsError("port", "A port is a number from 1 to 65535 (usually 5432).")
    if not database:
        raise SyncSettingsError("database", "Give the centre's database name.")
    if not role:
        raise SyncSettingsError("role", "Give this branch's role (from 'central add-branch').")
    if settings.tls not in TLS_MODES:
        raise SyncSettingsError("tls", f"TLS is one of {', '.join(TLS_MODES)}.")
    if not 1 <= settings.interval_minutes <= 1440:
        raise SyncSettingsError("interval_minutes", "Sync every 1 to 1440 minutes.")
    return SyncSettings(
        host, settings.port, database, role, settings.tls, settings.interval_minutes
    )


def _from_json(data: dict[str, Any] | None) -> SyncSettings:
    if not data:
        return SyncSettings()
    fields = {key: data[key] for key in asdict(SyncSettings()) if key in data}
    return SyncSettings(**fields)


def sync_settings(db: Database) -> SyncSettings:
    """The saved settings (empty ones until an admin saves some)."""
    with db.session(write=False) as session:
        row = session.get(AppSetting, SYNC_SETTINGS_KEY)
        return _from_json(None if row is None else row.value)


def save_sync_settings(
    db: Database,
    actor: CurrentUser,
    settings: SyncSettings,
    *,
    password: str | None,
    now: datetime,
) -> SyncSettings:
    """Save where the centre is (admin; audited, without the password). A `password` goes
    to the OS keyring; None keeps the one stored for these settings."""
    require(actor.role, "sync.settings")
    result = validate_sync_settings(settings)
    # Imported here: the keyring finds its backend when first used, not at start-up.
    import keyring
    from keyring.errors import KeyringError

    if password is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, result.keyring_user(), password)
        except KeyringError as exc:
            raise PasswordStoreMissing(
                "This computer has no password store Frontdesk can use, so the centre's "
                "password cannot be kept. Set up the system's keyring, then save again."
            ) from exc
    with UnitOfWork(db, actor, now) as uow:
        row = uow.session.get(AppSetting, SYNC_SETTINGS_KEY)
        before = _from_json(None if row is None else row.value)
        if row is None:
            uow.session.add(AppSetting(key=SYNC_SETTINGS_KEY, value=asdict(result)))
        else:
            row.value = asdict(result)
        uow.audit(
            "sync.settings",
            "branch",
            actor.branch_id,
            {
                "from": asdict(before),
                "to": asdict(result),
                "password_changed": password is not None,
            },
        )
        uow.commit()
    return result


def central_url(db: Database) -> str | None:
    """The centre's URL with the password from the keyring, or None when not configured."""
    import keyring
    from keyring.errors import KeyringError

    settings = sync_settings(db)
    if not settings.configured:
        return None
    try:
        password = keyring.get_password(KEYRING_SERVICE, settings.keyring_user())
    except KeyringError as exc:
        raise PasswordStoreMissing(
            "This computer's password store cannot be read, so sync cannot sign in to the "
            "centre. Check the system's keyring."
        ) from exc
    # A host that is a folder is a Unix socket's (a centre on this computer).
    socket = settings.host.startswith("/")
    url = URL.create(
        "postgresql+psycopg",
        username=settings.role,
        password=password,
        host=None if socket else settings.host,
        port=settings.port,
        database=settings.database,
        query={"sslmode": settings.tls, **({"host": settings.host} if socket else {})},
    )
    return url.render_as_string(hide_password=False)


def pending_documents(db: Database) -> int | None:
    """Documents waiting for the centre, or None when no centre is configured (the status
    bar's figure)."""
    if not sync_settings(db).configured:
        return None
    return outbox.pending_count(db)
