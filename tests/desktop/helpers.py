"""What the desktop tests share besides fixtures: the fixed clock, accounts, screenshots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import QApplication, QWidget

from domain.roles import Role
from services.auth import CurrentUser

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"

# The demo clinic's staff (services/demo.py): username, PIN.
FRONT_DESK = ("priya", "1111")
MANAGER = ("meera", "2222")
ADMIN = ("admin", "9999")


def fixed_clock() -> datetime:
    return NOW


def user_like(user: CurrentUser, role: Role) -> CurrentUser:
    """The same person with another role."""
    return CurrentUser(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=role,
        branch_id=user.branch_id,
        max_manual_discount_percent=Decimal(0),
    )


def save_screenshot(widget: QWidget, name: str) -> Path:
    """Grab `widget` into tests/screenshots/<name>.png (for a person to look at)."""
    QApplication.processEvents()  # let pending layout requests settle before the grab
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not write {path}"
    return path


class NoPrinters:
    """QPrinterInfo on a computer with no printer, whatever the test machine has: every
    desktop test prints to PDF files (tests/desktop/conftest.py puts it in place)."""

    @staticmethod
    def availablePrinterNames() -> list[str]:  # noqa: N802 (Qt's name)
        return []

    @staticmethod
    def defaultPrinterName() -> str:  # noqa: N802
        return ""

    @staticmethod
    def defaultPrinter() -> QPrinterInfo:  # noqa: N802
        return QPrinterInfo()

    @staticmethod
    def printerInfo(name: str) -> QPrinterInfo:  # noqa: N802
        return QPrinterInfo()
