"""A credit note as an A4 PDF (issue #11), in the invoice's look (services.invoice_pdf).

It carries the particulars of rule 53 of the CGST Rules: the supplier's name, address and
GSTIN; "CREDIT NOTE", its number and date; the recipient (name, GSTIN when registered,
place of supply); the original invoice's number and date; the refunded lines with their
taxable value and tax; the total; and the reason. It also says how the value was settled
(the due lowered, money paid back, an advance kept) and which promotions were reversed.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    PageTemplate,
    Spacer,
    Table,
)

from domain.gst import state_label
from domain.payments import Method
from domain.words import rupees_in_words
from services.credit_notes import CreditNoteDocument
from services.invoice_pdf import (
    _MONTHS,
    ACCENT,
    ACCENT_TINT,
    ALERT,
    DEFAULT_LOGO,
    FONT,
    FONT_BOLD,
    MUTED,
    RULE,
    _logo,
    _logo_flowable,
    _money,
    _NumberedCanvas,
    _p,
    _percent,
    _prepare_reportlab,
    _styles,
    _table_style,
)

TITLE = "CREDIT NOTE"
_MARGINS = (15 * mm, 15 * mm, 15 * mm, 22 * mm)  # left, right, top, bottom (footer)


def _day(day: date) -> str:
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def render_credit_note_pdf(
    note: CreditNoteDocument, target: Path | BinaryIO, *, logo: Path | None = DEFAULT_LOGO
) -> None:
    """Write `note` as an A4 PDF to a path or a binary stream."""
    _prepare_reportlab()
    left, right, top, bottom = _MARGINS
    width, height = A4
    frame = Frame(
        left,
        bottom,
        width - left - right,
        height - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    document = BaseDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="a4", frames=[frame])],
        title=f"Credit note {note.number}",
        author=note.branch.name,
        subject=f"Credit note for {note.patient_name} against {note.invoice_number}",
        creator="Frontdesk",
        invariant=True,
        initialFontName=FONT,
    )
    story = _story(note, logo, width - left - right)
    document.build(story, canvasmaker=partial(_NumberedCanvas, footer=partial(_footer, note)))


def _story(note: CreditNoteDocument, logo_path: Path | None, width: float) -> list[Flowable]:
    styles = _styles("a4")
    branch = note.branch
    supplier: list[Flowable] = [_p(note.legal_name, styles.branch)]
    if note.legal_name != branch.name:
        supplier.append(_p(f"{branch.name} branch", styles.small))
    if branch.address:
        supplier.append(_p(branch.address, styles.muted))
    contact = [
        text
        for text in (
            f"Phone: {branch.phone}" if branch.phone else "",
            f"GSTIN: {branch.gstin}" if branch.gstin else "",
            f"State: {state_label(branch.state_code)}" if branch.state_code else "",
        )
        if text
    ]
    if contact:
        supplier.append(_p("   ·   ".join(contact), styles.small))
    right = ParagraphStyle("cn-right-bold", parent=styles.right, fontName=FONT_BOLD)
    heading = [
        _p(
            TITLE,
            ParagraphStyle("cn-title", parent=styles.title, alignment=TA_RIGHT, textColor=ALERT),
        ),
        _p(f"No. {note.number}", right),
        _p(f"Date: {_day(note.note_date)}", styles.right),
        _p(f"Against invoice {note.invoice_number}", styles.right),
        _p(f"of {_day(note.invoice_date)}", styles.right),
    ]
    logo_cell = _logo_flowable(_logo(logo_path), 18 * mm)
    logo_width = 22 * mm if logo_cell else 0.0
    header = Table(
        [[logo_cell or "", supplier, heading]],
        colWidths=[logo_width, width - logo_width - 66 * mm, 66 * mm],
    )
    header.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), *_no_padding()]))
    story: list[Flowable] = [
        header,
        HRFlowable(width="100%", thickness=1.5, color=ACCENT, spaceBefore=4, spaceAfter=8),
    ]
    place = note.place_of_supply or branch.state_code or ""
    recipient = Table(
        [
            [_p("ISSUED TO", styles.muted), _p("ORIGINAL INVOICE", styles.muted)],
            [
                _p(
                    note.patient_name,
                    ParagraphStyle("cn-patient", parent=styles.body, fontName=FONT_BOLD),
                ),
                _p(f"{note.invoice_number}, {_day(note.invoice_date)}", styles.body),
            ],
            [
                _p(f"Mobile: {note.patient_mobile}" if note.patient_mobile else "", styles.body),
                _p(f"Place of supply: {state_label(place)}" if place else "", styles.body),
            ],
            [
                _p(f"GSTIN: {note.recipient_gstin}" if note.recipient_gstin else "", styles.body),
                _p(f"Original document: {note.invoice_heading.lower()}", styles.body),
            ],
        ],
        colWidths=[width * 0.55, width * 0.45],
    )
    recipient.setStyle(_table_style(_no_padding()))
    story += [recipient, Spacer(1, 6)]
    reason = Table(
        [[_p("Reason", styles.muted), _p(note.reason, styles.body)]],
        colWidths=[22 * mm, width - 22 * mm],
    )
    reason.setStyle(
        _table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), ACCENT_TINT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [reason, Spacer(1, 8), _lines_table(note, width), Spacer(1, 8)]
    story += [_totals_table(note), Spacer(1, 6)]
    story.append(_p(f"Amount in words: {rupees_in_words(note.total_amount)}", styles.small))
    if note.promotions_reversed:
        codes = ", ".join(p.campaign_code for p in note.promotions_reversed)
        story.append(
            _p(
                f"No longer earned on the items kept: {codes}. The discount it gave, "
                f"{_money(note.discount_given_back)}, is taken from the refund.",
                styles.small,
            )
        )
    story += [Spacer(1, 14), _signature(note, width)]
    return story


def _no_padding() -> list[tuple[object, ...]]:
    return [
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]


def _lines_table(note: CreditNoteDocument, width: float) -> Table:
    styles = _styles("a4")
    inter = any(line.igst_amount for line in note.lines)
    head = ["#", "Item", "HSN/SAC", "Qty", "Price", "Less", "Value", "GST", "Taxable", "Tax"]
    rows: list[list[object]] = [[_p(text, styles.small) for text in head]]
    for line in note.lines:
        tax = line.cgst_amount + line.sgst_amount + line.igst_amount
        rate = "Exempt" if line.taxability == "exempt" else _percent(line.tax_rate)
        rows.append(
            [
                str(line.line_no),
                [
                    _p(line.item_name, styles.body),
                    _p(f"Invoice line {line.invoice_line_no}", styles.muted),
                ],
                line.hsn_sac or "-",
                str(line.quantity),
                _money(line.unit_price),
                _money(line.discount_amount) if line.discount_amount else "-",
                _money(line.line_total),
                rate + (" IGST" if inter and tax else ""),
                _money(line.taxable_value),
                _money(tax),
            ]
        )
    fixed = [7 * mm, 0, 18 * mm, 9 * mm, 20 * mm, 18 * mm, 22 * mm, 13 * mm, 22 * mm, 18 * mm]
    fixed[1] = width - sum(fixed)
    table = Table(rows, colWidths=fixed, repeatRows=1)
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT_TINT),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
            ]
        )
    )
    return table


def _totals_table(note: CreditNoteDocument) -> Table:
    styles = _styles("a4")
    rows: list[list[object]] = [["Gross value of the units returned", _money(note.gross_amount)]]
    if note.total_discount:
        rows.append(
            ["Less discounts (including any given back)", f"-{_money(note.total_discount)}"]
        )
    rows.append(["Taxable value", _money(note.taxable_value)])
    if note.igst_amount:
        rows.append(["IGST", _money(note.igst_amount)])
    if note.cgst_amount or note.sgst_amount:
        rows.append(["CGST", _money(note.cgst_amount)])
        rows.append(["SGST", _money(note.sgst_amount)])
    total_row = len(rows)
    rows.append(
        [
            _p(
                "Credit note value",
                ParagraphStyle("cn-total", parent=styles.body, fontName=FONT_BOLD),
            ),
            _p(
                _money(note.total_amount),
                ParagraphStyle("cn-total-r", parent=styles.right, fontName=FONT_BOLD),
            ),
        ]
    )
    if note.reduced_due:
        rows.append(["Taken off the amount due", _money(note.reduced_due)])
    if note.refunded:
        method = Method(note.refund_method).label if note.refund_method else "-"
        rows.append([f"Paid back by {method}", _money(note.refunded)])
    if note.to_advance:
        rows.append(["Kept as an advance on the account", _money(note.to_advance)])
    table = Table(rows, colWidths=[70 * mm, 35 * mm], hAlign="RIGHT")
    table.setStyle(
        _table_style(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("LINEABOVE", (0, total_row), (-1, total_row), 1, ACCENT),
                ("LINEBELOW", (0, total_row), (-1, total_row), 1, ACCENT),
            ]
        )
    )
    return table


def _signature(note: CreditNoteDocument, width: float) -> Table:
    styles = _styles("a4")
    who = f"Issued by {note.created_by or '-'}"
    if note.approved_by and note.approved_by != note.created_by:
        who += f", approved by {note.approved_by}"
    table = Table(
        [
            [_p(who, styles.small), _p(f"For {note.legal_name}", styles.right)],
            ["", ""],
            ["", _p("Authorised signatory", styles.small_right)],
        ],
        colWidths=[width * 0.55, width * 0.45],
        rowHeights=[None, 12 * mm, None],
    )
    table.setStyle(_table_style(_no_padding()))
    return table


def _footer(note: CreditNoteDocument, canvas: Canvas, page: int, pages: int) -> None:
    width, _height = A4
    left, right, _top, bottom = _MARGINS
    y = bottom - 9 * mm
    canvas.saveState()
    canvas.setFillColor(MUTED)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(left, y + 9, width - right, y + 9)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(left, y, f"Credit note against invoice {note.invoice_number}")
    canvas.drawRightString(width - right, y, f"{note.number}   Page {page} of {pages}")
    canvas.restoreState()
