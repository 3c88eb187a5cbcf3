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

The sponsor documents (issue #17) are supplies of the branch too: a sponsor tax invoice is
one taxable line of advertising (SAC 998366, 18%) to the sponsor, placed in the sponsor's
state, posted like a counter invoice (b2b with the sponsor's GSTIN; b2cs or b2cl for a
sponsor without one) and to the HSN summary; a sponsor credit note (a final settlement
that refunds, domain.sponsor_billing rule 12) is posted like a counter credit note (cdnr
for a registered sponsor), naming the campaign's deposit invoice it corrects. Their
series are counted apart in doc_issue (`sponsor_invoices`, `sponsor_credit_notes`). On
the centre the summary reads the documents the branches pushed, their sponsor invoices and
credit notes included, and (for the whole chain) those the head office issued on the
centre itself. A sponsor document gives the recipient's GSTIN it carries from its issue
(migration 0016); one pushed before carries none, and its sponsor's pushed GSTIN stands in.

Amounts are paise here; the JSON and CSV say rupees.
"""

from __future__ import annotations

import calendar
import csv
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import central_reports
from db.engine import Database
from db.models import (
    CreditNote,
    CreditNoteLine,
    InvoiceHeader,
    InvoiceLineItem,
    SponsorInvoice,
)
from domain.bounds import csv_cell
from domain.errors import BadInput
from domain.gst import Taxability
from domain.money import rupees_to_paise
from domain.permissions import require
from domain.sponsor_billing import GST_RATE, SAC, SponsorInvoiceType
from services.auth import CurrentUser
from services.branch import get_branch
from services.documents import rupees

# GSTR-1's threshold for a large B2C inter-state invoice (Rs.1,00,000 since August 2024).
B2CL_THRESHOLD = 1_00_000_00
# The HSN summary's description of the sponsor documents' one line.
SPONSOR_SUPPLY = "Advertising space (sponsored promotions)"


class GstReportError(BadInput):
    """A month that cannot be read."""


@dataclass(frozen=True)
class TaxLine:
    """One line of an invoice or credit note as the summary reads it (paise): from the
    branch's rows, or from the documents pushed to the centre."""

    hsn_sac: str
    category: str
    item_type: str
    taxability: str
    tax_rate: Decimal
    quantity: int
    line_total: int
    taxable_value: int
    igst_amount: int
    cgst_amount: int
    sgst_amount: int


@dataclass(frozen=True)
class InvoiceRecord:
    """An invoice dated in the month (history left out), with its lines."""

    number: str
    invoice_date: date
    issued: bool
    numbered: bool
    place_of_supply: str
    recipient_gstin: str
    total_amount: int
    lines: tuple[TaxLine, ...]


@dataclass(frozen=True)
class NoteRecord:
    """A credit note dated in the month, with its lines and its invoice's particulars."""

    number: str
    note_date: date
    total_amount: int
    place_of_supply: str
    recipient_gstin: str
    invoice_number: str
    invoice_date: date
    invoice_total: int
    lines: tuple[TaxLine, ...]


@dataclass
class Tax:
    """Taxable value and tax, in paise."""

    taxable_value: int = 0
    igst: int = 0
    cgst: int = 0
    sgst: int = 0

    def add(self, line: TaxLine, sign: int = 1) -> None:
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
        line: TaxLine,
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
                line.category,
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


def gst_summary(
    db: Database, actor: CurrentUser, month: str, *, branches: Sequence[str] = ()
) -> GstSummary:
    """The GSTR-1 sections of `month` ('2026-11') for this branch (manager); on the centre
    (the head office), for the branches with the codes `branches` (none: every branch),
    read from the documents they pushed."""
    require(actor.role, "gst.read")
    first, last = month_bounds(month)
    if db.on_centre:
        return _chain_summary(db, month, first, last, branches)
    if branches:
        raise GstReportError(
            "A branch filter is for the head office: run the report on the centre "
            "(frontdesk --central URL ...)."
        )
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
        records = [
            InvoiceRecord(
                invoice.invoice_number,
                invoice.invoice_date,
                invoice.status == "issued",
                invoice.sequence_no is not None,
                invoice.place_of_supply,
                invoice.recipient_gstin,
                invoice.total_amount,
                tuple(_row_line(line, line.category) for line in invoice.lines),
            )
            for invoice in invoices
        ]
        notes = _branch_notes(session, first, last)
        numbers = session.scalars(
            select(CreditNote.number)
            .where(CreditNote.note_date.between(first, last))
            .order_by(CreditNote.fiscal_year, CreditNote.sequence_no)
        ).all()
        sponsored = _sponsor_documents(session, first, last)
    books = _Books()
    posted = _post(books, home, [*records, *sponsored.invoices], [*notes, *sponsored.notes])
    documents = _documents(records, numbers) | _sponsor_series(sponsored)
    return _summary(branch.details.gstin, month, books, posted, documents)


def _sponsor_series(sponsored: _Sponsored) -> dict[str, Any]:
    """doc_issue's sponsor series: the tax invoices' and the credit notes'."""
    return {
        "sponsor_invoices": _series([i.number for i in sponsored.invoices]),
        "sponsor_credit_notes": _series([n.number for n in sponsored.notes]),
    }


def _summary(
    gstin: str, month: str, books: _Books, posted: _Posted, documents: dict[str, Any]
) -> GstSummary:
    """The summary from the books its documents were posted to (a branch's or the chain's)."""
    return GstSummary(
        gstin,
        month,
        posted.b2b,
        posted.b2cl,
        dict(books.b2cs),
        books.nil,
        sorted(books.hsn.values(), key=lambda r: (r.hsn_sac, r.rate)),
        documents,
        posted.cdnr,
        posted.cdnur,
    )


def _row_line(line: InvoiceLineItem | CreditNoteLine, category: str) -> TaxLine:
    return TaxLine(
        line.hsn_sac,
        category,
        line.item_type,
        line.taxability,
        line.tax_rate,
        line.quantity,
        line.line_total,
        line.taxable_value,
        line.igst_amount,
        line.cgst_amount,
        line.sgst_amount,
    )


def _branch_notes(session: Session, first: date, last: date) -> list[NoteRecord]:
    """The branch's credit notes of the month on invoices of its own (not history)."""
    rows = session.execute(
        select(CreditNote, InvoiceHeader)
        .join(InvoiceHeader, InvoiceHeader.id == CreditNote.invoice_id)
        .where(CreditNote.note_date.between(first, last), InvoiceHeader.is_history.is_(False))
        .order_by(CreditNote.note_date, CreditNote.sequence_no)
    ).all()
    categories = {line.id: line.category for _note, invoice in rows for line in invoice.lines}
    return [
        NoteRecord(
            note.number,
            note.note_date,
            note.total_amount,
            note.place_of_supply,
            note.recipient_gstin,
            invoice.invoice_number,
            invoice.invoice_date,
            invoice.total_amount,
            tuple(_row_line(line, categories.get(line.invoice_line_id, "")) for line in note.lines),
        )
        for note, invoice in rows
    ]


@dataclass(frozen=True)
class _Sponsored:
    """The month's sponsor tax invoices and credit notes, each in its series' order."""

    invoices: list[InvoiceRecord]
    notes: list[NoteRecord]


@dataclass(frozen=True)
class _SponsorDocument:
    """What GSTR-1 reads of a sponsor tax invoice or credit note (paise), from the row at
    the branch or the document it pushed to the centre."""

    number: str
    invoice_date: date
    place_of_supply: str
    recipient_gstin: str
    total: int
    refund: int
    taxable: int
    igst: int
    cgst: int
    sgst: int

    @classmethod
    def of_row(cls, row: SponsorInvoice) -> _SponsorDocument:
        return cls(
            row.invoice_number,
            row.invoice_date,
            row.place_of_supply,
            # The sponsor's GSTIN as it was when the document was issued (migration 0016).
            row.sponsor_gstin,
            row.total_amount,
            row.refund_amount,
            row.taxable_amount,
            row.igst_amount,
            row.cgst_amount,
            row.sgst_amount,
        )

    @classmethod
    def of_payload(cls, payload: dict[str, Any], gstin: str) -> _SponsorDocument:
        """A pushed sponsor invoice (services.documents.sponsor_row_json); `gstin` stands in
        for the recipient's when a document from before migration 0016 does not carry it."""
        return cls(
            payload["invoice_number"],
            date.fromisoformat(payload["invoice_date"]),
            payload.get("place_of_supply") or "",
            payload.get("sponsor_gstin") or gstin,
            document_paise(payload.get("total_amount")),
            document_paise(payload.get("refund_amount")),
            document_paise(payload.get("taxable_amount")),
            document_paise(payload.get("igst_amount")),
            document_paise(payload.get("cgst_amount")),
            document_paise(payload.get("sgst_amount")),
        )

    def line(self, value: int, quantity: int) -> TaxLine:
        """The document's one line: advertising at 18%, its taxable value and GST as the
        document carries them (`value`: taxable value and GST together)."""
        return TaxLine(
            SAC,
            SPONSOR_SUPPLY,
            "service",
            Taxability.TAXABLE.value,
            GST_RATE,
            quantity,
            value,
            self.taxable,
            self.igst,
            self.cgst,
            self.sgst,
        )


def _sponsored(
    documents: Sequence[tuple[_SponsorDocument, _SponsorDocument | None]],
) -> _Sponsored:
    """Sponsor documents, each with its campaign's first deposit invoice, as GSTR-1's
    records (issue #17). A credit note (a settlement that refunds, rule 12) carries what it
    credits as positive figures and names that deposit invoice, the tax invoice it corrects
    (as its PDF does)."""
    sponsored = _Sponsored([], [])
    for document, deposit in documents:
        if document.refund <= 0:
            sponsored.invoices.append(
                InvoiceRecord(
                    document.number,
                    document.invoice_date,
                    True,
                    True,
                    document.place_of_supply,
                    document.recipient_gstin,
                    document.total,
                    (document.line(document.total, 1),),
                )
            )
            continue
        corrected = deposit or document
        sponsored.notes.append(
            NoteRecord(
                document.number,
                document.invoice_date,
                document.refund,
                document.place_of_supply,
                document.recipient_gstin,
                corrected.number,
                corrected.invoice_date,
                corrected.total,
                # Nothing is returned: the note corrects the value, not a quantity.
                (document.line(document.refund, 0),),
            )
        )
    return sponsored


def _sponsor_documents(session: Session, first: date, last: date) -> _Sponsored:
    """This database's own sponsor tax invoices and credit notes dated `first` to `last`."""
    rows = session.scalars(
        select(SponsorInvoice)
        .where(SponsorInvoice.invoice_date.between(first, last))
        .order_by(SponsorInvoice.fiscal_year, SponsorInvoice.sequence_no)
    ).all()
    documents = []
    for row in rows:
        deposit = None
        if row.refund_amount > 0:
            deposit = session.scalars(
                select(SponsorInvoice)
                .where(
                    SponsorInvoice.campaign_id == row.campaign_id,
                    SponsorInvoice.invoice_type == SponsorInvoiceType.DEPOSIT.value,
                )
                .order_by(SponsorInvoice.invoice_date, SponsorInvoice.sequence_no)
                .limit(1)
            ).first()
        documents.append(
            (
                _SponsorDocument.of_row(row),
                None if deposit is None else _SponsorDocument.of_row(deposit),
            )
        )
    return _sponsored(documents)


def _pushed_sponsor_documents(
    session: Session, branch_id: uuid.UUID, first: date, last: date
) -> _Sponsored:
    """The sponsor tax invoices and credit notes a branch pushed, dated `first` to `last`."""
    return _sponsored(
        [
            (
                _SponsorDocument.of_payload(payload, gstin or ""),
                None if deposit is None else _SponsorDocument.of_payload(deposit, gstin or ""),
            )
            for payload, gstin, deposit in central_reports.sponsor_invoices(
                session, branch_id, first, last
            )
        ]
    )


class _Supply:
    """Where a document's supply goes (`home`: the branch's state): its place, whether it
    crosses states, and whether GSTR-1 lists the document by itself (B2B, a large B2C
    inter-state sale; `invoice_total` is the invoice's, for a credit note its invoice's)."""

    def __init__(
        self, home: str, place_of_supply: str, recipient_gstin: str, invoice_total: int
    ) -> None:
        self.place = place_of_supply or home
        self.inter = bool(home) and self.place != home
        self.registered = bool(recipient_gstin)
        large = not self.registered and self.inter and invoice_total > B2CL_THRESHOLD
        self.listed = self.registered or large

    def post(
        self, books: _Books, lines: Sequence[TaxLine], rates: dict[Decimal, Tax], sign: int = 1
    ) -> None:
        for line in lines:
            books.post(
                line,
                place=self.place,
                inter=self.inter,
                registered=self.registered,
                own=rates if self.listed else None,
                sign=sign,
            )


@dataclass
class _Posted:
    """The sections that list documents one by one."""

    b2b: list[InvoiceTax] = field(default_factory=list)
    b2cl: list[InvoiceTax] = field(default_factory=list)
    cdnr: list[NoteTax] = field(default_factory=list)
    cdnur: list[NoteTax] = field(default_factory=list)


def _post(
    books: _Books,
    home: str,
    invoices: Sequence[InvoiceRecord],
    notes: Sequence[NoteRecord],
    posted: _Posted | None = None,
) -> _Posted:
    """Post one branch's issued invoices and credit notes (`home`: its state code) to
    `books` and to the sections that list documents; a credit note's lines are netted from
    b2cs, nil and the HSN summary (see the module's docstring)."""
    posted = posted or _Posted()
    for invoice in invoices:
        if not invoice.issued:
            continue
        sale = _Supply(home, invoice.place_of_supply, invoice.recipient_gstin, invoice.total_amount)
        own = InvoiceTax(
            invoice.number,
            invoice.invoice_date,
            invoice.total_amount,
            sale.place,
            invoice.recipient_gstin,
        )
        sale.post(books, invoice.lines, own.rates)
        if own.rates:
            (posted.b2b if sale.registered else posted.b2cl).append(own)
    for note in notes:
        sale = _Supply(home, note.place_of_supply, note.recipient_gstin, note.invoice_total)
        own_note = NoteTax(
            note.number,
            note.note_date,
            note.total_amount,
            note.invoice_number,
            note.invoice_date,
            sale.place,
            note.recipient_gstin,
        )
        # A CDNR/CDNUR note's own rates are positive: GSTR-1 subtracts the section.
        sale.post(books, note.lines, own_note.rates, sign=-1)
        if own_note.rates:
            (posted.cdnr if sale.registered else posted.cdnur).append(own_note)
    return posted


def _series(numbers: Sequence[str]) -> dict[str, Any]:
    """doc_issue for one series of numbers issued in order: from, to, how many."""
    return {
        "from": numbers[0] if numbers else None,
        "to": numbers[-1] if numbers else None,
        "total": len(numbers),
    }


def _documents(invoices: Sequence[InvoiceRecord], note_numbers: Sequence[str]) -> dict[str, Any]:
    """doc_issue: the invoice numbers issued (cancelled ones too) and the credit notes'."""
    numbered = [invoice for invoice in invoices if invoice.numbered]
    return {
        "from": numbered[0].number if numbered else None,
        "to": numbered[-1].number if numbered else None,
        "total": len(numbered),
        "cancelled": sum(1 for invoice in numbered if not invoice.issued),
        "credit_notes": _series(note_numbers),
    }


# ---------------------------------------------------------------------------- the centre


def document_paise(value: Any) -> int:
    """An amount of a pushed document (rupees as text, as services.documents writes it)
    in paise."""
    return rupees_to_paise(Decimal(str(value or "0")))


def _document_line(line: dict[str, Any], category: str, item_type: str) -> TaxLine:
    return TaxLine(
        line.get("hsn_sac") or "",
        category,
        item_type,
        line.get("taxability") or Taxability.TAXABLE.value,
        Decimal(str(line.get("tax_rate") or "0")),
        int(line["quantity"]),
        document_paise(line.get("line_total")),
        document_paise(line.get("taxable_value")),
        document_paise(line.get("igst")),
        document_paise(line.get("cgst")),
        document_paise(line.get("sgst")),
    )


def _pushed_invoice(payload: dict[str, Any], cancelled: bool) -> InvoiceRecord:
    return InvoiceRecord(
        payload["invoice_number"],
        date.fromisoformat(payload["invoice_date"]),
        not cancelled,
        True,
        payload.get("place_of_supply") or "",
        payload.get("recipient_gstin") or "",
        document_paise(payload["totals"]["payable"]),
        tuple(
            _document_line(line, line.get("category") or "", line.get("item_type") or "")
            for line in payload["lines"]
        ),
    )


def _pushed_note(payload: dict[str, Any], invoice: dict[str, Any]) -> NoteRecord:
    # A note's line names its invoice's line, which says its category and kind.
    sold = {line["line_no"]: line for line in invoice["lines"]}

    def tax_line(line: dict[str, Any]) -> TaxLine:
        origin = sold.get(line.get("invoice_line_no"), {})
        return _document_line(line, origin.get("category") or "", origin.get("item_type") or "")

    return NoteRecord(
        payload["number"],
        date.fromisoformat(payload["note_date"]),
        document_paise(payload["total_amount"]),
        payload.get("place_of_supply") or "",
        payload.get("recipient_gstin") or "",
        invoice["invoice_number"],
        date.fromisoformat(invoice["invoice_date"]),
        document_paise(invoice["totals"]["payable"]),
        tuple(tax_line(line) for line in payload["lines"]),
    )


def _chain_summary(
    db: Database, month: str, first: date, last: date, codes: Sequence[str]
) -> GstSummary:
    """The month's sections across the chosen branches, each branch's documents posted
    with its own home state as it last reported it; doc_issue per branch under
    `branches` (its from/to only when one branch is read). Every branch is read when no
    code is given, and then the head office's own sponsor documents, issued on the centre,
    are posted too (with its own state), as one more entry of `branches`."""
    books = _Books()
    posted = _Posted()
    per_branch: list[dict[str, Any]] = []
    with db.session(write=False) as session:
        chosen = central_reports.chosen_branches(session, codes)
        for branch in chosen:
            invoices = [
                _pushed_invoice(payload, cancelled)
                for _id, payload, cancelled in central_reports.invoices(
                    session, branch.branch_id, first, last
                )
            ]
            pairs = central_reports.credit_notes(session, branch.branch_id, first, last)
            notes = sorted(
                (
                    _pushed_note(note, invoice)
                    for note, invoice in pairs
                    if invoice is not None and not invoice.get("is_history")
                ),
                key=lambda note: note.note_date,
            )
            sponsored = _pushed_sponsor_documents(session, branch.branch_id, first, last)
            home = branch.state_code or (branch.gstin[:2] if branch.gstin else "")
            _post(books, home, [*invoices, *sponsored.invoices], [*notes, *sponsored.notes], posted)
            per_branch.append(
                {
                    "branch": branch.code,
                    **_documents(invoices, [n["number"] for n, _ in pairs]),
                    **_sponsor_series(sponsored),
                }
            )
        office = None if codes else _head_office_sponsored(db, session, first, last, books, posted)
    if office is not None:
        per_branch.append(office)
    if len(per_branch) == 1:
        documents = {k: v for k, v in per_branch[0].items() if k != "branch"}
    else:
        documents = {
            "from": None,
            "to": None,
            "total": sum(d["total"] for d in per_branch),
            "cancelled": sum(d["cancelled"] for d in per_branch),
            "credit_notes": _counted(per_branch, "credit_notes"),
            "sponsor_invoices": _counted(per_branch, "sponsor_invoices"),
            "sponsor_credit_notes": _counted(per_branch, "sponsor_credit_notes"),
        }
    documents["branches"] = per_branch
    gstins = list(dict.fromkeys(branch.gstin for branch in chosen if branch.gstin))
    return _summary(", ".join(gstins), month, books, posted, documents)


def _counted(per_branch: Sequence[dict[str, Any]], series: str) -> dict[str, Any]:
    """A series of several branches: how many, without from and to."""
    return {
        "from": None,
        "to": None,
        "total": sum(d[series]["total"] for d in per_branch),
    }


def _head_office_sponsored(
    db: Database, session: Session, first: date, last: date, books: _Books, posted: _Posted
) -> dict[str, Any] | None:
    """Post the sponsor documents the head office issued on the centre (billing the chain's
    impressions, services.sponsor_billing_central) to `books`; their doc_issue entry, or
    None when it issued none this month."""
    sponsored = _sponsor_documents(session, first, last)
    if not sponsored.invoices and not sponsored.notes:
        return None
    office = get_branch(db)
    _post(books, office.details.state_code or "", sponsored.invoices, sponsored.notes, posted)
    return {
        "branch": office.details.branch_code,
        **_documents([], []),
        **_sponsor_series(sponsored),
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
            {
                "nature": "invoices",
                **{k: v for k, v in docs.items() if k not in ("credit_notes", "branches")},
            },
            {"nature": "credit_notes", **docs["credit_notes"]},
            *(
                {"nature": nature, **docs[nature]}
                for nature in ("sponsor_invoices", "sponsor_credit_notes")
                if nature in docs
            ),
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
