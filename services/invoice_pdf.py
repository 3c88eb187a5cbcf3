"""The invoice as a PDF: an A4 tax invoice or an 80 mm receipt, drawn with ReportLab.

Amounts print with the rupee sign, so the fonts come from `resources/fonts` (DejaVu Sans,
shipped with the app) rather than from the machine or ReportLab's built-in Helvetica, which
has no U+20B9. Rendering reads nothing but the document, the logo file and those fonts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from importlib import resources as importlib_resources
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO, Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from domain.gst import DocumentType, Taxability, state_label
from domain.log import pdf as log
from domain.money import format_rupees
from domain.payments import upi_link
from domain.words import rupees_in_words
from services.invoice_document import DocumentLine, InvoiceDocument
from services.qr_code import qr_modules
from services.receipt_text import paid_status_text, payment_label

Variant = Literal["a4", "receipt"]

RUPEE = "\u20b9"
CANCELLED = "cancelled"  # invoice_header.status
FONT = "FrontdeskSans"
FONT_BOLD = "FrontdeskSans-Bold"
DEFAULT_LOGO = Path(str(importlib_resources.files("resources").joinpath("logo.png")))

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B76")
RULE = colors.HexColor("#D5DBE0")
ACCENT = colors.HexColor("#13756B")  # the logo's teal
ACCENT_TINT = colors.HexColor("#E7F4F2")
SAVING = colors.HexColor("#1A7F37")
SAVING_TINT = colors.HexColor("#EAF6EC")
ALERT = colors.HexColor("#B42318")
ALERT_TINT = colors.HexColor("#FDECEA")

EXEMPT = Taxability.EXEMPT.value
RECEIPT_WIDTH = 80 * mm
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The longest page PDF viewers accept (200 inches); a receipt longer than this paginates.
_MAX_PAGE_HEIGHT = 14_400.0
# The logo is drawn at most ~20 mm wide; 240 px keeps it sharp at 300 dpi and small to embed.
_LOGO_PIXELS = 240


def render_invoice_pdf(
    doc: InvoiceDocument,
    target: Path | BinaryIO,
    *,
    variant: Variant = "a4",
    logo: Path | None = DEFAULT_LOGO,
    upi_id: str | None = None,
) -> None:
    """Write `doc` as a PDF to a path or a binary stream: an A4 tax invoice or an 80 mm receipt.

    A missing or unreadable logo is left out (and logged); `upi_id` (the branch's own when
    not given, "" for none) adds a UPI payment QR for the payable amount unless the invoice
    is cancelled or has nothing to pay. The title and the GST particulars follow the
    document type (domain.gst): tax invoice, bill of supply or invoice-cum-bill of supply.
    """
    _prepare_reportlab()
    styles = _styles(variant)
    logo_image = _logo(logo)
    if upi_id is None:
        upi_id = doc.branch.upi_id or None
    qr_payload = upi_payload(doc, upi_id) if upi_id and _payable(doc) else None
    if variant == "a4":
        story = _a4_story(doc, styles, logo_image, qr_payload, upi_id)
        page_width, page_height = A4
        margins = (15 * mm, 15 * mm, 15 * mm, 22 * mm)  # left, right, top, bottom (footer)
    elif variant == "receipt":
        story = _receipt_story(doc, styles, logo_image, qr_payload, upi_id)
        page_width = RECEIPT_WIDTH
        margins = (4 * mm, 4 * mm, 5 * mm, 6 * mm)
        page_height = _receipt_height(story, page_width - margins[0] - margins[1], margins)
    else:
        raise ValueError(f"unknown invoice layout {variant!r}; use 'a4' or 'receipt'")

    left, right, top, bottom = margins
    frame = Frame(
        left,
        bottom,
        page_width - left - right,
        page_height - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    template = PageTemplate(id=variant, frames=[frame], onPage=partial(_page_background, doc))
    output: str | BinaryIO = str(target) if isinstance(target, Path) else target
    document = BaseDocTemplate(
        output,
        pagesize=(page_width, page_height),
        pageTemplates=[template],
        title=f"Invoice {doc.invoice_number}",
        author=doc.branch.name,
        subject=f"Invoice for {doc.patient_name}",
        creator="Frontdesk",
        invariant=True,
        # Otherwise every page names Helvetica, unembedded, though no text uses it.
        initialFontName=FONT,
    )
    footer = partial(_draw_page_text, doc, variant, margins, (page_width, page_height))
    document.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))


def upi_payload(doc: InvoiceDocument, upi_id: str) -> str:
    """The UPI deep link a payment app reads from the QR: payee, name, amount, note."""
    return upi_link(upi_id, doc.branch.name, doc.amount_due, doc.invoice_number)


# --- fonts, styles and assets -------------------------------------------------------------


def write_a4(
    target: Path | BinaryIO,
    *,
    title: str,
    author: str,
    story: Callable[[float], list[Any]],
) -> None:
    """Write a plain A4 document (15 mm margins, the app's font, byte-identical for the same
    content): `story` gets the width between the margins and returns the flowables."""
    _prepare_reportlab()
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    margins = 15 * mm
    document = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=A4,
        leftMargin=margins,
        rightMargin=margins,
        topMargin=margins,
        bottomMargin=margins,
        title=title,
        author=author,
        creator="Frontdesk",
        invariant=True,
        initialFontName=FONT,
    )
    document.build(story(A4[0] - 2 * margins))


@cache
def _prepare_reportlab() -> None:
    """Register the fonts once per process and turn off ASCII85 stream encoding.

    ASCII85 only makes streams 7-bit safe (and 25% larger); without ReportLab's optional C
    accelerator it is done in pure Python and cost a third of the render time. The setting is
    process-wide, which is harmless: each stream names its own filters.
    """
    rl_config.useA85 = 0
    fonts = importlib_resources.files("resources").joinpath("fonts")
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        data = fonts.joinpath(filename).read_bytes()
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    # Lets <b> inside a Paragraph switch to the bold face.
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


@dataclass(frozen=True)
class _Styles:
    size: float
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    badge: ParagraphStyle
    right: ParagraphStyle
    small_right: ParagraphStyle
    centre: ParagraphStyle
    title: ParagraphStyle
    branch: ParagraphStyle
    saving: ParagraphStyle
    alert: ParagraphStyle
    alert_title: ParagraphStyle


@cache
def _styles(variant: Variant) -> _Styles:
    size = 9.0 if variant == "a4" else 7.5

    def style(name: str, **overrides: Any) -> ParagraphStyle:
        values: dict[str, Any] = {
            "fontName": FONT,
            "fontSize": size,
            "leading": size * 1.3,
            "textColor": INK,
        }
        values.update(overrides)
        return ParagraphStyle(f"{variant}-{name}", **values)

    small = size - 1.5
    return _Styles(
        size=size,
        body=style("body"),
        small=style("small", fontSize=small, leading=small * 1.3),
        muted=style("muted", fontSize=small, leading=small * 1.3, textColor=MUTED),
        badge=style("badge", fontSize=small, leading=small * 1.3, textColor=SAVING),
        right=style("right", alignment=TA_RIGHT),
        small_right=style("small-right", fontSize=small, leading=small * 1.3, alignment=TA_RIGHT),
        centre=style("centre", alignment=TA_CENTER),
        title=style("title", fontName=FONT_BOLD, fontSize=size + 4, leading=(size + 4) * 1.25),
        branch=style("branch", fontName=FONT_BOLD, fontSize=size + 5, leading=(size + 5) * 1.2),
        saving=style("saving", textColor=SAVING, fontName=FONT_BOLD),
        alert=style("alert", textColor=ALERT),
        alert_title=style(
            "alert-title",
            fontName=FONT_BOLD,
            fontSize=size + 5,
            leading=(size + 5) * 1.2,
            textColor=ALERT,
        ),
    )


def _logo(path: Path | None) -> ImageReader | None:
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        log.warning("invoice logo %s not found; printing without it", path)
        return None
    return _scaled_logo(path, stamp)


@cache
def _scaled_logo(path: Path, stamp: int) -> ImageReader | None:
    """The logo shrunk once per file version: embedding the 512 px original costs ~10 ms a PDF."""
    try:
        with PILImage.open(path) as original:
            image = original.convert("RGBA")
    except (OSError, ValueError):
        log.warning("invoice logo %s cannot be read; printing without it", path, exc_info=True)
        return None
    image.thumbnail((_LOGO_PIXELS, _LOGO_PIXELS))
    return ImageReader(image)


class _Logo(Flowable):
    """The cached logo drawn at a given size (platypus' Image wants a file, not a reader)."""

    def __init__(self, reader: ImageReader, size: float) -> None:
        super().__init__()
        pixels_wide, pixels_high = reader.getSize()
        scale = size / max(pixels_wide, pixels_high)
        self._reader = reader
        self.width = pixels_wide * scale
        self.height = pixels_high * scale

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(self._reader, 0, 0, self.width, self.height, mask="auto")


def _logo_flowable(logo: ImageReader | None, size: float) -> Flowable | None:
    return None if logo is None else _Logo(logo, size)


class _QrCode(Flowable):
    """A QR code drawn as one filled path of module runs.

    ReportLab's QrCodeWidget encodes the payload twice per draw and builds a shape object per
    module run, which took ~50 ms of a ~60 ms invoice; this encodes once and draws directly.
    """

    _QUIET_ZONE = 2  # modules of white around the code; the page margin adds the rest

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self._modules = qr_modules(payload)
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        count = len(self._modules)
        box = self.width / (count + 2 * self._QUIET_ZONE)
        path = self.canv.beginPath()
        for row_index, row in enumerate(self._modules):
            y = self.height - (row_index + self._QUIET_ZONE + 1) * box
            column = 0
            for dark, run in groupby(row):
                length = len(list(run))
                if dark:
                    path.rect((column + self._QUIET_ZONE) * box, y, length * box, box)
                column += length
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


# --- words and numbers ---------------------------------------------------------------------


def _money(paise: int) -> str:
    return format_rupees(paise, symbol=RUPEE)


def _minus(paise: int) -> str:
    return _money(-paise)


def _signed(paise: int) -> str:
    return ("+" if paise > 0 else "") + _money(paise)


def _payable(doc: InvoiceDocument) -> bool:
    """Something is left to pay: the UPI QR asks for it."""
    return doc.status != CANCELLED and doc.amount_due > 0


def _percent(value: Any) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _local(doc: InvoiceDocument) -> datetime:
    return doc.created_at.astimezone(ZoneInfo(doc.branch_timezone))


def _date_text(doc: InvoiceDocument) -> str:
    day = doc.invoice_date
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def _time_text(doc: InvoiceDocument) -> str:
    local = _local(doc)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    zone = local.tzname() or doc.branch_timezone
    return f"{hour}:{local.minute:02d} {half} {zone}"


def savings_sentence(doc: InvoiceDocument) -> str | None:
    """'You saved ₹500.00 with PREMIUM_CONSULT', listing each promotion when there are several."""
    savings = [s for s in doc.promotion_savings if s.amount > 0]
    if not savings:
        return None
    total = sum(s.amount for s in savings)
    if len(savings) == 1:
        return f"You saved {_money(total)} with {savings[0].campaign_code}"
    parts = [f"{s.campaign_code} ({_money(s.amount)})" for s in savings]
    return f"You saved {_money(total)} with {', '.join(parts[:-1])} and {parts[-1]}"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    # A table's default font is Helvetica: set ours first so that no page names it.
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), *commands])


def _cancelled_banner(doc: InvoiceDocument, styles: _Styles, width: float) -> Table:
    reason = doc.cancel_reason or "no reason recorded"
    banner = Table(
        [[_p("CANCELLED", styles.alert_title)], [_p(f"Reason: {reason}", styles.alert)]],
        colWidths=[width],
    )
    banner.setStyle(
        _table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("BACKGROUND", (0, 0), (-1, -1), ALERT_TINT),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
            ]
        )
    )
    return banner


def _totals_rows(doc: InvoiceDocument, styles: _Styles) -> tuple[list[list[Any]], int]:
    """Rows of (label, amount) for the totals block, and the index of the payable row."""
    rows: list[list[Any]] = [["Gross amount", _money(doc.gross_amount)]]
    for saving in doc.promotion_savings:
        rows.append([f"Promotion {saving.campaign_code}", _minus(saving.amount)])
    if doc.manual_discount:
        rows.append(["Manual discount", _minus(doc.manual_discount)])
    rows += _gst_rows(doc)
    rows.append(["Round off", _signed(doc.round_off)])
    rows.append(["Amount payable", _money(doc.total_amount)])
    return rows, len(rows) - 1


def _settlement_rows(doc: InvoiceDocument) -> list[list[Any]]:
    """Below the payable (issue #11): each payment, the change handed back, credit notes,
    what is still due and the paid status, as the receipt prints them
    (services.receipt_text rule 4). A cancelled invoice has its banner instead."""
    if doc.status == CANCELLED:
        return []
    rows: list[list[Any]] = []
    for index, payment in enumerate(doc.payments):
        label = payment_label(payment.label, payment.reference)
        rows.append([f"Paid: {label}" if index == 0 else f"      {label}", _money(payment.amount)])
    if doc.change_given:
        rows.append(["Change", _money(doc.change_given)])
    if doc.credited:
        rows.append(["Credit notes", _minus(doc.credited)])
    if doc.amount_due:
        rows.append(["Balance due", _money(doc.amount_due)])
    rows.append([_STATUS_LABEL, paid_status_text(doc)])
    return rows


# The last row of the totals: PAID, PARTLY PAID or UNPAID.
_STATUS_LABEL = "Status"


# Labels of the totals rows that explain the amount rather than add to it.
_GST_LABELS = ("Taxable value", "CGST", "SGST", "IGST", "GST included", "Exempt supplies")


def _gst_rows(doc: InvoiceDocument) -> list[list[Any]]:
    """What the payable holds by GST (rule 46): taxable value, CGST and SGST (or IGST), and
    the exempt supplies; a bill of supply carries no tax."""
    exempt = sum(line.line_total for line in doc.lines if line.taxability == EXEMPT)
    if doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
        return [["Exempt supplies", _money(exempt)]] if doc.lines else []
    rows: list[list[Any]] = [
        ["Taxable value", _money(doc.taxable_value - exempt)],
    ]
    if doc.igst_amount:
        rows.append(["IGST", _money(doc.igst_amount)])
    else:
        rows += [["CGST", _money(doc.cgst_amount)], ["SGST", _money(doc.sgst_amount)]]
    if exempt:
        rows.append(["Exempt supplies", _money(exempt)])
    return rows


def _totals_table(doc: InvoiceDocument, styles: _Styles, widths: Sequence[float]) -> Table:
    rows, payable = _totals_rows(doc, styles)
    settlement = _settlement_rows(doc)
    rows += settlement
    table = Table(rows, colWidths=list(widths))
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, styles.size),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("LINEABOVE", (0, payable), (-1, payable), 0.8, INK),
        ("FONT", (0, payable), (-1, payable), FONT_BOLD, styles.size + 2),
        ("TOPPADDING", (0, payable), (-1, payable), 4),
    ]
    if settlement:
        first = payable + 1
        commands += [
            ("LINEABOVE", (0, first), (-1, first), 0.4, MUTED),
            ("TOPPADDING", (0, first), (-1, first), 4),
            ("FONT", (0, len(rows) - 1), (-1, len(rows) - 1), FONT_BOLD, styles.size),
        ]
    for row, (label, _amount) in enumerate(rows):
        if label == "Balance due":
            commands.append(("FONT", (0, row), (-1, row), FONT_BOLD, styles.size))
        elif label == _STATUS_LABEL and doc.amount_due:
            commands.append(("TEXTCOLOR", (0, row), (-1, row), ALERT))
        elif label.startswith("Promotion "):
            commands.append(("TEXTCOLOR", (0, row), (-1, row), SAVING))
        elif label in _GST_LABELS:
            commands.append(("TEXTCOLOR", (0, row), (-1, row), MUTED))
    table.setStyle(_table_style(commands))
    return table


def _payment_block(
    doc: InvoiceDocument, styles: _Styles, qr_payload: str | None, upi_id: str | None, size: float
) -> list[Flowable]:
    if qr_payload is None or upi_id is None:
        return []
    return [
        _QrCode(qr_payload, size),
        _p(f"Scan to pay {_money(doc.amount_due)} with any UPI app", styles.small),
        _p(f"UPI ID: {upi_id.strip()}", styles.muted),
    ]


# --- A4 -------------------------------------------------------------------------------------


def _a4_story(
    doc: InvoiceDocument,
    styles: _Styles,
    logo: ImageReader | None,
    qr_payload: str | None,
    upi_id: str | None,
) -> list[Flowable]:
    width = A4[0] - 30 * mm
    branch = doc.branch
    # Rule 46(a): the supplier's legal name, address and GSTIN.
    branch_lines: list[Flowable] = [_p(doc.legal_name, styles.branch)]
    if doc.legal_name != branch.name:
        branch_lines.append(_p(f"{branch.name} branch", styles.small))
    if branch.address:
        branch_lines.append(_p(branch.address, styles.muted))
    contact = []
    if branch.phone:
        contact.append(f"Phone: {branch.phone}")
    if branch.gstin:
        contact.append(f"GSTIN: {branch.gstin}")
    if doc.branch_state:
        contact.append(f"State: {state_label(doc.branch_state)}")
    if contact:
        branch_lines.append(
            Paragraph("&nbsp;&nbsp;·&nbsp;&nbsp;".join(map(escape, contact)), styles.small)
        )
    invoice_lines = [
        _p(
            doc.heading,
            ParagraphStyle("a4-title-r", parent=styles.title, alignment=TA_RIGHT, textColor=ACCENT),
        ),
        _p(
            f"No. {doc.invoice_number}",
            ParagraphStyle("a4-no", parent=styles.right, fontName=FONT_BOLD),
        ),
        _p(f"Date: {_date_text(doc)}", styles.right),
        _p(f"Time: {_time_text(doc)}", styles.right),
    ]
    logo_cell = _logo_flowable(logo, 18 * mm)
    logo_width = 22 * mm if logo_cell else 0.0
    title_width = 80 * mm if len(doc.heading) > 12 else 62 * mm
    header = Table(
        [[logo_cell or "", branch_lines, invoice_lines]],
        colWidths=[logo_width, width - logo_width - title_width, title_width],
    )
    header.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story: list[Flowable] = [
        header,
        HRFlowable(width="100%", thickness=1.5, color=ACCENT, spaceBefore=4, spaceAfter=8),
    ]
    if doc.status == CANCELLED:
        story += [_cancelled_banner(doc, styles, width), Spacer(1, 8)]

    billed = Table(
        [
            [
                _p("BILLED TO", styles.muted),
                _p("PREPARED BY", ParagraphStyle("a4-pb", parent=styles.muted, alignment=TA_RIGHT)),
            ],
            [
                _p(
                    doc.patient_name,
                    ParagraphStyle(
                        "a4-patient",
                        parent=styles.body,
                        fontName=FONT_BOLD,
                        fontSize=styles.size + 1,
                    ),
                ),
                _p(doc.created_by or "-", styles.right),
            ],
            [
                _p(f"Mobile: {doc.patient_mobile}" if doc.patient_mobile else "", styles.body),
                _p(_place_text(doc), styles.right),
            ],
            [
                _p(f"GSTIN: {doc.recipient_gstin}" if doc.recipient_gstin else "", styles.body),
                _p("Reverse charge: No", styles.right),
            ],
        ],
        colWidths=[width * 0.6, width * 0.4],
    )
    billed.setStyle(
        _table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ]
        )
    )
    story += [billed, Spacer(1, 10)]

    left: list[Flowable] = []
    sentence = savings_sentence(doc)
    if sentence:
        saved = Table([[_p(sentence, styles.saving)]], colWidths=[width * 0.55 - 12])
        saved.setStyle(
            _table_style(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), SAVING_TINT),
                    ("LINEBEFORE", (0, 0), (0, -1), 3, SAVING),
                    ("LEFTPADDING", (0, 0), (-1, -1), 7),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        left += [saved, Spacer(1, 8)]
    left += [
        _p("Amount in words", styles.muted),
        Paragraph(f"<b>{escape(rupees_in_words(doc.total_amount))}</b>", styles.body),
    ]
    payment = _payment_block(doc, styles, qr_payload, upi_id, 30 * mm)
    if payment:
        left += [Spacer(1, 6), *payment]
    totals = _totals_table(doc, styles, [width * 0.45 - 62, 62])
    summary = Table([[left, totals]], colWidths=[width * 0.55, width * 0.45])
    summary.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    # The totals, the tax by rate and the signature stay on the page of the last line.
    tail: list[Flowable] = [summary, Spacer(1, 10)]
    tax_summary = _tax_summary_table(doc, styles, width)
    if tax_summary is not None:
        tail += [tax_summary, Spacer(1, 10)]
    tail.append(_signature_block(doc, styles, width))
    story += [_a4_lines_table(doc, styles, width, tail), Spacer(1, 8)]
    story.append(_p(_closing_note(doc), styles.muted))
    return story


def _place_text(doc: InvoiceDocument) -> str:
    place = doc.place_of_supply or doc.branch_state
    return f"Place of supply: {state_label(place)}" if place else ""


def _closing_note(doc: InvoiceDocument) -> str:
    """What the document is, in a sentence (rules 46, 46A and 49)."""
    if doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
        if not doc.branch.gstin:
            return "Bill of supply from a supplier not registered under GST: no GST is charged."
        return (
            "Bill of supply: health care services by a clinical establishment, exempt from GST "
            "(notification 12/2017-Central Tax (Rate), entry 74)."
        )
    note = "Prices include GST; the taxable value and GST are worked out from each line."
    if doc.document_type == DocumentType.INVOICE_CUM_BILL_OF_SUPPLY.value:
        note += (
            " Lines marked Exempt are health care services exempt from GST (notification "
            "12/2017-Central Tax (Rate), entry 74)."
        )
    return f"This is a computer-generated document. {note}"


def _signature_block(doc: InvoiceDocument, styles: _Styles, width: float) -> Table:
    """Rule 46(q): the supplier's signature, here its authorised signatory's line."""
    right = ParagraphStyle("a4-sign", parent=styles.right)
    block = Table(
        [
            ["", _p(f"For {doc.legal_name}", right)],
            ["", Spacer(1, 12 * mm)],
            ["", _p("Authorised signatory", right)],
        ],
        colWidths=[width * 0.5, width * 0.5],
    )
    block.setStyle(
        _table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (1, 2), (1, 2), 0.6, MUTED),
            ]
        )
    )
    return block


def _tax_summary_table(doc: InvoiceDocument, styles: _Styles, width: float) -> Table | None:
    """The tax by HSN/SAC and rate (rule 46(i)-(k)); none on a bill of supply."""
    if doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
        return None
    groups: dict[tuple[str, Decimal], list[int]] = {}
    for line in doc.lines:
        if line.taxability == EXEMPT:
            continue
        sums = groups.setdefault((line.hsn_sac or "-", line.tax_rate), [0, 0, 0, 0])
        sums[0] += line.taxable_value
        sums[1] += line.cgst_amount
        sums[2] += line.sgst_amount
        sums[3] += line.igst_amount
    if not groups:
        return None
    inter = any(sums[3] for sums in groups.values())
    head = ["HSN/SAC", "Taxable value"]
    head += ["IGST rate", "IGST"] if inter else ["CGST rate", "CGST", "SGST rate", "SGST"]
    rows: list[list[Any]] = [head]
    for (code, rate), (taxable, cgst, sgst, igst) in sorted(groups.items()):
        row = [code, _money(taxable)]
        if inter:
            row += [_percent(rate), _money(igst)]
        else:
            half = _percent(rate / 2)
            row += [half, _money(cgst), half, _money(sgst)]
        rows.append(row)
    columns = len(head)
    table = Table(rows, colWidths=[width / columns] * columns)
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, styles.size - 0.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, styles.size - 0.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), MUTED),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _a4_lines_table(
    doc: InvoiceDocument, styles: _Styles, width: float, summary: list[Flowable]
) -> Table:
    """The lines, then the summary in a last full-width row kept on a page with the last line.

    As one table, a page break repeats the column heads, and NOSPLIT keeps the totals from
    landing alone on a page with no line above them.
    """
    widths = [6 * mm, 0.0, 8 * mm, 20 * mm, 20 * mm, 21 * mm, 29 * mm, 21 * mm]
    widths[1] = width - sum(widths)
    head_style = ParagraphStyle(
        "a4-head", parent=styles.small_right, fontName=FONT_BOLD, textColor=colors.white
    )
    head: list[Any] = ["#", "Item", "Qty", "Rate", "Discount", _p("Taxable value", head_style)]
    head += ["GST", "Amount"]
    rows: list[list[Any]] = [head]
    for line in doc.lines:
        rows.append(
            [
                str(line.line_no),
                _item_cell(line, styles, show_code=True),
                str(line.quantity),
                _money(line.unit_price),
                _discount_cell(line, styles),
                _money(line.taxable_value),
                _gst_cell(doc, line, styles),
                _money(line.line_total),
            ]
        )
    blank = [""] * (len(head) - 2)
    if not doc.lines:
        rows.append(["", _p("No items", styles.muted), *blank])
    rows.append([summary, "", *blank])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, styles.size),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, styles.size),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("LINEBELOW", (0, 1), (-1, -2), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("SPAN", (0, -1), (-1, -1)),
                ("ALIGN", (0, -1), (-1, -1), "LEFT"),
                ("TOPPADDING", (0, -1), (-1, -1), 10),
                ("LEFTPADDING", (0, -1), (-1, -1), 0),
                ("RIGHTPADDING", (0, -1), (-1, -1), 0),
                ("NOSPLIT", (0, -2), (-1, -1)),
            ]
        )
    )
    return table


def _gst_cell(doc: InvoiceDocument, line: DocumentLine, styles: _Styles) -> list[Flowable]:
    """Rule 46(j)-(k): the rate and amount of CGST and SGST (or IGST) of the line."""
    if line.taxability == EXEMPT or doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
        return [_p("Exempt", styles.small_right)]
    if line.igst_amount:
        return [
            _p(f"IGST {_percent(line.tax_rate)} {_money(line.igst_amount)}", styles.small_right)
        ]
    half = _percent(line.tax_rate / 2)
    return [
        _p(f"CGST {half} {_money(line.cgst_amount)}", styles.small_right),
        _p(f"SGST {half} {_money(line.sgst_amount)}", styles.small_right),
    ]


def _item_cell(line: DocumentLine, styles: _Styles, *, show_code: bool) -> list[Flowable]:
    cell: list[Flowable] = [_p(line.item_name, styles.body)]
    codes = []
    if show_code and line.item_code:
        codes.append(line.item_code)
    if line.hsn_sac:
        codes.append(f"{'SAC' if line.item_type == 'service' else 'HSN'} {line.hsn_sac}")
    if codes:
        cell.append(_p("  ·  ".join(codes), styles.muted))
    if line.badge_text:
        cell.append(_p(line.badge_text, styles.badge))
    return cell


def _discount_cell(line: DocumentLine, styles: _Styles) -> list[Flowable] | str:
    if not line.discount_amount:
        return "-"
    note = _percent(line.discount_percent) if line.discount_percent else ""
    if line.discount_type == "manual":
        note = f"{note} manual".strip()
    cell: list[Flowable] = [_p(_minus(line.discount_amount), styles.right)]
    if note:
        cell.append(_p(note, styles.small_right))
    return cell


# --- 80 mm receipt ------------------------------------------------------------------------


def _receipt_story(
    doc: InvoiceDocument,
    styles: _Styles,
    logo: ImageReader | None,
    qr_payload: str | None,
    upi_id: str | None,
) -> list[Flowable]:
    width = RECEIPT_WIDTH - 8 * mm
    centre_small = ParagraphStyle("receipt-centre-small", parent=styles.muted, alignment=TA_CENTER)
    branch = doc.branch
    story: list[Flowable] = []
    logo_cell = _logo_flowable(logo, 12 * mm)
    if logo_cell is not None:
        logo_cell.hAlign = "CENTER"
        story += [logo_cell, Spacer(1, 2)]
    story.append(
        _p(
            branch.name,
            ParagraphStyle(
                "receipt-branch",
                parent=styles.branch,
                alignment=TA_CENTER,
                fontSize=styles.size + 3,
                leading=(styles.size + 3) * 1.25,
            ),
        )
    )
    if branch.address:
        story.append(_p(branch.address, centre_small))
    if branch.phone:
        story.append(_p(f"Phone: {branch.phone}", centre_small))
    if branch.gstin:
        story.append(_p(f"GSTIN: {branch.gstin}", centre_small))
    if doc.legal_name != branch.name:
        story.append(_p(doc.legal_name, centre_small))
    story += [
        Spacer(1, 4),
        _p(
            doc.heading,
            ParagraphStyle(
                "receipt-title",
                parent=styles.centre,
                fontName=FONT_BOLD,
                fontSize=styles.size + 1.5,
                textColor=ACCENT,
            ),
        ),
        Spacer(1, 3),
    ]
    if doc.status == CANCELLED:
        story += [_cancelled_banner(doc, styles, width), Spacer(1, 4)]
    facts: list[list[Any]] = [
        ["Invoice", doc.invoice_number],
        ["Date", f"{_date_text(doc)}, {_time_text(doc)}"],
        ["Patient", _p(doc.patient_name, styles.body)],
    ]
    if doc.patient_mobile:
        facts.append(["Mobile", doc.patient_mobile])
    if doc.recipient_gstin:
        facts.append(["GSTIN", doc.recipient_gstin])
    place = doc.place_of_supply or doc.branch_state
    if place:
        facts.append(["Supply", _p(state_label(place), styles.body)])
    facts_table = Table(facts, colWidths=[15 * mm, width - 15 * mm])
    facts_table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, styles.size),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ]
        )
    )
    story += [facts_table, _rule(), _receipt_lines_table(doc, styles, width), _rule()]
    story.append(_totals_table(doc, styles, [width - 24 * mm, 24 * mm]))
    story.append(_rule())
    sentence = savings_sentence(doc)
    if sentence:
        story += [
            _p(
                sentence,
                ParagraphStyle("receipt-saving", parent=styles.saving, alignment=TA_CENTER),
            ),
            Spacer(1, 3),
        ]
    story += [
        _p(
            rupees_in_words(doc.total_amount),
            ParagraphStyle("receipt-words", parent=styles.small, alignment=TA_CENTER),
        ),
    ]
    payment = _payment_block(doc, styles, qr_payload, upi_id, 30 * mm)
    if payment:
        qr, *captions = payment
        qr.hAlign = "CENTER"
        story += [Spacer(1, 4), qr]
        for caption in captions:
            if isinstance(caption, Paragraph):
                caption.style = ParagraphStyle(
                    f"{caption.style.name}-c", parent=caption.style, alignment=TA_CENTER
                )
            story.append(caption)
    story += [
        Spacer(1, 6),
        _p(f"Thank you for visiting {branch.name}!", styles.centre),
        _p(f"Prepared by {doc.created_by}" if doc.created_by else "", centre_small),
        _p(_closing_note(doc), centre_small),
    ]
    return story


def _rule() -> HRFlowable:
    return HRFlowable(
        width="100%", thickness=0.6, color=MUTED, dash=[2, 2], spaceBefore=4, spaceAfter=4
    )


def _receipt_lines_table(doc: InvoiceDocument, styles: _Styles, width: float) -> Table:
    rows: list[list[Any]] = [["Item", "Amount"]]
    for line in doc.lines:
        gst = "Exempt" if line.taxability == EXEMPT else f"GST {_percent(line.tax_rate)}"
        if doc.document_type == DocumentType.BILL_OF_SUPPLY.value:
            gst = ""
        code = f"  {line.hsn_sac}" if line.hsn_sac else ""
        cell = [
            _p(line.item_name, styles.body),
            _p(f"{line.quantity} x {_money(line.unit_price)}  {gst}{code}".rstrip(), styles.muted),
        ]
        if line.discount_amount:
            percent = f" ({_percent(line.discount_percent)})" if line.discount_percent else ""
            cell.append(_p(f"Discount {_minus(line.discount_amount)}{percent}", styles.muted))
        if line.badge_text:
            cell.append(_p(line.badge_text, styles.badge))
        rows.append([cell, _money(line.line_total)])
    table = Table(rows, colWidths=[width - 22 * mm, 22 * mm], repeatRows=1)
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, styles.size),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, styles.size),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, MUTED),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _receipt_height(story: Sequence[Flowable], width: float, margins: tuple[float, ...]) -> float:
    """A page as long as the receipt: the flowables' heights, their spacing and the margins."""
    total = 0.0
    for flowable in story:
        _w, height = flowable.wrap(width, _MAX_PAGE_HEIGHT)
        total += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    # A little slack: the frame rounds and the printer's cutter needs a tail anyway.
    return min(total + margins[2] + margins[3] + 6 * mm, _MAX_PAGE_HEIGHT)


# --- pages ----------------------------------------------------------------------------------


def _page_background(doc: InvoiceDocument, canvas: Canvas, template: BaseDocTemplate) -> None:
    """Behind each page's content: a CANCELLED watermark on a cancelled invoice."""
    if doc.status != CANCELLED:
        return
    width, height = template.pagesize
    canvas.saveState()
    canvas.setFillColor(ALERT)
    canvas.setFillAlpha(0.10)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(35)
    size = min(width, height) / 6
    canvas.setFont(FONT_BOLD, size)
    canvas.drawCentredString(0, -size / 3, "CANCELLED")
    canvas.restoreState()


def _draw_page_text(
    doc: InvoiceDocument,
    variant: Variant,
    margins: tuple[float, ...],
    pagesize: tuple[float, float],
    canvas: Canvas,
    page: int,
    pages: int,
) -> None:
    """The footer (thanks, who prepared it, page x of y) and, on later A4 pages, a running head."""
    width, height = pagesize
    left, right, top, bottom = margins
    canvas.saveState()
    canvas.setFillColor(MUTED)
    if variant == "a4":
        y = bottom - 9 * mm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(left, y + 9, width - right, y + 9)
        canvas.setFont(FONT, 7.5)
        thanks = f"Thank you for visiting {doc.branch.name}!"
        if doc.created_by:
            thanks += f"   Prepared by {doc.created_by}"
        canvas.drawString(left, y, thanks)
        canvas.drawRightString(width - right, y, f"{doc.invoice_number}   Page {page} of {pages}")
        if page > 1:
            head = height - top + 4 * mm
            title = doc.heading.capitalize()
            canvas.drawString(
                left, head, f"{doc.legal_name}   {title} {doc.invoice_number} (continued)"
            )
            canvas.drawRightString(width - right, head, doc.patient_name)
    elif pages > 1:
        canvas.setFont(FONT, 6.5)
        canvas.drawCentredString(
            width / 2, 2.5 * mm, f"{doc.invoice_number}   Page {page} of {pages}"
        )
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so that each footer can say 'Page 2 of 3'."""

    def __init__(
        self, *args: Any, footer: Callable[[Canvas, int, int], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._held_pages.append(dict(self.__dict__))
        # What Canvas.showPage does after writing a page; the page is written in save().
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        pages = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, pages)
            super().showPage()
        super().save()
