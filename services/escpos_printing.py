"""Receipts on an ESC/POS thermal printer (python-escpos), and the cash drawer behind it.

The receipt is services.receipt_text's lines in the printer's font A, the heading and the
total in bold, then a feed and a cut. The drawer hangs off the printer's kick port: it is
opened (pin 2, the usual one) after the cut when the caller asks and the invoice was paid,
at least in part, in cash. A printer that is off, unplugged or not reachable is a
PrinterUnavailable with a sentence saying what to check, never a traceback.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import TypeVar

from escpos import escpos, exceptions, printer  # type: ignore[import-untyped]

from domain.log import pdf as log  # the printed documents' concern
from domain.payments import Method
from services.errors import ServiceError
from services.invoice_document import InvoiceDocument
from services.printer_settings import (
    PrinterSettings,
    network_address,
    usb_address,
)
from services.receipt_text import ReceiptLine, check_page_lines, receipt_lines

# python-escpos calls logging.basicConfig() when it is imported (escpos/capabilities.py),
# which would copy every log line of ours to stderr: take that handler away again.
for _handler in list(logging.getLogger().handlers):
    if (
        isinstance(_handler, logging.StreamHandler)
        and getattr(_handler.formatter, "_fmt", None) == logging.BASIC_FORMAT
    ):
        logging.getLogger().removeHandler(_handler)

# Seconds to wait for a network printer to answer before saying it does not.
NETWORK_TIMEOUT = 5
DRAWER_PIN = 2

T = TypeVar("T")


class PrinterUnavailable(ServiceError):
    """The receipt printer cannot be reached or refused what was sent; the message says
    what to check."""


def has_cash_payment(document: InvoiceDocument) -> bool:
    """Whether any cash was taken on this invoice (the drawer has something to hold)."""
    return any(p.method == Method.CASH.value and p.amount > 0 for p in document.payments)


def write_receipt(
    device: escpos.Escpos, lines: tuple[ReceiptLine, ...], *, open_drawer: bool
) -> None:
    """Send receipt lines to an open printer: text, feed, cut, then the drawer if asked."""
    device.set(align="left", font="a", bold=False)
    for line in lines:
        if line.bold:
            device.set(bold=True)
            device.textln(line.text)
            device.set(bold=False)
        else:
            device.textln(line.text)
    device.cut()
    if open_drawer:
        device.cashdraw(DRAWER_PIN)


def send_receipt(
    device: escpos.Escpos,
    document: InvoiceDocument,
    *,
    columns: int,
    open_drawer_on_cash: bool,
) -> bool:
    """Print `document`'s receipt on an open printer; True when the drawer was opened
    (asked for, and the invoice has a cash payment)."""
    drawer = open_drawer_on_cash and has_cash_payment(document)
    write_receipt(device, receipt_lines(document, width=columns), open_drawer=drawer)
    return drawer


def open_printer(settings: PrinterSettings) -> escpos.Escpos:
    """Connect to the ESC/POS printer the settings name; PrinterUnavailable if it is not
    there."""
    kind, address = settings.escpos_kind, settings.escpos_address
    where = describe(settings)
    try:
        if kind == "network":
            net = network_address(address)
            device: escpos.Escpos = printer.Network(net.host, net.port, timeout=NETWORK_TIMEOUT)
            # Connected here rather than by Network.open, which leaves the socket of a
            # refused connection open.
            device.device = socket.create_connection((net.host, net.port), timeout=NETWORK_TIMEOUT)
            return device
        elif kind == "usb":
            ids = usb_address(address)
            device = printer.Usb(ids.vendor_id, ids.product_id)
        elif kind == "serial":
            device = printer.Serial(address)
        elif kind == "file":
            device = printer.File(address)
        else:
            raise PrinterUnavailable(
                "No receipt printer is set up: choose one in Settings, Printer."
            )
        device.open()
    except exceptions.DeviceNotFoundError as exc:
        log.info("receipt printer %s not found: %s", where, exc)
        raise PrinterUnavailable(_not_found(kind, where)) from exc
    except RuntimeError as exc:
        # python-escpos says so when pyusb or pyserial is missing.
        log.info("receipt printer %s cannot be used: %s", where, exc)
        raise PrinterUnavailable(
            f"This computer cannot talk to the {kind} printer {where}: {exc}"
        ) from exc
    except OSError as exc:
        log.info("receipt printer %s: %s", where, exc)
        raise PrinterUnavailable(_not_found(kind, where)) from exc
    return device


def print_receipt_escpos(
    settings: PrinterSettings, document: InvoiceDocument, *, open_drawer: bool | None = None
) -> str:
    """Print the receipt on the ESC/POS printer of `settings`; a sentence of what happened.
    `open_drawer` None follows the setting "open the cash drawer on cash"."""
    wanted = settings.open_drawer_on_cash if open_drawer is None else open_drawer
    drawer = _print_on(
        settings,
        lambda device: send_receipt(
            device, document, columns=settings.columns, open_drawer_on_cash=wanted
        ),
    )
    opened = " and opened the cash drawer" if drawer else ""
    return f"Printed {document.invoice_number} on {describe(settings)}{opened}."


def print_test_page_escpos(settings: PrinterSettings) -> str:
    """A few lines that show the printer, its width and its cutter work (no drawer)."""
    lines = check_page_lines(settings.columns, describe(settings))
    _print_on(settings, lambda device: write_receipt(device, lines, open_drawer=False))
    return f"Printed a test page on {describe(settings)}."


def describe(settings: PrinterSettings) -> str:
    """The printer in words: 'the network printer at 192.168.1.50:9100'."""
    kind, address = settings.escpos_kind, settings.escpos_address.strip()
    if kind == "network":
        return f"the network printer at {address}"
    if kind == "usb":
        return f"the USB printer {address}"
    if kind in ("serial", "file"):
        return f"the printer at {address}"
    return "no printer"


def _print_on(settings: PrinterSettings, write: Callable[[escpos.Escpos], T]) -> T:
    """Open the printer, write, close; a failure on the way is PrinterUnavailable."""
    # python-escpos logs through logging.info() and the like, which give the root logger a
    # stderr handler on first use when it has none: a handler for the while prevents that
    # (the app logs to its own file, the command line's stderr carries sentences only).
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        device = open_printer(settings)
        try:
            return write(device)
        except (OSError, exceptions.Error) as exc:
            log.info("receipt printer %s failed while printing: %s", describe(settings), exc)
            raise PrinterUnavailable(
                f"The receipt did not finish printing on {describe(settings)}: check it is on, "
                "has paper and its cover is closed, then print again."
            ) from exc
        finally:
            _close(device)
    finally:
        root.removeHandler(guard)


def _close(device: escpos.Escpos) -> None:
    try:
        device.close()
    except (OSError, exceptions.Error) as exc:  # already gone: nothing left to release
        log.debug("closing the receipt printer: %s", exc)


def _not_found(kind: str, where: str) -> str:
    if kind == "network":
        return (
            f"The receipt printer does not answer at {where.removeprefix('the network printer at ')}: "
            "check it is switched on and on the same network, then print again."
        )
    if kind == "usb":
        return (
            f"The receipt printer ({where}) is not connected: check its USB cable and that it "
            "is switched on, then print again."
        )
    return f"The receipt printer cannot be opened at {where.removeprefix('the printer at ')}: check it is plugged in and switched on, then print again."
