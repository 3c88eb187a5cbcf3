"""The receipt printer setting: stored in app_settings by a manager, audited, validated."""

import pytest
from sqlalchemy import select

from db.models import AppSetting, AuditLog
from domain.roles import PermissionDenied
from services import auth
from services.printer_settings import (
    PRINTER_SETTINGS_KEY,
    NetworkAddress,
    PrinterSettings,
    PrinterSettingsError,
    UsbAddress,
    network_address,
    printer_settings,
    save_printer_settings,
    usb_address,
)
from tests.services.conftest import NOW


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def test_until_saved_receipts_go_to_the_computers_default_printer(demo_db):
    settings = printer_settings(demo_db)
    assert settings == PrinterSettings()
    assert settings.target == "system" and settings.system_printer == ""
    assert settings.columns == 48 and settings.paper_mm == 80
    assert settings.open_drawer_on_cash and not settings.uses_escpos


def test_a_manager_saves_an_escpos_printer_and_it_is_audited(demo_db, manager):
    chosen = PrinterSettings(
        target="escpos",
        escpos_kind="network",
        escpos_address=" 192.168.1.50:9100 ",
        columns=42,
        open_drawer_on_cash=False,
    )
    saved = save_printer_settings(demo_db, manager, chosen, now=NOW)
    assert saved.escpos_address == "192.168.1.50:9100"
    assert printer_settings(demo_db) == saved and saved.uses_escpos
    with demo_db.session(write=False) as session:
        row = session.get(AppSetting, PRINTER_SETTINGS_KEY)
        assert row.value["escpos_kind"] == "network" and row.value["columns"] == 42
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "printer.settings")).one()
        assert audit.details["from"]["target"] == "system"
        assert audit.details["to"]["target"] == "escpos"


def test_the_front_desk_cannot_change_the_printer(demo_db):
    front_desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        save_printer_settings(demo_db, front_desk, PrinterSettings(system_printer="HP"), now=NOW)
    assert printer_settings(demo_db) == PrinterSettings()


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        (
            PrinterSettings(target="escpos", escpos_kind="network"),
            "escpos_address",
            "network address",
        ),
        (
            PrinterSettings(
                target="escpos", escpos_kind="network", escpos_address="10.0.0.9:99999"
            ),
            "escpos_address",
            "1 to 65535",
        ),
        (
            PrinterSettings(target="escpos", escpos_kind="usb", escpos_address="epson"),
            "escpos_address",
            "vendor and product",
        ),
        (PrinterSettings(target="escpos", escpos_kind="file"), "escpos_address", "/dev/usb/lp0"),
        (PrinterSettings(columns=40), "columns", "48"),
    ],
)
def test_unusable_settings_are_refused_with_the_field_to_fix(
    demo_db, manager, settings, field, message
):
    with pytest.raises(PrinterSettingsError, match=message) as refused:
        save_printer_settings(demo_db, manager, settings, now=NOW)
    assert refused.value.field == field
    assert printer_settings(demo_db) == PrinterSettings()


def test_addresses_are_read_by_kind():
    assert network_address("printer.local") == NetworkAddress("printer.local", 9100)
    assert network_address("10.0.0.9:9101") == NetworkAddress("10.0.0.9", 9101)
    assert usb_address("04b8:0202") == UsbAddress(0x04B8, 0x0202)
    assert usb_address("0x0416:0x5011") == UsbAddress(0x0416, 0x5011)
