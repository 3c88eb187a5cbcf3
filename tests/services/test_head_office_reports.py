"""The head office's GST summary and takings across branches (issue #15), against a real
PostgreSQL: two branches sell (paid, unpaid, to a registered patient of another state, an
exempt service, a cancellation, credit notes, an advance, dues settled) and sync; on the
centre, each branch's figures are the ones it computes from its own SQLite file, and the
chain's are theirs added up."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest

from cli.report import takings_json
from domain.branch import gstin_check_character
from domain.errors import BadInput
from domain.payments import Method, TenderLine
from services import catalog, credit_notes, gst_report, invoicing, patients, payments, takings
from services.invoicing import CartItem, CartRequest
from services.patients import NewPatient
from tests.cli.test_cli import run
from tests.services.test_sync import NOW, Branch
from tests.services.test_sync_pull import HO_PIN

pytestmark = pytest.mark.postgres

MONTH = "2026-11"
TODAY = date(2026, 11, 24)
CONSULT = {
    "code": "consult",
    "name": "Consultation",
    "category": "Consultations",
    "item_type": "service",
    "price": "500",
    "cost": "0",
    "hsn_sac": "999312",
    "taxability": "exempt",
    "tax_rate": "0",
    "max_discount_percent": "0",
}


def gstin(first14: str) -> str:
    return first14 + gstin_check_character(first14)


def sell(branch: Branch, patient_id, *codes: str) -> invoicing.InvoiceDocument:
    items = tuple(CartItem(catalog.item_by_code(branch.db, code).id) for code in codes)
    request = CartRequest(patient_id=patient_id, items=items)
    return invoicing.save_invoice(branch.db, branch.admin, request, now=NOW)


def trade(branch: Branch, *, registered: bool) -> None:
    """A day's varied work at a branch."""
    catalog.save_item(branch.db, branch.admin, CONSULT, now=NOW)
    pay = branch.sell(paid=True)
    branch.sell(paid=False)
    both = sell(branch, branch.patient.id, "peptide-serum", "consult")
    payments.take_payment(
        branch.db, branch.admin, both.invoice_number, [TenderLine(Method.WALLET, 1000_00)], now=NOW
    )
    wrong = branch.sell(paid=False)
    invoicing.cancel_invoice(
        branch.db, branch.admin, wrong.invoice_number, reason="Wrong patient", now=NOW
    )
    credit_notes.issue_credit_note(
        branch.db,
        branch.admin,
        pay.invoice_number,
        [(1, 1)],
        reason="Returned unopened",
        refund_method=Method.UPI,
        now=NOW,
    )
    payments.settle_dues(
        branch.db,
        branch.admin,
        branch.patient.id,
        [TenderLine(Method.CARD, 500_00, "SLIP4")],
        now=NOW,
    )
    payments.take_advance(
        branch.db,
        branch.admin,
        branch.patient.id,
        [TenderLine(Method.UPI, 300_00, "UTR9")],
        now=NOW,
    )
    if registered:
        # A clinic in Maharashtra buys: a B2B sale across states (IGST), then a refund of it.
        buyer = patients.add_patient(
            branch.db,
            branch.admin,
            NewPatient(name="Lotus Clinic", mobile="9822012345", gstin=gstin("27AAACL1234Q1Z")),
            now=NOW,
            today=NOW.date(),
        )
        b2b = sell(branch, buyer.id, "peptide-serum", "consult")
        credit_notes.issue_credit_note(
            branch.db,
            branch.admin,
            b2b.invoice_number,
            [(1, 1)],
            reason="Damaged in transit",
            refund_method=None,
            now=NOW,
        )


@pytest.fixture
def chain(centre, head_office, tmp_path):
    ind = Branch(tmp_path / "IND.db", "IND", centre, gstin=gstin("29AABCI1234F1Z"))
    kor = Branch(tmp_path / "KOR.db", "KOR", centre)
    trade(ind, registered=True)
    trade(kor, registered=False)
    for branch in (ind, kor):
        result = branch.sync()
        assert result.pending == 0 and result.rejected == []
    yield ind, kor, head_office
    for branch in (ind, kor):
        branch.db.close()


def branch_json(summary: gst_report.GstSummary) -> dict:
    """The summary's JSON without the centre's list of branches (the sponsor series are
    compared too: tests/services/test_head_office_gst_sponsors.py has some)."""
    data = gst_report.summary_json(summary)
    data["doc_issue"] = {k: v for k, v in data["doc_issue"].items() if k != "branches"}
    return data


def added(*amounts: str) -> str:
    return str(sum((Decimal(a) for a in amounts), Decimal("0.00")))


def test_the_centres_gst_summary_of_a_branch_is_the_branchs_own(chain):
    ind, kor, office = chain
    for branch in (ind, kor):
        own = gst_report.gst_summary(branch.db, branch.admin, MONTH)
        at_centre = gst_report.gst_summary(
            office.db, office.admin, MONTH, branches=[branch.code.lower()]
        )
        assert branch_json(at_centre) == branch_json(own)
    ind_own = gst_report.summary_json(gst_report.gst_summary(ind.db, ind.admin, MONTH))
    # The day's work reached every section it should (the test would prove little otherwise).
    assert len(ind_own["b2b"]) == 1 and ind_own["b2b"][0]["itms"][0]["iamt"] != "0.00"
    assert len(ind_own["cdnr"]) == 1 and ind_own["nil"]["intra_b2c"] != "0.00"
    assert ind_own["doc_issue"]["cancelled"] == 1
    assert ind_own["doc_issue"]["credit_notes"]["total"] == 2
    assert {row["desc"] for row in ind_own["hsn"]} == {"Consultations", "Skincare products"}


def test_the_chains_gst_summary_is_the_branches_added_up(chain):
    ind, kor, office = chain
    own = [
        gst_report.summary_json(gst_report.gst_summary(b.db, b.admin, MONTH)) for b in (ind, kor)
    ]
    whole = gst_report.summary_json(gst_report.gst_summary(office.db, office.admin, MONTH))
    for key in ("txval", "iamt", "camt", "samt"):
        assert whole["total"][key] == added(own[0]["total"][key], own[1]["total"][key])
    for key in whole["nil"]:
        assert whole["nil"][key] == added(own[0]["nil"][key], own[1]["nil"][key])
    hsn: dict[tuple[str, str], Decimal] = {}
    for data in own:
        for row in data["hsn"]:
            key = (row["hsn_sc"], row["rt"])
            hsn[key] = hsn.get(key, Decimal(0)) + Decimal(row["txval"])
    assert {(r["hsn_sc"], r["rt"]): Decimal(r["txval"]) for r in whole["hsn"]} == hsn
    assert whole["b2b"] == own[0]["b2b"] + own[1]["b2b"]
    assert whole["cdnr"] == own[0]["cdnr"] + own[1]["cdnr"]
    docs = whole["doc_issue"]
    assert docs["total"] == own[0]["doc_issue"]["total"] + own[1]["doc_issue"]["total"]
    assert [d["branch"] for d in docs["branches"]] == ["IND", "KOR"]
    assert [d["from"] for d in docs["branches"]] == [o["doc_issue"]["from"] for o in own]
    assert whole["gstin"] == own[0]["gstin"]  # KOR is not registered


def total_of(parts: list[takings.Takings]) -> dict:
    """Takings added up field by field, the methods by name."""
    fields = {
        f.name: sum(getattr(p, f.name) for p in parts)
        for f in dataclasses.fields(takings.Takings)
        if f.name not in ("start", "end", "by_method")
    }
    methods: dict[str, tuple[int, int]] = {}
    for part in parts:
        for m in part.by_method:
            got = methods.get(m.method, (0, 0))
            methods[m.method] = (got[0] + m.received, got[1] + m.paid_back)
    return {**fields, "by_method": methods}


def as_totals(figures: takings.Takings) -> dict:
    return total_of([figures])


def test_the_centres_takings_are_each_branchs_own_and_their_sum(chain):
    ind, kor, office = chain
    own = [takings.takings(b.db, b.admin, TODAY, TODAY) for b in (ind, kor)]
    for branch, figures in zip((ind, kor), own, strict=True):
        at_centre = takings.takings(office.db, office.admin, TODAY, TODAY, branches=[branch.code])
        assert at_centre == figures
    assert own[0].credit_notes == 2 and own[0].cancelled == 1 and own[0].dues_settled > 0
    assert own[0].advances_taken > 0 and own[0].paid_back > 0 and own[0].dues_raised > 0
    whole = takings.takings(office.db, office.admin, TODAY, TODAY)
    assert as_totals(whole) == total_of(own)
    # Another day holds nothing.
    empty = takings.takings(office.db, office.admin, date(2026, 11, 23), date(2026, 11, 23))
    assert (empty.invoices, empty.received) == (0, 0)


def test_a_branch_filter_is_the_centres_and_names_what_it_knows(chain):
    ind, _kor, office = chain
    with pytest.raises(BadInput, match="head office"):
        gst_report.gst_summary(ind.db, ind.admin, MONTH, branches=["IND"])
    with pytest.raises(BadInput, match="head office"):
        takings.takings(ind.db, ind.admin, TODAY, TODAY, branches=["IND"])
    with pytest.raises(BadInput, match=r"No branch XYZ on the centre \(known: IND, KOR\)"):
        gst_report.gst_summary(office.db, office.admin, MONTH, branches=["XYZ"])


def test_report_gst_and_takings_on_the_centre_from_the_command_line(chain, centre, tmp_path):
    ind, kor, _office = chain
    url = centre.render_as_string(hide_password=False)

    def report(*args: str) -> str:
        return run(
            "--central", url, "--user", "ho", "report", *args, pin=HO_PIN, tmp_path=tmp_path
        ).stdout

    gst = json.loads(report("gst", "--month", MONTH, "--branch", "IND", "--json"))
    assert branch_json_of(gst) == branch_json(gst_report.gst_summary(ind.db, ind.admin, MONTH))
    text = report("gst", "--month", MONTH)
    assert "Branch IND: invoices IND/26-27/00001 to" in text
    assert "Branch KOR: invoices KOR/26-27/00001 to" in text
    figures = json.loads(
        report("takings", "--date", TODAY.isoformat(), "--branch", "KOR", "--json")
    )
    assert figures == takings_json(takings.takings(kor.db, kor.admin, TODAY, TODAY))
    assert "Takings 24 Nov 2026" in report("takings", "--date", TODAY.isoformat())


def branch_json_of(data: dict) -> dict:
    data["doc_issue"] = {k: v for k, v in data["doc_issue"].items() if k != "branches"}
    return data
