"""How campaign messages leave (Settings > Channels, manager; issue #16): the SMTP server,
the SMS provider and the WhatsApp Business number, kept in app_settings under "channels";
passwords, API keys and tokens in the OS keyring (as services.sync_settings keeps the
centre's), never in the database file or a backup of it.

Each of email, SMS and WhatsApp is "off" (its messages wait), "live" (sent through the
provider) or "preview" (written to the preview folder instead: the demo's, or a clinic
trying a campaign before it has an account). Executions of the "preview" channel always
go to the folder.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting
from domain.errors import FieldError, Refused
from domain.permissions import require
from domain.send_gate import TRAI_WINDOW, SendingRules
from services.auth import CurrentUser
from services.centre_settings import refuse_centre_setting
from services.channels.base import Channel
from services.channels.email import SECURITY, EmailChannel, EmailSettings
from services.channels.preview import PreviewChannel, PreviewSettings
from services.channels.sms import PROVIDERS, GupshupChannel, JsonSmsChannel, SmsSettings
from services.channels.whatsapp import WhatsAppChannel, WhatsAppSettings
from services.uow import UnitOfWork

CHANNEL_SETTINGS_KEY = "channels"
KEYRING_SERVICE = "Frontdesk channels"
CHANNELS = ("email", "sms", "whatsapp")
MODES = ("off", "live", "preview")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HEADER = re.compile(r"^[A-Za-z0-9]{3,11}$")


class ChannelSettingsError(FieldError):
    """A channel setting that cannot be saved."""


class SecretStoreMissing(Refused):
    """The OS keyring cannot be used."""


@dataclass(frozen=True)
class ChannelSettings:
    """Every channel's settings and mode (no secrets: those are in the keyring)."""

    email: EmailSettings = field(default_factory=EmailSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    preview: PreviewSettings = field(default_factory=PreviewSettings)
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(CHANNELS, "off"))

    def mode(self, channel: str) -> str:
        return "preview" if channel == "preview" else self.modes.get(channel, "off")


def keyring_user(settings: ChannelSettings, channel: str) -> str:
    """Whose secret it is: a new server or account asks for its own."""
    if channel == "email":
        e = settings.email
        return f"email:{e.username or e.sender}@{e.host}:{e.port}"
    if channel == "sms":
        return f"sms:{settings.sms.provider}:{settings.sms.account}@{settings.sms.url}"
    return f"whatsapp:{settings.whatsapp.phone_number_id}"


def _check_email(e: EmailSettings) -> EmailSettings:
    host = e.host.strip()
    if not host:
        raise ChannelSettingsError("host", "Give the mail server's host name.")
    if not 1 <= e.port <= 65535:
        raise ChannelSettingsError("port", "A port is a number from 1 to 65535 (587 or 465).")
    if e.security not in SECURITY:
        raise ChannelSettingsError("security", f"Security is one of {', '.join(SECURITY)}.")
    if not _EMAIL.match(e.sender.strip()):
        raise ChannelSettingsError("sender", "Give the address mail is sent from.")
    if e.ca_file and not Path(e.ca_file).is_file():
        raise ChannelSettingsError("ca_file", f"There is no certificate file {e.ca_file}.")
    return replace(e, host=host, sender=e.sender.strip(), username=e.username.strip())


def _check_sms(s: SmsSettings) -> SmsSettings:
    if s.provider not in PROVIDERS:
        raise ChannelSettingsError("provider", f"The provider is one of {', '.join(PROVIDERS)}.")
    if not s.url.startswith(("https://", "http://")):
        raise ChannelSettingsError("url", "Give the provider's URL, starting with https://.")
    if s.provider == "gupshup" and not s.account.strip().isdigit():
        raise ChannelSettingsError("account", "Gupshup's user id is a number.")
    if s.header and not _HEADER.match(s.header):
        raise ChannelSettingsError(
            "header", "A DLT header (sender id) is 3 to 11 letters or digits."
        )
    if s.principal_entity_id and not s.principal_entity_id.isdigit():
        raise ChannelSettingsError("principal_entity_id", "The principal entity id is digits.")
    return replace(s, account=s.account.strip())


def _check_whatsapp(w: WhatsAppSettings) -> WhatsAppSettings:
    if not w.base_url.startswith(("https://", "http://")):
        raise ChannelSettingsError(
            "base_url", "Give the Cloud API's URL, https://graph.facebook.com."
        )
    if not w.phone_number_id.strip().isdigit():
        raise ChannelSettingsError(
            "phone_number_id", "The phone number id is digits (from Meta's WhatsApp Manager)."
        )
    return replace(w, phone_number_id=w.phone_number_id.strip())


CHECKS: dict[str, Any] = {"email": _check_email, "sms": _check_sms, "whatsapp": _check_whatsapp}


def _from_json(data: dict[str, Any] | None) -> ChannelSettings:
    data = data or {}

    def part(kind: type[Any], key: str) -> Any:
        given = data.get(key) or {}
        return kind(**{k: given[k] for k in asdict(kind()) if k in given})

    modes = dict.fromkeys(CHANNELS, "off") | {
        k: v for k, v in (data.get("modes") or {}).items() if k in CHANNELS and v in MODES
    }
    return ChannelSettings(
        part(EmailSettings, "email"),
        part(SmsSettings, "sms"),
        part(WhatsAppSettings, "whatsapp"),
        part(PreviewSettings, "preview"),
        modes,
    )


def _put(session: Session, row: AppSetting | None, key: str, value: dict[str, Any]) -> None:
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value


def channel_settings(db: Database) -> ChannelSettings:
    """The saved settings (every channel off until a manager sets one up)."""
    with db.session(write=False) as session:
        row = session.get(AppSetting, CHANNEL_SETTINGS_KEY)
        return _from_json(None if row is None else row.value)


def _store_secret(user: str, secret: str) -> None:
    # Imported here: the keyring finds its backend when first used, not at start-up.
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, user, secret)
    except KeyringError as exc:
        raise SecretStoreMissing(
            "This computer has no password store Frontdesk can use, so the channel's "
            "password cannot be kept. Set up the system's keyring, then save again."
        ) from exc


def secret(settings: ChannelSettings, channel: str) -> str | None:
    """The channel's password, API key or token from the keyring (None when there is none)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_user(settings, channel))
    except KeyringError as exc:
        raise SecretStoreMissing(
            "This computer's password store cannot be read, so messages cannot sign in to "
            "the provider. Check the system's keyring."
        ) from exc


def save_channel(
    db: Database,
    actor: CurrentUser,
    channel: str,
    settings: EmailSettings | SmsSettings | WhatsAppSettings | PreviewSettings | None,
    *,
    mode: str | None = None,
    secret_value: str | None = None,
    now: datetime,
) -> ChannelSettings:
    """Save one channel's settings and mode (manager; audited, without the secret). A
    `secret_value` goes to the keyring; None keeps the one stored."""
    require(actor.role, "campaign.manage")
    if channel not in (*CHANNELS, "preview"):
        raise ChannelSettingsError("channel", f"The channel is one of {', '.join(CHANNELS)}.")
    if mode is not None and (mode not in MODES or channel == "preview"):
        raise ChannelSettingsError("mode", f"A channel is {', '.join(MODES)}.")
    with UnitOfWork(db, actor, now) as uow:
        row = uow.session.get(AppSetting, CHANNEL_SETTINGS_KEY)
        before = _from_json(None if row is None else row.value)
        after = before
        if settings is not None:
            checked = CHECKS[channel](settings) if channel in CHECKS else settings
            changed: dict[str, Any] = {channel: checked}
            after = replace(after, **changed)
        if mode is not None:
            after = replace(after, modes={**after.modes, channel: mode})
        if mode == "live" and not _configured(after, channel):
            raise ChannelSettingsError(
                "mode", f"Fill in the {channel} settings before sending live."
            )
        value = asdict(after)
        _put(uow.session, row, CHANNEL_SETTINGS_KEY, value)
        uow.audit(
            "channel.settings",
            "channel",
            None,
            {
                "channel": channel,
                "from": asdict(before)[channel],
                "to": value[channel],
                "mode": after.mode(channel),
                "secret_changed": secret_value is not None,
            },
        )
        if secret_value is not None and channel in CHANNELS:
            # Stored before the commit: a keyring refusal then leaves the settings as they were.
            _store_secret(keyring_user(after, channel), secret_value)
        uow.commit()
    return after


def _configured(settings: ChannelSettings, channel: str) -> bool:
    part = getattr(settings, channel)
    return bool(getattr(part, "configured", True))


def preview_folder(db: Database, settings: ChannelSettings) -> Path:
    """Where the preview channel writes: the saved folder, or sent-messages/ beside the
    database."""
    return (
        Path(settings.preview.folder)
        if settings.preview.folder
        else db.path.parent / "sent-messages"
    )


def open_channel(
    db: Database, channel: str, settings: ChannelSettings | None = None
) -> Channel | None:
    """The channel that sends `channel`'s messages now, or None while it is off."""
    settings = settings or channel_settings(db)
    mode = settings.mode(channel)
    if mode == "off":
        return None
    if mode == "preview":
        return PreviewChannel(preview_folder(db, settings), name=channel)
    if channel == "email":
        # A relay that takes no login needs no password store.
        password = secret(settings, channel) if settings.email.username else None
        return EmailChannel(settings.email, password)
    password = secret(settings, channel)
    if channel == "sms":
        kind = GupshupChannel if settings.sms.provider == "gupshup" else JsonSmsChannel
        return kind(settings.sms, password)
    return WhatsAppChannel(settings.whatsapp, password)


# ------------------------------------------------------------------------------ sending rules

SENDING_RULES_KEY = "sending_rules"


def _rules_from_json(data: dict[str, Any] | None) -> SendingRules:
    if not data:
        return SendingRules()
    windows = {
        channel: (time.fromisoformat(start), time.fromisoformat(end))
        for channel, (start, end) in (data.get("windows") or {}).items()
    }
    return SendingRules(int(data["cap_messages"]), int(data["cap_days"]), windows)


def rules_json(rules: SendingRules) -> dict[str, Any]:
    """The rules as stored and as the CLI prints them (windows as "HH:MM")."""
    return {
        "cap_messages": rules.cap_messages,
        "cap_days": rules.cap_days,
        "windows": {
            channel: [start.strftime("%H:%M"), end.strftime("%H:%M")]
            for channel, (start, end) in sorted(rules.windows.items())
        },
        "sms_window": [t.strftime("%H:%M") for t in TRAI_WINDOW],
    }


def sending_rules(db: Database) -> SendingRules:
    """The branch's frequency cap and promotional windows (domain.send_gate's defaults
    until a manager changes them)."""
    with db.session(write=False) as session:
        row = session.get(AppSetting, SENDING_RULES_KEY)
        return _rules_from_json(None if row is None else row.value)


def save_sending_rules(
    db: Database, actor: CurrentUser, rules: SendingRules, *, now: datetime
) -> SendingRules:
    """Change the frequency cap and the e-mail and WhatsApp windows (manager; audited).
    SMS keeps TRAI's window whatever is given for it."""
    require(actor.role, "campaign.manage")
    if not 0 <= rules.cap_messages <= 50:
        raise ChannelSettingsError("cap_messages", "The cap is 0 to 50 messages.")
    if not 1 <= rules.cap_days <= 90:
        raise ChannelSettingsError("cap_days", "The cap counts over 1 to 90 days.")
    for channel, (start, end) in rules.windows.items():
        if channel not in ("email", "whatsapp"):
            raise ChannelSettingsError(
                "windows", "Windows are set for email and whatsapp (SMS keeps TRAI's)."
            )
        if not start < end:
            raise ChannelSettingsError(
                "windows", f"The {channel} window must open before it closes."
            )
    with UnitOfWork(db, actor, now) as uow:
        refuse_centre_setting(uow.session, SENDING_RULES_KEY, "the sending rules")
        row = uow.session.get(AppSetting, SENDING_RULES_KEY)
        before = _rules_from_json(None if row is None else row.value)
        value = rules_json(rules)
        _put(uow.session, row, SENDING_RULES_KEY, value)
        uow.audit(
            "channel.rules", "branch", actor.branch_id, {"from": rules_json(before), "to": value}
        )
        uow.commit()
    return rules
