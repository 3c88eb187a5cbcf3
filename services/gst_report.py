"""The month's GST summary for the accountant, in the sections of GSTR-1 (issue #12).

Sections, over the issued invoices dated in the month (cancelled ones only count in the
documents issued; history imported from an earlier system is left out, it carries no GST):

- b2b: each invoice to a registered recipient (with a GSTIN), by rate.
- b2cl: inter-state invoices to unregistered recipients above Rs.1,00,000, by rate.
- b2cs: every other sale to unregistered recipients, by place of supply and rate.
- nil: exempt supplies, intra-state and inter-state, to registered and unregistered.
- cdnr / cdnur: the month's credit notes (issue #11): cdnr those on invoices to registered
  recipients, cdnur those on B2CL invoices, each with its original invoice and its tax by
  rate. Credit notes on other B2C invoices are netted from b2cs and nil, as GSTR-1 asks;
  the HSN summary and the total are net of every credit note (a refund counts once, in
  its own month).
- hsn: by HSN/SAC and rate (exempt lines at 0): quantity, value, taxable value and tax.
- doc_issue: the invoice numbers issued, from and to, how many, how many cancelled; and the
  credit notes' numbers likewise.

Amounts are paise here; the JSON and CSV say rupees.
"""

from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import CreditNote, CreditNoteLine, InvoiceHeader, InvoiceLineItem
from domain.bounds import csv_cell
from domain.errors import BadInput
from domain.gst import Taxability
from domain.permissions import require
from services.auth import CurrentUser
from services.branch import get_branch
from services.documents import rupees

# GSTR-1's threshold for a large B2C inter-state invoice (Rs.1,00,000 since August 2024).
B2CL_THRESHOLD = 1_00_000_00


class GstReportError(BadInput):
    """A month that cannot be read."""


@dataclass
class Tax:
    """Taxable value and tax, in paise."""

    taxable_value: int = 0
    igst: int = 0
    cgst: int = 0
    sgst: int = 0

    def add(self, line: InvoiceLineItem | CreditNoteLine, sign: int = 1) -> None:
        self.taxable_value += sign * line.taxable_value
        self.igst += sign * line.igst_amount
        self.cgst += sign * line.cgst_amount
        self.sgst += sign * line.sgst_amount

    def json(self) -> dict[str, str]:
        return {
            "txval": rupees(self.taxable_value),
            "iamt": rupees(self.igst),
            "camt": rupees(self.cgst),
            "samt": rupees(self.sgst),
        }


@dataclass
class InvoiceTax:
    """One B2B or B2CL invoice: its particulars and its tax by rate."""

    number: str
    invoice_date: date
    value: int
    place_of_supply: str
    recipient_gstin: str
    rates: dict[Decimal, Tax] = field(default_factory=dict)


@dataclass
class NoteTax:
    """One CDNR or CDNUR credit note: its particulars, its invoice's, its tax by rate."""

    number: str
    note_date: date
    value: int
    invoice_number: str
    invoice_date: date
    place_of_supply: str
    recipient_gstin: str
    rates: dict[Decimal, Tax] = field(default_factory=dict)


@dataclass
class HsnRow:
    """One HSN/SAC at one rate."""

    hsn_sac: str
    description: str
    unit: str
    rate: Decimal
    quantity: int = 0
    value: int = 0
    tax: Tax = field(default_factory=Tax)


@dataclass
class _Books:
    """The sections every line is posted to (b2cs, nil, hsn): an invoice's lines add, a
    credit note's lines take away."""

    b2cs: defaultdict[tuple[str, Decimal], Tax] = field(default_factory=lambda: defaultdict(Tax))
    nil: dict[str, int] = field(
        default_factory=lambda: {"intra_b2b": 0, "intra_b2c": 0, "inter_b2b": 0, "inter_b2c": 0}
    )
    hsn: dict[tuple[str, Decimal], HsnRow] = field(default_factory=dict)

    def post(
        self,
        line: InvoiceLineItem | CreditNoteLine,
        category: str,
        *,
        place: str,
        inter: bool,
        registered: bool,
        own: dict[Decimal, Tax] | None,
        sign: int = 1,
    ) -> None:
        """An exempt line to nil; a taxable one to its document's own rates (`own`: B2B,
        B2CL, CDNR, CDNUR, always added) or to b2cs; every line to the HSN summary."""
        if line.taxability == Taxability.EXEMPT.value:
            key = f"{'inter' if inter else 'intra'}_{'b2b' if registered else 'b2c'}"
            self.nil[key] += sign * line.line_total
        elif own is not None:
            own.setdefault(line.tax_rate, Tax()).add(line)
        else:
            self.b2cs[(place, line.tax_rate)].add(line, sign)
        # The HSN summary covers every line, exempt ones at rate 0.
        row = self.hsn.setdefault(
            (line.hsn_sac, line.tax_rate),
            HsnRow(
                line.hsn_sac,
                category,
                "OTH" if line.item_type == "service" else "NOS",
                line.tax_rate,
            ),
        )
        row.quantity += sign * line.quantity
        row.value += sign * line.line_total
        row.tax.add(line, sign)


@dataclass
class GstSummary:
    """The month's sections (see the module's docstring)."""

    gstin: str
    month: str
    b2b: list[InvoiceTax]
    b2cl: list[InvoiceTax]
    b2cs: dict[tuple[str, Decimal], Tax]
    nil: dict[str, int]
    hsn: list[HsnRow]
    documents: dict[str, Any]
    cdnr: list[NoteTax] = field(default_factory=list)
    cdnur: list[NoteTax] = field(default_factory=list)

    @property
    def total(self) -> Tax:
        """The month's taxable value and tax (the HSN summary covers every line once)."""
        total = Tax()
        for row in self.hsn:
            total.taxable_value += row.tax.taxable_value
            total.igst += row.tax.igst
            total.cgst += row.tax.cgst
            total.sgst += row.tax.sgst
        return total


def month_bounds(text: str) -> tuple[date, date]:
    """'2026-11' -> (1 Nov 2026, 30 Nov 2026)."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise GstReportError(f"'{text}' is not a month like 2026-11") from None
    return first, date(year, month, calendar.monthrange(year, month)[1])


def gst_summary(db: Database, actor: CurrentUser, month: str) -> GstSummary:
    """The GSTR-1 sections of `month` ('2026-11') for this branch (manager)."""
    require(actor.role, "gst.read")
    first, last = month_bounds(month)
    branch = get_branch(db)
    home = branch.details.state_code or ""
    with db.session(write=False) as session:
        invoices = session.scalars(
            select(InvoiceHeader)
            .where(
                InvoiceHeader.invoice_date.between(first, last),
                InvoiceHeader.is_history.is_(False),
            )
            .order_by(InvoiceHeader.invoice_date, InvoiceHeader.sequence_no)
        ).all()
        b2b: list[InvoiceTax] = []
        b2cl: list[InvoiceTax] = []
        books = _Books()
        for invoice in invoices:
            if invoice.status != "issued":
                continue
            place = invoice.place_of_supply or home
            inter = bool(home) and place != home
            registered = bool(invoice.recipient_gstin)
            large = not registered and inter and invoice.total_amount > B2CL_THRESHOLD
            own = InvoiceTax(
                invoice.invoice_number,
                invoice.invoice_date,
                invoice.total_amount,
                place,
                invoice.recipient_gstin,
            )
            for line in invoice.lines:
                books.post(
                    line,
                    line.category,
                    place=place,
                    inter=inter,
                    registered=registered,
                    own=own.rates if registered or large else None,
                )
            if own.rates:
                (b2b if registered else b2cl).append(own)
        cdnr, cdnur = _credit_notes(session, first, last, home, books)
        numbered = [i for i in invoices if i.sequence_no is not None]
        documents = {
            "from": numbered[0].invoice_number if numbered else None,
            "to": numbered[-1].invoice_number if numbered else None,
            "total": len(numbered),
            "cancelled": sum(1 for i in numbered if i.status == "cancelled"),
            "credit_notes": _note_numbers(session, first, last),
        }
    return GstSummary(
        branch.details.gstin,
        month,
        b2b,
        b2cl,
        dict(books.b2cs),
        books.nil,
        sorted(books.hsn.values(), key=lambda r: (r.hsn_sac, r.rate)),
        documents,
        cdnr,
        cdnur,
    )


def _credit_notes(
    session: Session,
    first: date,
    last: date,
    home: str,
    books: _Books,
) -> tuple[list[NoteTax], list[NoteTax]]:
    """The month's credit notes: CDNR and CDNUR entries, the rest netted from b2cs and
    nil; every line netted from the HSN summary (see the module's docstring)."""
    cdnr: list[NoteTax] = []
    cdnur: list[NoteTax] = []
    rows = session.execute(
        select(CreditNote, InvoiceHeader)
        .join(InvoiceHeader, InvoiceHeader.id == CreditNote.invoice_id)
        .where(CreditNote.note_date.between(first, last), InvoiceHeader.is_history.is_(False))
        .order_by(CreditNote.note_date, CreditNote.sequence_no)
    ).all()
    categories = {line.id: line.category for _note, invoice in rows for line in invoice.lines}
    for note, invoice in rows:
        place = note.place_of_supply or home
        inter = bool(home) and place != home
        registered = bool(note.recipient_gstin)
        large = not registered and inter and invoice.total_amount > B2CL_THRESHOLD
        own = NoteTax(
            note.number,
            note.note_date,
            note.total_amount,
            invoice.invoice_number,
            invoice.invoice_date,
            place,
            note.recipient_gstin,
        )
        for line in note.lines:
            # A CDNR/CDNUR note's own rates are positive: GSTR-1 subtracts the section.
            books.post(
                line,
                categories.get(line.invoice_line_id, ""),
                place=place,
                inter=inter,
                registered=registered,
                own=own.rates if registered or large else None,
                sign=-1,
            )
        if own.rates:
            (cdnr if registered else cdnur).append(own)
    return cdnr, cdnur


def _note_numbers(session: Session, first: date, last: date) -> dict[str, Any]:
    numbers = session.scalars(
        select(CreditNote.number)
        .where(CreditNote.note_date.between(first, last))
        .order_by(CreditNote.fiscal_year, CreditNote.sequence_no)
    ).all()
    return {
        "from": numbers[0] if numbers else None,
        "to": numbers[-1] if numbers else None,
        "total": len(numbers),
    }


def _note_json(note: NoteTax, *, b2cl: bool) -> dict[str, Any]:
    return {
        **({"typ": "B2CL"} if b2cl else {"ctin": note.recipient_gstin}),
        "nt_num": note.number,
        "nt_dt": note.note_date.isoformat(),
        "ntty": "C",
        "val": rupees(note.value),
        "pos": note.place_of_supply,
        "rchrg": "N",
        "inum": note.invoice_number,
        "idt": note.invoice_date.isoformat(),
        "itms": [
            {"rt": str(rate.normalize()), **tax.json()} for rate, tax in sorted(note.rates.items())
        ],
    }


def _invoice_json(invoice: InvoiceTax) -> dict[str, Any]:
    return {
        "ctin": invoice.recipient_gstin or None,
        "inum": invoice.number,
        "idt": invoice.invoice_date.isoformat(),
        "val": rupees(invoice.value),
        "pos": invoice.place_of_supply,
        "rchrg": "N",
        "itms": [
            {"rt": str(rate.normalize()), **tax.json()}
            for rate, tax in sorted(invoice.rates.items())
        ],
    }


def summary_json(summary: GstSummary) -> dict[str, Any]:
    """The summary in GSTR-1's section names, amounts in rupees."""
    return {
        "gstin": summary.gstin,
        "fp": summary.month,
        "b2b": [_invoice_json(i) for i in summary.b2b],
        "b2cl": [_invoice_json(i) for i in summary.b2cl],
        "b2cs": [
            {"pos": place, "rt": str(rate.normalize()), "typ": "OE", **tax.json()}
            for (place, rate), tax in sorted(summary.b2cs.items())
        ],
        "nil": {key: rupees(value) for key, value in summary.nil.items()},
        "cdnr": [_note_json(n, b2cl=False) for n in summary.cdnr],
        "cdnur": [_note_json(n, b2cl=True) for n in summary.cdnur],
        "hsn": [
            {
                "hsn_sc": row.hsn_sac,
                "desc": row.description,
                "uqc": row.unit,
                "qty": row.quantity,
                "val": rupees(row.value),
                "rt": str(row.rate.normalize()),
                **row.tax.json(),
            }
            for row in summary.hsn
        ],
        "doc_issue": summary.documents,
        "total": summary.total.json(),
    }


def write_csv(summary: GstSummary, folder: Path) -> list[Path]:
    """One CSV per section in `folder`; returns the files written."""
    data = summary_json(summary)
    docs = data["doc_issue"]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    tables: dict[str, list[dict[str, Any]]] = {
        "b2b": [
            {**{k: v for k, v in i.items() if k != "itms"}, **item}
            for i in data["b2b"]
            for item in i["itms"]
        ],
        "b2cl": [
            {**{k: v for k, v in i.items() if k != "itms"}, **item}
            for i in data["b2cl"]
            for item in i["itms"]
        ],
        "b2cs": data["b2cs"],
        "cdnr": [
            {**{k: v for k, v in n.items() if k != "itms"}, **item}
            for n in data["cdnr"]
            for item in n["itms"]
        ],
        "cdnur": [
            {**{k: v for k, v in n.items() if k != "itms"}, **item}
            for n in data["cdnur"]
            for item in n["itms"]
        ],
        "nil": [{"section": k, "value": v} for k, v in data["nil"].items()],
        "hsn": data["hsn"],
        "doc_issue": [
            {"nature": "invoices", **{k: v for k, v in docs.items() if k != "credit_notes"}},
            {"nature": "credit_notes", **docs["credit_notes"]},
        ],
    }
    for name, rows in tables.items():
        path = folder / f"gst-{summary.month}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            columns = list(rows[0]) if rows else ["(none)"]
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
        written.append(path)
    return written
