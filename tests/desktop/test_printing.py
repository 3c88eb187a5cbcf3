"""Printing from the desktop through Qt's print system (to a PDF printer here) and to an
ESC/POS printer at a device file. The machine's own printers are hidden from every desktop
test (tests/desktop/conftest.py)."""

from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop import printing
from services.errors import ServiceError
from services.invoice_document import DocumentPayment
from services.printer_settings import PrinterSettings
from tests.services.test_invoice_pdf import forty_line_invoice, seed_000_invoice

MM = 72 / 25.4
CASH = DocumentPayment("cash", "Cash", 200_000)
DRAWER_KICK = b"\x1bp\x00"


def squeezed(path):
    """The PDF's text without whitespace (a fixed-pitch font extracts with gaps)."""
    reader = PdfReader(path)
    return reader, "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_the_receipt_prints_on_an_80_mm_page_with_number_total_and_status(qapp, tmp_path):
    path = tmp_path / "receipt.pdf"
    printing.print_on(printing.pdf_printer(path), seed_000_invoice(payments=(CASH,)))
    reader, text = squeezed(path)
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(80 * MM, abs=1)
    assert "Invoice:SVC-2026-2027-00123" in text
    assert "TOTALRs.4,500.00" in text
    assert "Paid:Cash2,000.00" in text and "Due2,500.00" in text
    assert "***PARTLYPAID***" in text


def test_a_long_receipt_is_one_long_page(qapp, tmp_path):
    short, long = tmp_path / "short.pdf", tmp_path / "long.pdf"
    printing.save_pdf(seed_000_invoice(), short)
    printing.save_pdf(forty_line_invoice(), long)
    heights = [float(PdfReader(p).pages[0].mediabox.height) for p in (short, long)]
    assert len(PdfReader(long).pages) == 1
    assert heights[1] > 3 * heights[0]
    assert "***UNPAID***" in squeezed(long)[1]


def test_a_58_mm_roll_prints_32_columns(qapp, tmp_path):
    path = printing.save_pdf(seed_000_invoice(), tmp_path / "r.pdf", columns=32)
    assert float(PdfReader(path).pages[0].mediabox.width) == pytest.approx(58 * MM, abs=1)


def test_the_a4_layout_is_an_a4_page_with_lines_totals_and_status(qapp, tmp_path):
    document = seed_000_invoice(payments=(CASH, DocumentPayment("upi", "UPI", 250_000, "UTR9")))
    path = printing.save_pdf(document, tmp_path / "a4.pdf", layout="a4")
    reader, text = squeezed(path)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(210 * MM, abs=1)
    for expected in ("SVC-2026-2027-00123", "Botox(50units)", "Rs.4,500.00", "PaidUPIrefUTR9"):
        assert expected in text.replace(":", "")
    assert "PAID" in text
    assert "PARTLYPAID" not in text and "UNPAID" not in text


def test_with_no_printer_the_receipt_is_saved_as_a_pdf_and_the_message_says_only_that(
    qapp, tmp_path
):
    shown = []
    message = printing.print_receipt(
        seed_000_invoice(), None, pdf_folder=tmp_path, open_file=lambda p: shown.append(p)
    )
    path = tmp_path / "SVC-2026-2027-00123-receipt.pdf"
    assert message == f"No printer found: PDF saved to {path}."
    assert shown == [path]  # asked to open it; the viewer did not say it did
    assert "SVC-2026-2027-00123" in squeezed(path)[1]


def test_with_no_printer_a_viewer_that_opens_the_pdf_is_said(qapp, tmp_path):
    message = printing.print_receipt(
        seed_000_invoice(), None, pdf_folder=tmp_path, open_file=lambda _p: True
    )
    assert message == (
        f"No printer found: PDF opened from {tmp_path / 'SVC-2026-2027-00123-receipt.pdf'}."
    )


def test_a_printer_name_this_computer_does_not_have_is_refused(qapp):
    settings = PrinterSettings(system_printer="Front desk TM-T82")
    with pytest.raises(ServiceError, match="no printer called Front desk TM-T82"):
        printing.print_receipt(seed_000_invoice(), None, settings)


def test_an_escpos_setting_sends_the_receipt_there_and_opens_the_drawer(qapp, tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    settings = PrinterSettings(target="escpos", escpos_kind="file", escpos_address=str(device))
    message = printing.print_receipt(seed_000_invoice(payments=(CASH,)), None, settings)
    assert message == (
        f"Printed SVC-2026-2027-00123 on the printer at {device} and opened the cash drawer."
    )
    assert b"*** PARTLY PAID ***" in device.read_bytes()
    assert DRAWER_KICK in device.read_bytes()


def test_the_test_page_without_a_printer_is_a_pdf(qapp, tmp_path):
    message = printing.print_test_page(PrinterSettings(), pdf_folder=tmp_path)
    assert message == f"No printer found: PDF saved to {tmp_path / 'test-page.pdf'}."
    assert "48charactersaline" in squeezed(Path(tmp_path / "test-page.pdf"))[1]
