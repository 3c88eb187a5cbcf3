"""Printing an invoice without a window: the PDF sent to a printer of this computer with
its print command (CUPS's `lp`, or `lpr`), or the receipt to the ESC/POS printer.

The desktop prints through Qt's print system (desktop.printing); the command line has no
Qt, so it prints the ReportLab PDF (services.invoice_pdf) the way a terminal would.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from domain.errors import BadInput
from domain.log import pdf as log
from services.escpos_printing import PrinterUnavailable, print_receipt_escpos
from services.invoice_document import InvoiceDocument
from services.invoice_pdf import render_invoice_pdf
from services.printer_settings import PrinterSettings

Layout = Literal["receipt", "a4"]

# Seconds the print command has to hand the job to the spooler.
SPOOL_TIMEOUT = 30


def print_pdf_file(path: Path, printer: str = "") -> str:
    """Hand a PDF to the print spooler, on `printer` ("" for the default one); a sentence
    of what happened, or PrinterUnavailable."""
    where = f"the printer {printer}" if printer else "the default printer"
    if lp := shutil.which("lp"):
        command = [lp, *(["-d", printer] if printer else []), str(path)]
    elif lpr := shutil.which("lpr"):
        command = [lpr, *(["-P", printer] if printer else []), str(path)]
    else:
        raise PrinterUnavailable(
            "This computer has no print command (lp or lpr): write the PDF with "
            "`frontdesk invoice pdf` and print it from a viewer."
        )
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=SPOOL_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("print command %s failed: %s", command, exc)
        raise PrinterUnavailable(f"The print command did not answer for {where}.") from exc
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        log.info("print command %s refused: %s", command, said)
        reason = f" ({said[0]})" if said else ""
        raise PrinterUnavailable(f"{where[0].upper()}{where[1:]} refused the job{reason}.")
    return f"Sent to {where}."


def print_invoice(
    document: InvoiceDocument,
    settings: PrinterSettings,
    *,
    layout: Layout = "receipt",
    printer: str | None = None,
    escpos: bool = False,
    open_drawer: bool = False,
) -> str:
    """Print an invoice as the settings say: a receipt on the ESC/POS printer when that is
    the receipt printer (or `escpos`), else its PDF on `printer` or the system printer of
    the settings. A sentence of what happened."""
    if escpos and layout == "a4":
        raise BadInput("An ESC/POS printer prints receipts only: leave out --a4.")
    if escpos and not settings.uses_escpos:
        raise PrinterUnavailable(
            "No ESC/POS printer is set up: set one with `frontdesk printer set --escpos`."
        )
    if escpos or (printer is None and layout == "receipt" and settings.uses_escpos):
        return print_receipt_escpos(settings, document, open_drawer=open_drawer)
    name = settings.system_printer if printer is None else printer
    with tempfile.TemporaryDirectory(prefix="frontdesk-print-") as folder:
        path = Path(folder) / f"{document.invoice_number.replace('/', '-')}-{layout}.pdf"
        render_invoice_pdf(document, path, variant=layout)
        sent = print_pdf_file(path, name)
    return f"{document.invoice_number} ({'A4' if layout == 'a4' else 'receipt'}): {sent}"
