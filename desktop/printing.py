"""Printing an invoice from the desktop: the receipt on the counter's printer.

Where it goes follows the printer setting (services.printer_settings): an ESC/POS thermal
printer gets the receipt through services.escpos_printing; otherwise the printer of this
computer named in the setting, or its default printer, gets it through Qt's print system.
There the receipt is services.receipt_text's lines drawn in a fixed-pitch font on a page
as wide as the roll (80 or 58 mm) and as long as the receipt; the A4 layout is the same
invoice as an HTML table on an A4 page (QtPdf, which could print the ReportLab PDF, is not
in PySide6-Essentials).

A computer with no printer at all saves the receipt as a PDF and hands it to `open_file`
(the system viewer). Every function returns a sentence of what happened, and only that:
"Printed on <printer>", "PDF saved to <path>".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QMarginsF, QPointF, QSizeF, QStandardPaths
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QWidget

from desktop.workers import OpCounter
from domain.log import pdf as log
from services.errors import ServiceError
from services.invoice_document import InvoiceDocument
from services.printer_settings import PrinterSettings
from services.receipt_text import (
    ReceiptLine,
    check_page_lines,
    money,
    paid_status_text,
    receipt_lines,
)

Layout = Literal["receipt", "a4"]

# The roll's margins (mm): thermal heads do not print the last few millimetres either side.
_SIDE_MM = 3.0
_END_MM = 4.0
_A4_MARGIN_MM = 15.0


class PrintingError(ServiceError):
    """The printer refused the job or could not be started; the message says so."""


# --- printers of this computer --------------------------------------------------------------


def system_printers() -> list[str]:
    """The names of the printers this computer knows, its default first."""
    names = list(QPrinterInfo.availablePrinterNames())
    default = QPrinterInfo.defaultPrinterName()
    return [default, *(n for n in names if n != default)] if default in names else names


def qt_printer(name: str = "") -> QPrinter | None:
    """A QPrinter on the printer called `name` ("" for the default); None when there is no
    such printer (or, for "", no default one)."""
    info = QPrinterInfo.printerInfo(name) if name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        return None
    return QPrinter(info, QPrinter.PrinterMode.HighResolution)


def pdf_printer(path: Path) -> QPrinter:
    """A QPrinter that writes a PDF file instead of printing."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


# --- drawing ---------------------------------------------------------------------------------


def render_receipt(
    printer: QPrinter, lines: tuple[ReceiptLine, ...], *, columns: int, paper_mm: int
) -> None:
    """Draw receipt lines on `printer`: a page `paper_mm` wide and as long as the lines, the
    font sized so that `columns` characters fill the printable width."""
    font = _fixed_font()
    printable_mm = paper_mm - 2 * _SIDE_MM
    # Size the font on the printer's own resolution: a character is printable/columns wide.
    dpi = printer.resolution()
    font.setPointSizeF(10)
    advance = QFontMetricsF(font, printer).horizontalAdvance("0" * columns)
    wanted = printable_mm / 25.4 * dpi
    font.setPointSizeF(10 * wanted / advance)
    metrics = QFontMetricsF(font, printer)
    line_height = metrics.lineSpacing()
    height_mm = len(lines) * line_height / dpi * 25.4 + 2 * _END_MM
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QSizeF(paper_mm, height_mm), QPageSize.Unit.Millimeter, "Receipt"),
            QPageLayout.Orientation.Portrait,
            QMarginsF(_SIDE_MM, _END_MM, _SIDE_MM, _END_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintingError(_not_started(printer))
    try:
        bold = QFont(font)
        bold.setBold(True)
        y = metrics.ascent()
        for line in lines:
            painter.setFont(bold if line.bold else font)
            painter.drawText(QPointF(0.0, y), line.text)
            y += line_height
    finally:
        painter.end()


def render_a4(printer: QPrinter, document: InvoiceDocument) -> None:
    """Draw the invoice on A4 pages: its heading, lines, totals, GST and payments."""
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(*(_A4_MARGIN_MM,) * 4),
            QPageLayout.Unit.Millimeter,
        )
    )
    text = QTextDocument()
    text.setHtml(a4_html(document))
    text.print_(printer)


def a4_html(document: InvoiceDocument) -> str:
    """The invoice as the HTML that render_a4 lays out on A4."""
    doc = document
    e = escape
    branch = doc.branch
    rows = "".join(
        f"<tr><td>{e(line.item_name)}"
        + (f"<br><small>{e(line.badge_text)}</small>" if line.badge_text else "")
        + f"</td><td>{e(line.hsn_sac)}</td><td align='right'>{line.quantity}</td>"
        f"<td align='right'>{money(line.unit_price)}</td>"
        f"<td align='right'>{money(line.discount_amount) if line.discount_amount else ''}</td>"
        f"<td align='right'>{money(line.line_total)}</td></tr>"
        for line in doc.lines
    )
    totals = [("Gross amount", money(doc.gross_amount))]
    totals += [
        (f"Promotion {s.campaign_code}", f"-{money(s.amount)}") for s in doc.promotion_savings
    ]
    if doc.manual_discount:
        totals.append(("Manual discount", f"-{money(doc.manual_discount)}"))
    if doc.round_off:
        totals.append(("Round off", money(doc.round_off)))
    if doc.igst_amount:
        totals.append(("IGST included", money(doc.igst_amount)))
    elif doc.cgst_amount or doc.sgst_amount:
        totals += [
            ("CGST included", money(doc.cgst_amount)),
            ("SGST included", money(doc.sgst_amount)),
        ]
    totals.append(("<b>Amount payable</b>", f"<b>Rs.{money(doc.total_amount)}</b>"))
    for payment in doc.payments:
        ref = f" ref {e(payment.reference)}" if payment.reference else ""
        totals.append((f"Paid: {e(payment.label)}{ref}", money(payment.amount)))
    if doc.change_given:
        totals.append(("Change", money(doc.change_given)))
    if doc.amount_due and doc.status != "cancelled":
        totals.append(("<b>Due</b>", f"<b>{money(doc.amount_due)}</b>"))
    total_rows = "".join(
        f"<tr><td align='right'>{label}</td><td align='right'>{value}</td></tr>"
        for label, value in totals
    )
    facts = [
        f"Invoice: <b>{e(doc.invoice_number)}</b>",
        f"Date: {doc.invoice_date.isoformat()}",
        f"Patient: {e(doc.patient_name)}"
        + (f", {e(doc.patient_mobile)}" if doc.patient_mobile else ""),
    ]
    if doc.recipient_gstin:
        facts.append(f"Buyer GSTIN: {e(doc.recipient_gstin)}")
    return (
        f"<h2 align='center'>{e(doc.legal_name)}</h2>"
        f"<p align='center'>{e(branch.address)}"
        + (f"<br>GSTIN: {e(branch.gstin)}" if branch.gstin else "")
        + f"</p><h3 align='center'>{e(doc.heading)}</h3>"
        f"<p>{'<br>'.join(facts)}</p>"
        "<table width='100%' cellspacing='0' cellpadding='4' border='1'>"
        "<tr><th align='left'>Item</th><th>HSN/SAC</th><th align='right'>Qty</th>"
        "<th align='right'>Rate</th><th align='right'>Discount</th><th align='right'>Amount</th></tr>"
        f"{rows}</table><br>"
        f"<table width='100%' cellspacing='0' cellpadding='3'>{total_rows}</table>"
        f"<h3 align='right'>{paid_status_text(doc)}</h3>"
    )


# --- printing --------------------------------------------------------------------------------


def print_on(
    printer: QPrinter, document: InvoiceDocument, *, layout: Layout = "receipt", columns: int = 48
) -> None:
    """Draw `document` on a printer (or a PDF printer) in the receipt or A4 layout."""
    if layout == "a4":
        render_a4(printer, document)
    else:
        paper = 58 if columns <= 32 else 80
        lines = receipt_lines(document, width=columns)
        render_receipt(printer, lines, columns=columns, paper_mm=paper)


def save_pdf(
    document: InvoiceDocument, path: Path, *, layout: Layout = "receipt", columns: int = 48
) -> Path:
    """Write what would be printed as a PDF at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    print_on(pdf_printer(path), document, layout=layout, columns=columns)
    return path


def print_document(
    document: InvoiceDocument,
    settings: PrinterSettings,
    *,
    layout: Layout = "receipt",
    printer_name: str | None = None,
    parent: QWidget | None = None,
    pdf_folder: Path | None = None,
    open_file: Callable[[Path], object] | None = None,
    open_drawer: bool | None = None,
) -> str:
    """Print `document` as the settings say (an A4 always on a printer of this computer),
    or on `printer_name` when given; a sentence of what happened.

    With no printer on this computer the PDF goes to `pdf_folder` (Documents/Frontdesk/
    receipts by default) and `open_file` is asked to show it."""
    if layout == "receipt" and printer_name is None and settings.uses_escpos:
        # Imported here: python-escpos reads its printer database (a quarter of a second)
        # on import, which start-up need not pay.
        from services.escpos_printing import print_receipt_escpos

        return print_receipt_escpos(settings, document, open_drawer=open_drawer)
    name = settings.system_printer if printer_name is None else printer_name
    printer = qt_printer(name)
    if printer is None and not name and system_printers() and parent is not None:
        # Printers but no default one: the person chooses.
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, parent).exec() != QDialog.DialogCode.Accepted:
            return "Not printed."
    if printer is None:
        if name:
            raise PrintingError(
                f"There is no printer called {name} on this computer: choose another in "
                "Settings, Printer."
            )
        path = _pdf_path(document, layout, pdf_folder)
        save_pdf(document, path, layout=layout, columns=settings.columns)
        log.info("no printer: %s saved as %s", document.invoice_number, path)
        if open_file is not None and open_file(path):
            return f"No printer found: PDF opened from {path}."
        return f"No printer found: PDF saved to {path}."
    print_on(printer, document, layout=layout, columns=settings.columns)
    return f"Printed {document.invoice_number} on {printer.printerName()}."


def print_receipt(
    document: InvoiceDocument,
    parent: QWidget | None,
    settings: PrinterSettings | None = None,
    *,
    pdf_folder: Path | None = None,
    open_file: Callable[[Path], object] | None = None,
) -> str:
    """The counter's and the Invoices panel's Print: the receipt on the receipt printer of
    `settings` (services.printer_settings.printer_settings(db); None: this computer's
    default printer), the drawer opened on a cash payment if the setting says so. Returns
    the sentence to show; raises a ServiceError (a sentence) when the printer fails.

    An ESC/POS printer on the network may take up to its timeout to say it is not there:
    run this in a BackgroundOp when that matters."""
    return print_document(
        document,
        settings or PrinterSettings(),
        parent=parent,
        pdf_folder=pdf_folder,
        open_file=open_file,
    )


def reaches_a_printer(settings: PrinterSettings) -> bool:
    """A receipt printed with these settings goes to a printer, not to a PDF file."""
    return settings.uses_escpos or bool(settings.system_printer) or bool(system_printers())


def start_receipt(
    ops: OpCounter,
    document: InvoiceDocument,
    settings: PrinterSettings,
    parent: QWidget,
    *,
    said: Callable[[str], object],
    failed: Callable[[Exception], object],
    pdf_folder: Path | None = None,
    open_file: Callable[[Path], object] | None = None,
) -> None:
    """print_receipt without freezing the window: an ESC/POS printer is written to on a
    worker thread (one switched off takes its whole timeout to say so); Qt's print system
    on this one (its dialog and the painter's printer belong to the UI thread, and it
    only hands the job to the spooler). `said` gets the sentence, `failed` the error."""
    if settings.uses_escpos:
        ops.run(lambda: print_receipt(document, None, settings), said, failed)
        return
    try:
        sentence = print_receipt(
            document, parent, settings, pdf_folder=pdf_folder, open_file=open_file
        )
    except ServiceError as error:
        failed(error)
        return
    said(sentence)


def print_test_page(settings: PrinterSettings, *, pdf_folder: Path | None = None) -> str:
    """A few lines on the chosen printer to check it works; a sentence of what happened."""
    if settings.uses_escpos:
        from services.escpos_printing import print_test_page_escpos

        return print_test_page_escpos(settings)
    width = settings.columns
    name = settings.system_printer or QPrinterInfo.defaultPrinterName() or "none (PDF)"
    lines = check_page_lines(width, name)
    printer = qt_printer(settings.system_printer)
    if printer is None:
        if settings.system_printer:
            raise PrintingError(f"There is no printer called {settings.system_printer}.")
        path = (pdf_folder or _default_folder()) / "test-page.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        render_receipt(pdf_printer(path), lines, columns=width, paper_mm=settings.paper_mm)
        return f"No printer found: PDF saved to {path}."
    render_receipt(printer, lines, columns=width, paper_mm=settings.paper_mm)
    return f"Printed a test page on {printer.printerName()}."


# --- helpers ---------------------------------------------------------------------------------


def _fixed_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    return font


def _default_folder() -> Path:
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    return Path(documents) / "Frontdesk" / "receipts"


def _pdf_path(document: InvoiceDocument, layout: Layout, folder: Path | None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", document.invoice_number)
    return (folder or _default_folder()) / f"{safe}-{layout}.pdf"


def _not_started(printer: QPrinter) -> str:
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return f"The PDF could not be written at {printer.outputFileName()}."
    return (
        f"The printer {printer.printerName()} did not start printing: check it is on and has paper."
    )
