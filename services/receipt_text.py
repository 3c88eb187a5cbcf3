"""The 80 mm receipt as plain text: fixed-width lines for a thermal printer's font.

A thermal printer prints a line of so many characters (48 with font A on an 80 mm roll,
42 on some 80 mm printers, 32 on a 58 mm roll), so the receipt is laid out here in
columns rather than drawn. The rules:

1. No line is longer than the width; a name too long for its line wraps, and an amount
   sits on the last line of what it belongs to, right-aligned to the last column.
2. Amounts are rupees without a sign ("4,500.00"): most printers' code pages have no
   rupee sign. The total says "Rs." once.
3. The item lines' amounts add up to the subtotal; gross less the discounts plus the
   round off is the total, as on the PDF (services.invoice_pdf).
4. The money taken prints as it is on the document: each payment, the change handed back,
   what is still due, and PAID, PARTLY PAID or UNPAID (CANCELLED for a cancelled invoice).

Nothing here reads the clock, a file or the database: the same document always prints the
same lines.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.gst import DocumentType, Taxability, state_label
from domain.money import format_rupees
from services.invoice_document import DocumentLine, InvoiceDocument

# Characters per line: 48 (font A, 80 mm), 42 (80 mm printers with a narrower head), 32 (58 mm).
RECEIPT_WIDTHS = (48, 42, 32)
DEFAULT_WIDTH = 48

CANCELLED = "cancelled"  # invoice_header.status
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STATUS = {"paid": "PAID", "partly_paid": "PARTLY PAID", "unpaid": "UNPAID"}


@dataclass(frozen=True)
class ReceiptLine:
    """One printed line; `bold` lines are emphasised where the printer can."""

    text: str
    bold: bool = False


def money(paise: int) -> str:
    """Rupees without a sign, Indian grouping: 450000 -> '4,500.00'."""
    return format_rupees(paise, symbol="")


def paid_status_text(doc: InvoiceDocument) -> str:
    """PAID, PARTLY PAID, UNPAID, or CANCELLED (rule 4)."""
    if doc.status == CANCELLED:
        return "CANCELLED"
    return _STATUS[doc.paid_status]


def payments_summary(doc: InvoiceDocument) -> str:
    """'Paid: Cash 500.00 / UPI 250.00 ref 4411', or '' when nothing was paid."""
    if not doc.payments:
        return ""
    parts = [payment_label(p.label, p.reference) + f" {money(p.amount)}" for p in doc.payments]
    return "Paid: " + " / ".join(parts)


def receipt_text(doc: InvoiceDocument, *, width: int = DEFAULT_WIDTH) -> str:
    """The receipt as one string, a newline after each line."""
    return "".join(f"{line.text}\n" for line in receipt_lines(doc, width=width))


def receipt_lines(doc: InvoiceDocument, *, width: int = DEFAULT_WIDTH) -> tuple[ReceiptLine, ...]:
    """The receipt, line by line, for a printer of `width` characters (rules 1 to 4)."""
    if width not in RECEIPT_WIDTHS:
        raise ValueError(f"a receipt is {', '.join(map(str, RECEIPT_WIDTHS))} characters wide")
    out = _Lines(width)
    _header(out, doc)
    _items(out, doc)
    _totals(out, doc)
    _gst_summary(out, doc)
    _payments(out, doc)
    _footer(out, doc)
    return tuple(out.lines)


def check_page_lines(width: int, printer: str) -> tuple[ReceiptLine, ...]:
    """A printer's test page: a heading, a ruler of `width` digits, and which printer it is."""
    return (
        ReceiptLine("Frontdesk test page".center(width).rstrip(), bold=True),
        ReceiptLine("-" * width),
        ReceiptLine(f"{width} characters a line:"),
        ReceiptLine(("1234567890" * 7)[:width]),
        ReceiptLine("-" * width),
        *(ReceiptLine(piece) for piece in _wrap(f"Printer: {printer}", width)),
    )


# --- layout ---------------------------------------------------------------------------------


class _Lines:
    """The receipt being written, and the ways a line is laid out (rule 1)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[ReceiptLine] = []

    def add(self, text: str, *, bold: bool = False) -> None:
        self.lines.append(ReceiptLine(text, bold))

    def wrap(self, text: str, *, indent: int = 0, bold: bool = False) -> None:
        for piece in _wrap(text, self.width - indent):
            self.add(" " * indent + piece, bold=bold)

    def centre(self, text: str, *, bold: bool = False) -> None:
        for piece in _wrap(text, self.width):
            self.add(piece.center(self.width).rstrip(), bold=bold)

    def row(self, label: str, amount: str, *, indent: int = 0, bold: bool = False) -> None:
        """`label` on the left, `amount` ending in the last column (rule 1)."""
        room = self.width - len(amount) - 1 - indent
        pieces = _wrap(label, room) if room > 0 else [label]
        for piece in pieces[:-1]:
            self.add(" " * indent + piece, bold=bold)
        last = " " * indent + pieces[-1]
        self.add(last.ljust(self.width - len(amount)) + amount, bold=bold)

    def rule(self, char: str = "-") -> None:
        self.add(char * self.width)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width, break_long_words=True) or [""]


def payment_label(label: str, reference: str) -> str:
    """A payment method's name with its reference: 'UPI ref 4411'."""
    return f"{label} ref {reference}" if reference else label


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"  # 18.00 -> 18%, 100 -> 100%, 12.5 -> 12.5%


def _date_time(doc: InvoiceDocument) -> str:
    """The invoice date and the time it was made, at the branch."""
    day = doc.invoice_date
    local = doc.created_at.astimezone(ZoneInfo(doc.branch_timezone))
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    zone = local.tzname() or doc.branch_timezone
    return (
        f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}, "
        f"{hour}:{local.minute:02d} {half} {zone}"
    )


# --- sections -------------------------------------------------------------------------------


def _header(out: _Lines, doc: InvoiceDocument) -> None:
    branch = doc.branch
    out.centre(branch.name, bold=True)
    if doc.legal_name != branch.name:
        out.centre(doc.legal_name)
    if branch.address:
        out.centre(branch.address)
    if branch.phone:
        out.centre(f"Phone: {branch.phone}")
    if branch.gstin:
        out.centre(f"GSTIN: {branch.gstin}")
    out.rule()
    out.centre(doc.heading, bold=True)
    if doc.status == CANCELLED:
        out.centre("*** CANCELLED ***", bold=True)
        if doc.cancel_reason:
            out.centre(doc.cancel_reason)
    out.wrap(f"Invoice: {doc.invoice_number}")
    out.wrap(f"Date: {_date_time(doc)}")
    out.wrap(f"Patient: {doc.patient_name}")
    if doc.patient_mobile:
        out.wrap(f"Mobile: {doc.patient_mobile}")
    if doc.recipient_gstin:
        out.wrap(f"Buyer GSTIN: {doc.recipient_gstin}")
    place = doc.place_of_supply or doc.branch_state
    if place:
        out.wrap(f"Place of supply: {state_label(place)}")


def _items(out: _Lines, doc: InvoiceDocument) -> None:
    out.rule()
    out.row("Item", "Amount")
    out.rule()
    for line in doc.lines:
        out.row(line.item_name, money(line.line_total))
        out.wrap(_quantity_text(doc, line), indent=2)
        if line.discount_amount:
            percent = f" ({_percent(line.discount_percent)})" if line.discount_percent else ""
            out.wrap(f"Discount -{money(line.discount_amount)}{percent}", indent=2)
        if line.badge_text:
            out.wrap(line.badge_text, indent=2)


def _quantity_text(doc: InvoiceDocument, line: DocumentLine) -> str:
    text = f"{line.quantity} x {money(line.unit_price)}"
    if doc.document_type != DocumentType.BILL_OF_SUPPLY.value:
        text += (
            "  Exempt"
            if line.taxability == Taxability.EXEMPT.value
            else f"  GST {_percent(line.tax_rate)}"
        )
    if line.hsn_sac:
        text += f"  HSN/SAC {line.hsn_sac}"
    return text


def _totals(out: _Lines, doc: InvoiceDocument) -> None:
    """Rule 3: gross, less each promotion and the manual discount, plus the round off."""
    out.rule()
    out.row("Gross amount", money(doc.gross_amount))
    for saving in doc.promotion_savings:
        out.row(f"Promotion {saving.campaign_code}", f"-{money(saving.amount)}")
    if doc.manual_discount:
        out.row("Manual discount", f"-{money(doc.manual_discount)}")
    if doc.round_off:
        sign = "+" if doc.round_off > 0 else "-"
        out.row("Round off", f"{sign}{money(abs(doc.round_off))}")
    out.rule("=")
    out.row("TOTAL", f"Rs.{money(doc.total_amount)}", bold=True)
    out.rule("=")


def _gst_summary(out: _Lines, doc: InvoiceDocument) -> None:
    """What the total holds by GST (rule 46): taxable value, CGST and SGST or IGST, exempt."""
    exempt = sum(
        line.line_total for line in doc.lines if line.taxability == Taxability.EXEMPT.value
    )
    if doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
        if doc.lines:
            out.row("Exempt supplies", money(exempt))
        return
    out.add("GST included in the total")
    out.row("Taxable value", money(doc.taxable_value - exempt), indent=2)
    if doc.igst_amount:
        out.row("IGST", money(doc.igst_amount), indent=2)
    else:
        out.row("CGST", money(doc.cgst_amount), indent=2)
        out.row("SGST", money(doc.sgst_amount), indent=2)
    if exempt:
        out.row("Exempt supplies", money(exempt), indent=2)


def _payments(out: _Lines, doc: InvoiceDocument) -> None:
    """Rule 4: each payment, the change, what is due, and the paid status."""
    savings = sum(s.amount for s in doc.promotion_savings) + doc.manual_discount
    if savings > 0:
        out.rule()
        out.centre(f"You saved Rs.{money(savings)}", bold=True)
    out.rule()
    for index, payment in enumerate(doc.payments):
        label = payment_label(payment.label, payment.reference)
        if index == 0:
            out.row(f"Paid: {label}", money(payment.amount))
        else:
            out.row(label, money(payment.amount), indent=len("Paid: "))
    if doc.change_given:
        out.row("Change", money(doc.change_given))
    if doc.credited:
        out.row("Credit notes", f"-{money(doc.credited)}")
    if doc.amount_due and doc.status != CANCELLED:
        out.row("Due", money(doc.amount_due), bold=True)
    out.centre(f"*** {paid_status_text(doc)} ***", bold=True)


def _footer(out: _Lines, doc: InvoiceDocument) -> None:
    out.rule()
    out.centre(f"Thank you for visiting {doc.branch.name}!")
    if doc.created_by:
        out.centre(f"Prepared by {doc.created_by}")
    out.centre(
        "Prices include GST."
        if doc.document_type != DocumentType.BILL_OF_SUPPLY.value
        else "No GST is charged."
    )
