"""The sponsor tax invoices and credit notes are in the month's GST summary (issue #17):
B2B supplies of advertising to the sponsor, credit notes in cdnr, the SAC in the HSN
summary and their own series in doc_issue. Figures checked against the sponsor invoices'
own rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.models import SponsorInvoice
from domain.sponsor_billing import SAC
from services import auth, gst_report, sponsors
from services.documents import rupees
from services.sponsor_demo import SPONSOR_GSTIN
from tests.services.conftest import NOW
from tests.services.sponsor_helpers import LOCAL_GSTIN, a_sponsor, campaign_spec, settle, shown

MONTH = "2026-11"


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def sponsor_rows(db):
    """The month's sponsor invoices and credit notes, as their own rows say them."""
    with db.session(write=False) as session:
        rows = session.scalars(
            select(SponsorInvoice)
            .where(SponsorInvoice.invoice_date.between(*gst_report.month_bounds(MONTH)))
            .order_by(SponsorInvoice.invoice_date, SponsorInvoice.sequence_no)
        ).all()
        invoices = [
            (
                r.invoice_number,
                r.total_amount,
                r.taxable_amount,
                r.cgst_amount,
                r.sgst_amount,
                r.igst_amount,
            )
            for r in rows
            if r.refund_amount == 0
        ]
        notes = [
            (
                r.invoice_number,
                r.refund_amount,
                r.taxable_amount,
                r.cgst_amount,
                r.sgst_amount,
                r.igst_amount,
            )
            for r in rows
            if r.refund_amount > 0
        ]
        return invoices, notes


def test_the_demo_sponsor_s_invoices_are_b2b_supplies_at_igst(demo_db, manager):
    invoices, notes = sponsor_rows(demo_db)
    assert len(invoices) == 3 and notes == []  # the deposit and two weekly cycles

    summary = gst_report.gst_summary(demo_db, manager, MONTH)
    listed = [entry for entry in summary.b2b if entry.recipient_gstin == SPONSOR_GSTIN]
    assert [(e.number, e.value) for e in listed] == [(n, total) for n, total, *_ in invoices]
    for entry, (_n, _total, taxable, cgst, sgst, igst) in zip(listed, invoices, strict=True):
        # Velvera is in Maharashtra, the clinic in Karnataka: IGST, placed in 27.
        assert entry.place_of_supply == "27"
        [(rate, tax)] = entry.rates.items()
        assert rate == 18
        assert (tax.taxable_value, tax.cgst, tax.sgst, tax.igst) == (taxable, cgst, sgst, igst)
        assert igst > 0 and cgst == sgst == 0
    [sac] = [row for row in summary.hsn if row.hsn_sac == SAC]
    assert sac.value == sum(total for _n, total, *_ in invoices)
    assert sac.tax.taxable_value == sum(taxable for _n, _t, taxable, *_ in invoices)
    assert sac.tax.igst == sum(row[5] for row in invoices)
    assert (sac.rate, sac.unit, sac.quantity) == (18, "OTH", 3)
    assert summary.documents["sponsor_invoices"] == {
        "from": invoices[0][0],
        "to": invoices[-1][0],
        "total": 3,
    }
    assert summary.documents["sponsor_credit_notes"]["total"] == 0

    data = gst_report.summary_json(summary)
    first = next(i for i in data["b2b"] if i["inum"] == invoices[0][0])
    assert (first["ctin"], first["pos"], first["val"]) == (
        SPONSOR_GSTIN,
        "27",
        rupees(invoices[0][1]),
    )
    assert first["itms"] == [
        {
            "rt": "18",
            "txval": rupees(invoices[0][2]),
            "iamt": rupees(invoices[0][5]),
            "camt": "0.00",
            "samt": "0.00",
        }
    ]


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 5, 0, tzinfo=UTC)  # 10:30 in Bengaluru


def test_an_intra_state_sponsor_is_cgst_and_sgst_and_its_refund_a_cdnr_credit_note(
    demo_db, manager
):
    desk = auth.sign_in(demo_db, "priya", "1111")
    before = gst_report.gst_summary(demo_db, manager, MONTH)
    a_sponsor(demo_db, manager, NOW)  # Glowco, Karnataka as the clinic
    sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(), now=NOW)
    shown(demo_db, desk, 3, at(20))
    settle(demo_db, manager, NOW)

    summary = gst_report.gst_summary(demo_db, manager, MONTH)
    [deposit] = [e for e in summary.b2b if e.recipient_gstin == LOCAL_GSTIN]
    # Rs.400 deposit + 18%: CGST 36 and SGST 36, placed in Karnataka.
    assert (deposit.number, deposit.value, deposit.place_of_supply) == (
        "INDS/26-27/00004",
        472_00,
        "29",
    )
    [(rate, tax)] = deposit.rates.items()
    assert (rate, tax.taxable_value, tax.cgst, tax.sgst, tax.igst) == (18, 400_00, 36_00, 36_00, 0)
    # 3 x Rs.20 = 60 supplied against the 400 deposit: 340 credited with its 61.20 GST.
    [note] = summary.cdnr
    assert (note.number, note.value, note.recipient_gstin, note.place_of_supply) == (
        "INDSC26-27/00001",
        401_20,
        LOCAL_GSTIN,
        "29",
    )
    assert (note.invoice_number, note.invoice_date) == (deposit.number, deposit.invoice_date)
    [(rate, credited)] = note.rates.items()
    assert (rate, credited.taxable_value, credited.cgst, credited.sgst, credited.igst) == (
        18,
        340_00,
        30_60,
        30_60,
        0,
    )
    assert summary.cdnur == []
    # The month's totals move by the deposit less the credit note, no more.
    assert summary.total.taxable_value - before.total.taxable_value == 400_00 - 340_00
    assert summary.total.cgst - before.total.cgst == 36_00 - 30_60
    assert summary.total.sgst - before.total.sgst == 36_00 - 30_60
    assert summary.total.igst == before.total.igst
    assert summary.documents["sponsor_invoices"]["total"] == 4
    assert summary.documents["sponsor_credit_notes"] == {
        "from": "INDSC26-27/00001",
        "to": "INDSC26-27/00001",
        "total": 1,
    }
    # The counter's credit notes are counted apart from the sponsor's.
    assert summary.documents["credit_notes"] == before.documents["credit_notes"]

    data = gst_report.summary_json(summary)
    [cdnr] = data["cdnr"]
    assert (cdnr["ctin"], cdnr["nt_num"], cdnr["ntty"], cdnr["val"], cdnr["inum"]) == (
        LOCAL_GSTIN,
        "INDSC26-27/00001",
        "C",
        "401.20",
        "INDS/26-27/00004",
    )
    assert cdnr["itms"] == [
        {"rt": "18", "txval": "340.00", "iamt": "0.00", "camt": "30.60", "samt": "30.60"}
    ]


def test_the_sponsor_series_are_rows_of_the_doc_issue_csv(demo_db, manager, tmp_path):
    gst_report.write_csv(gst_report.gst_summary(demo_db, manager, MONTH), tmp_path)
    text = (tmp_path / f"gst-{MONTH}-doc_issue.csv").read_text(encoding="utf-8")
    natures = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert natures == ["invoices", "credit_notes", "sponsor_invoices", "sponsor_credit_notes"]
    assert ",3" in text.splitlines()[3]
