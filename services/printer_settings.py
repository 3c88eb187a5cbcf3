"""Where the counter prints its receipts (issue #11), kept in app_settings under "printer":
a printer of the computer's own (through Qt's print system, by name, or the default one),
or an ESC/POS thermal printer on the network, on USB, on a serial port or at a device
file; how many characters its line holds; whether a cash sale opens the drawer. A manager
changes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting
from domain.errors import BadInput
from domain.permissions import require
from services.auth import CurrentUser
from services.receipt_text import DEFAULT_WIDTH, RECEIPT_WIDTHS
from services.uow import UnitOfWork

PRINTER_SETTINGS_KEY = "printer"

Target = Literal["system", "escpos"]
EscposKind = Literal["network", "usb", "serial", "file", "none"]
TARGETS: tuple[Target, ...] = ("system", "escpos")
ESCPOS_KINDS: tuple[EscposKind, ...] = ("network", "usb", "serial", "file", "none")
DEFAULT_PORT = 9100

# What the address of each kind of ESC/POS connection looks like, for messages and hints.
ADDRESS_EXAMPLES: dict[str, str] = {
    "network": "192.168.1.50 or 192.168.1.50:9100",
    "usb": "04b8:0202 (vendor:product id, hex)",
    "serial": "/dev/ttyUSB0 or COM3",
    "file": "/dev/usb/lp0",
    "none": "",
}

_HOST = re.compile(r"^[A-Za-z0-9.\-]+$")
_USB = re.compile(r"^(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})$")


class PrinterSettingsError(BadInput):
    """A printer setting that cannot be used; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NetworkAddress:
    host: str
    port: int = DEFAULT_PORT


@dataclass(frozen=True)
class UsbAddress:
    vendor_id: int
    product_id: int


@dataclass(frozen=True)
class PrinterSettings:
    """Where receipts print. `system_printer` is a printer's name ("" for the computer's
    default); `escpos_address` is read by `escpos_kind` (see ADDRESS_EXAMPLES); `columns`
    is the characters on a receipt line (48 on 80 mm paper, 42 on some, 32 on 58 mm)."""

    target: Target = "system"
    system_printer: str = ""
    escpos_kind: EscposKind = "none"
    escpos_address: str = ""
    columns: int = DEFAULT_WIDTH
    open_drawer_on_cash: bool = True

    @property
    def paper_mm(self) -> int:
        """The roll the columns fit: 58 mm for 32 characters, else 80 mm."""
        return 58 if self.columns <= 32 else 80

    @property
    def uses_escpos(self) -> bool:
        return self.target == "escpos" and self.escpos_kind != "none"


def network_address(text: str) -> NetworkAddress:
    """'192.168.1.50' or 'printer.local:9100' as a host and port."""
    host, _, port_text = text.strip().partition(":")
    if not host or not _HOST.match(host):
        raise PrinterSettingsError(
            "escpos_address",
            f"Give the printer's network address, like {ADDRESS_EXAMPLES['network']}.",
        )
    if not port_text:
        return NetworkAddress(host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise PrinterSettingsError(
            "escpos_address", f"The port must be a number from 1 to 65535 (usually {DEFAULT_PORT})."
        )
    return NetworkAddress(host, int(port_text))


def usb_address(text: str) -> UsbAddress:
    """'04b8:0202' (or with 0x) as the vendor and product ids."""
    match = _USB.match(text.strip())
    if match is None:
        raise PrinterSettingsError(
            "escpos_address",
            f"Give the printer's USB vendor and product ids, like {ADDRESS_EXAMPLES['usb']}.",
        )
    return UsbAddress(int(match.group(1), 16), int(match.group(2), 16))


def validate_printer_settings(settings: PrinterSettings) -> PrinterSettings:
    """The settings tidied, or PrinterSettingsError naming the field to fix."""
    if settings.target not in TARGETS:
        raise PrinterSettingsError("target", "Choose a printer of this computer or an ESC/POS one.")
    if settings.escpos_kind not in ESCPOS_KINDS:
        raise PrinterSettingsError(
            "escpos_kind", f"An ESC/POS printer is one of: {', '.join(ESCPOS_KINDS)}."
        )
    if settings.columns not in RECEIPT_WIDTHS:
        raise PrinterSettingsError(
            "columns",
            f"A receipt line holds {', '.join(map(str, RECEIPT_WIDTHS))} characters.",
        )
    address = settings.escpos_address.strip()
    clean = PrinterSettings(
        settings.target,
        settings.system_printer.strip(),
        settings.escpos_kind,
        address,
        settings.columns,
        settings.open_drawer_on_cash,
    )
    if settings.target != "escpos":
        return clean
    kind = settings.escpos_kind
    if kind == "network":
        network_address(address)
    elif kind == "usb":
        usb_address(address)
    elif kind in ("serial", "file") and not address:
        raise PrinterSettingsError(
            "escpos_address", f"Give the printer's device, like {ADDRESS_EXAMPLES[kind]}."
        )
    return clean


def settings_from_json(data: dict[str, Any] | None) -> PrinterSettings:
    if not data:
        return PrinterSettings()
    defaults = PrinterSettings()
    target = data.get("target", defaults.target)
    kind = data.get("escpos_kind", defaults.escpos_kind)
    columns = int(data.get("columns", defaults.columns))
    return PrinterSettings(
        target=target if target in TARGETS else defaults.target,
        system_printer=str(data.get("system_printer", "")),
        escpos_kind=kind if kind in ESCPOS_KINDS else defaults.escpos_kind,
        escpos_address=str(data.get("escpos_address", "")),
        columns=columns if columns in RECEIPT_WIDTHS else defaults.columns,
        open_drawer_on_cash=bool(data.get("open_drawer_on_cash", defaults.open_drawer_on_cash)),
    )


def settings_to_json(settings: PrinterSettings) -> dict[str, Any]:
    return {
        "target": settings.target,
        "system_printer": settings.system_printer,
        "escpos_kind": settings.escpos_kind,
        "escpos_address": settings.escpos_address,
        "columns": settings.columns,
        "open_drawer_on_cash": settings.open_drawer_on_cash,
    }


def read_printer_settings(session: Session) -> PrinterSettings:
    row = session.get(AppSetting, PRINTER_SETTINGS_KEY)
    return settings_from_json(None if row is None else row.value)


def printer_settings(db: Database) -> PrinterSettings:
    """Where receipts print (the defaults until a manager saves some)."""
    with db.session(write=False) as session:
        return read_printer_settings(session)


def save_printer_settings(
    db: Database, actor: CurrentUser, settings: PrinterSettings, *, now: datetime
) -> PrinterSettings:
    """Choose where receipts print (manager); audited."""
    require(actor.role, "printer.change")
    result = validate_printer_settings(settings)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        before = read_printer_settings(session)
        row = session.get(AppSetting, PRINTER_SETTINGS_KEY)
        if row is None:
            session.add(AppSetting(key=PRINTER_SETTINGS_KEY, value=settings_to_json(result)))
        else:
            row.value = settings_to_json(result)
        uow.audit(
            "printer.settings",
            "branch",
            actor.branch_id,
            {"from": settings_to_json(before), "to": settings_to_json(result)},
        )
        uow.commit()
    return result
