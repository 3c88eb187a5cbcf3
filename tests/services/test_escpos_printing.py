"""Receipts on an ESC/POS printer: what reaches the printer, the drawer, and failures."""

import logging
import socket
import threading

import pytest
from escpos.printer import Dummy

from services.escpos_printing import (
    PrinterUnavailable,
    has_cash_payment,
    print_receipt_escpos,
    print_test_page_escpos,
    send_receipt,
)
from services.invoice_document import DocumentPayment
from services.printer_settings import PrinterSettings
from tests.services.test_invoice_pdf import seed_000_invoice

CUT = b"\x1dV"  # GS V: cut the paper
DRAWER_KICK = b"\x1bp\x00"  # ESC p 0: pulse the drawer on pin 2

CASH = DocumentPayment("cash", "Cash", 500_000)
UPI = DocumentPayment("upi", "UPI", 450_000, reference="UTR4411")


def printed(document, *, open_drawer_on_cash=True, columns=48):
    device = Dummy()
    opened = send_receipt(
        device, document, columns=columns, open_drawer_on_cash=open_drawer_on_cash
    )
    return device.output, opened


def test_the_receipt_text_and_the_cut_reach_the_printer():
    output, _ = printed(seed_000_invoice(payments=(UPI,)))
    text = output.decode("ascii", errors="replace")
    assert "Invoice: SVC-2026-2027-00123" in text
    assert "TOTAL                                Rs.4,500.00" in text
    assert "Paid: UPI ref UTR4411                   4,500.00" in text
    assert "*** PAID ***" in text
    assert CUT in output
    assert output.rindex(CUT) > output.index(b"*** PAID ***")


def test_a_cash_payment_kicks_the_drawer_once_after_the_cut():
    output, opened = printed(seed_000_invoice(payments=(CASH,), change_given=50_000))
    assert opened
    assert output.count(DRAWER_KICK) == 1
    assert output.index(DRAWER_KICK) > output.rindex(CUT)
    assert b"Change                                    500.00" in output


@pytest.mark.parametrize("payments", [(), (UPI,)], ids=["unpaid", "upi"])
def test_no_cash_no_drawer(payments):
    output, opened = printed(seed_000_invoice(payments=payments))
    assert not opened
    assert DRAWER_KICK not in output


def test_the_drawer_stays_shut_when_the_caller_does_not_ask():
    output, opened = printed(seed_000_invoice(payments=(CASH,)), open_drawer_on_cash=False)
    assert not opened and DRAWER_KICK not in output


def test_has_cash_payment_looks_at_the_method():
    assert has_cash_payment(seed_000_invoice(payments=(UPI, CASH)))
    assert not has_cash_payment(seed_000_invoice(payments=(UPI,)))


def test_a_device_file_printer_gets_the_receipt(tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    settings = PrinterSettings(target="escpos", escpos_kind="file", escpos_address=str(device))
    message = print_receipt_escpos(settings, seed_000_invoice(payments=(CASH,)))
    assert message == (
        f"Printed SVC-2026-2027-00123 on the printer at {device} and opened the cash drawer."
    )
    output = device.read_bytes()
    assert b"Invoice: SVC-2026-2027-00123" in output and DRAWER_KICK in output and CUT in output


def test_a_reprint_need_not_open_the_drawer(tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    settings = PrinterSettings(target="escpos", escpos_kind="file", escpos_address=str(device))
    message = print_receipt_escpos(settings, seed_000_invoice(payments=(CASH,)), open_drawer=False)
    assert message == f"Printed SVC-2026-2027-00123 on the printer at {device}."
    assert DRAWER_KICK not in device.read_bytes()


def test_a_network_printer_receives_the_receipt_on_its_port():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def accept():
        connection, _ = server.accept()
        with connection:
            while chunk := connection.recv(4096):
                received.extend(chunk)

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        settings = PrinterSettings(
            target="escpos", escpos_kind="network", escpos_address=f"127.0.0.1:{port}"
        )
        message = print_receipt_escpos(settings, seed_000_invoice())
    finally:
        thread.join(timeout=5)
        server.close()
    assert message == f"Printed SVC-2026-2027-00123 on the network printer at 127.0.0.1:{port}."
    assert b"*** UNPAID ***" in received and CUT in received


def test_a_printer_that_does_not_answer_is_a_sentence_not_a_traceback():
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings = PrinterSettings(
        target="escpos", escpos_kind="network", escpos_address=f"127.0.0.1:{port}"
    )
    with pytest.raises(PrinterUnavailable) as refused:
        print_receipt_escpos(settings, seed_000_invoice())
    assert str(refused.value) == (
        f"The receipt printer does not answer at 127.0.0.1:{port}: check it is switched on "
        "and on the same network, then print again."
    )


def test_a_missing_device_file_is_a_sentence(tmp_path):
    missing = tmp_path / "no-such-dir" / "lp0"
    settings = PrinterSettings(target="escpos", escpos_kind="file", escpos_address=str(missing))
    with pytest.raises(PrinterUnavailable, match="cannot be opened at .*switched on"):
        print_receipt_escpos(settings, seed_000_invoice())


def test_no_printer_set_up_is_a_sentence():
    with pytest.raises(PrinterUnavailable, match="No receipt printer is set up"):
        print_receipt_escpos(PrinterSettings(target="escpos"), seed_000_invoice())


def test_the_test_page_shows_the_width_and_cuts(tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    settings = PrinterSettings(
        target="escpos", escpos_kind="file", escpos_address=str(device), columns=42
    )
    assert print_test_page_escpos(settings) == f"Printed a test page on the printer at {device}."
    output = device.read_bytes()
    assert b"42 characters a line:\n" + (b"1234567890" * 5)[:42] + b"\n" in output
    assert CUT in output and DRAWER_KICK not in output


def test_python_escpos_leaves_no_stderr_handler_on_the_root_logger():
    """It calls logging.basicConfig() on import; our log lines must not reach stderr."""
    assert not [
        handler
        for handler in logging.getLogger().handlers
        if getattr(handler.formatter, "_fmt", None) == logging.BASIC_FORMAT
    ]
