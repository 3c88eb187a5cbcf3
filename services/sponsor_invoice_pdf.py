"""A sponsor invoice as an A4 PDF (issue #17): a tax invoice under GST rule 46 for the
advertising service (SAC 998366, sale of other advertising space), with the period's
statement (impressions billed, clicks and conversions counted from the impressions), the
tax split and the amount due. A final settlement that refunds is a credit note instead
(section 34, rule 53(1A); domain.sponsor_billing rule 12): so titled, in its own series,
naming the deposit's tax invoice it corrects and why, and crediting the taxable value and
its GST. Drawn in the invoice's fonts and styles (services.invoice_pdf), as the Z report
is."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from domain.gst import state_label
from domain.log import pdf as log
from domain.sponsor_billing import GST_RATE, SAC
from services.invoice_pdf import (
    ACCENT,
    ACCENT_TINT,
    FONT_BOLD,
    MUTED,
    RULE,
    _money,
    _p,
    _styles,
    _table_style,
    write_a4,
)
from services.sponsors import SponsorInvoiceDocument

KIND = {
    "deposit": "Deposit",
    "recurring": "Recurring",
    "final_settlement": "Final settlement",
}


def _party(title: str, lines: list[str], styles: Any) -> list[Any]:
    return [_p(title, styles.muted)] + [_p(line, styles.body) for line in lines if line]


def _statement(doc: SponsorInvoiceDocument, width: float) -> Table:
    i = doc.invoice
    half = "" if i.tax == 0 else f"{GST_RATE / 2:g}%"
    rows: list[list[Any]] = [["Statement", ""]]
    if i.invoice_type != "deposit":
        rows += [
            ["Impressions billed", f"{i.impressions:,}"],
            ["Clicks in the period", f"{i.clicks:,}"],
            ["Conversions in the period", f"{i.conversions:,}"],
            ["Rate per impression", _money(i.rate)],
        ]
    rows.append(["Amount (impressions x rate)" if i.impressions else "Deposit", _money(i.amount)])
    if i.discount:
        rows.append(["Less discount", "-" + _money(i.discount)])
    if i.invoice_type == "final_settlement" and i.deposit_amount:
        rows.append(["Less deposit invoiced", "-" + _money(i.deposit_amount)])
    credited = " credited" if i.refund else ""
    rows.append([f"Taxable value{credited}", _money(i.taxable)])
    if i.igst:
        rows.append([f"IGST {GST_RATE:g}%{credited}", _money(i.igst)])
    else:
        rows += [
            [f"CGST {half}{credited}", _money(i.cgst)],
            [f"SGST {half}{credited}", _money(i.sgst)],
        ]
    if i.refund:
        rows.append(["To refund to the sponsor", _money(i.refund)])
    else:
        rows += [
            ["Invoice total", _money(i.total)],
            ["Paid", _money(doc.paid)],
            ["Amount due", _money(i.outstanding)],
        ]
    table = Table(rows, colWidths=[width * 0.6, width * 0.4], hAlign="LEFT")
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("FONT", (0, -1), (-1, -1), FONT_BOLD, 10),
                ("BACKGROUND", (0, -1), (-1, -1), ACCENT_TINT),
            ]
        )
    )
    return table


def _story(doc: SponsorInvoiceDocument, width: float) -> list[Any]:
    styles = _styles("a4")
    i = doc.invoice
    period = (
        f"{i.period_start:%d %b %Y} to {i.period_end:%d %b %Y}"
        if i.period_start and i.period_end
        else "-"
    )
    credit = bool(doc.against)
    noun = "Note" if credit else "Invoice"
    head = [
        [f"{noun} number", i.invoice_number, f"{noun} date", f"{i.invoice_date:%d %b %Y}"],
        [
            "Kind",
            KIND.get(i.invoice_type, i.invoice_type),
            "Refund by" if credit else "Due date",
            f"{i.due_date:%d %b %Y}",
        ],
        ["Campaign", f"{doc.campaign_code}", "Billing cycle", str(i.billing_cycle_number)],
        ["Period", period, "Reverse charge", "No"],
        ["Place of supply", state_label(i.place_of_supply), "SAC", SAC],
    ]
    head_table = Table(
        head, colWidths=[width * 0.17, width * 0.38, width * 0.17, width * 0.28], hAlign="LEFT"
    )
    head_table.setStyle(
        _table_style(
            [
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("TEXTCOLOR", (2, 0), (2, -1), MUTED),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
            ]
        )
    )
    supplier = _party(
        "From (supplier)",
        [
            doc.clinic_name,
            doc.clinic_address,
            f"GSTIN {doc.clinic_gstin}" if doc.clinic_gstin else "",
            f"State {state_label(doc.clinic_state)}" if doc.clinic_state else "",
        ],
        styles,
    )
    recipient = _party(
        "To (recipient)",
        [
            doc.sponsor_name,
            doc.sponsor_address,
            f"GSTIN {doc.sponsor_gstin}" if doc.sponsor_gstin else "GSTIN: unregistered",
            f"State {state_label(doc.sponsor_state)}",
        ],
        styles,
    )
    parties = Table([[supplier, recipient]], colWidths=[width / 2, width / 2], hAlign="LEFT")
    parties.setStyle(
        _table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story: list[Any] = [
        _p(doc.clinic_name, styles.branch),
        _p(doc.title, styles.title),
        _p(f"Sponsored promotion: {doc.campaign_name}", styles.body),
        Spacer(1, 4 * mm),
        parties,
        Spacer(1, 4 * mm),
        head_table,
    ]
    if credit:
        invoices = ", ".join(f"{number} dated {day:%d %b %Y}" for number, day in doc.against)
        story += [
            Spacer(1, 3 * mm),
            _p(f"Against tax invoice {invoices}", styles.body),
            _p(
                "Reason: the deposit invoiced exceeds the value of the advertising supplied "
                "(section 34(1) of the CGST Act). The taxable value and GST below are credited "
                "and refunded to the sponsor.",
                styles.muted,
            ),
        ]
    story += [
        Spacer(1, 6 * mm),
        _statement(doc, width * 0.7),
    ]
    if doc.payments:
        story += [Spacer(1, 5 * mm), _p("Payments received", styles.title)]
        rows: list[list[Any]] = [["Date", "Method", "Reference", "Amount"]]
        rows += [
            [f"{at:%d %b %Y}", method.replace("_", " "), ref or "-", _money(amount)]
            for at, amount, method, ref in doc.payments
        ]
        table = Table(rows, colWidths=[width * 0.2, width * 0.2, width * 0.35, width * 0.25])
        table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
                    ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                    ("ALIGN", (3, 0), (3, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ]
            )
        )
        story.append(table)
    story += [
        Spacer(1, 6 * mm),
        _p(
            "Impressions are counted once per patient, badge and day, when the badge was shown "
            "for at least one second on a focused screen or printed on an invoice.",
            styles.muted,
        ),
        Spacer(1, 14 * mm),
    ]
    sign = Table(
        [[f"For {doc.clinic_name}"], ["Authorised signatory"]],
        colWidths=[width * 0.45],
        hAlign="RIGHT",
    )
    sign.setStyle(
        _table_style(
            [("LINEBELOW", (0, 0), (0, 0), 0.6, ACCENT), ("TEXTCOLOR", (0, 1), (0, 1), MUTED)]
        )
    )
    story.append(sign)
    return story


def render_sponsor_invoice_pdf(doc: SponsorInvoiceDocument, target: Path | BinaryIO) -> None:
    """Write the sponsor invoice as an A4 PDF."""
    write_a4(
        target,
        title=f"Sponsor {'credit note' if doc.against else 'invoice'} {doc.invoice.invoice_number}",
        author=doc.clinic_name,
        story=lambda width: _story(doc, width),
    )
    log.info("Wrote sponsor invoice %s", doc.invoice.invoice_number)
