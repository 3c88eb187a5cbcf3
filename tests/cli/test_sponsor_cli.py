"""Sponsored campaigns through the installed command (issue #17): a sponsor, a campaign
from a JSON spec, a billing cycle run twice, a partial payment, the status and the PDF."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from services import auth, sponsors
from services.setup import initialise, open_branch_database
from services.sponsor_demo import CAMPAIGN_CODE, SPONSOR_NAME
from tests.cli.test_cli import run
from tests.services.invoice_helpers import promotion

GSTIN = "27AABCG5678L1Z2"  # Maharashtra: the demo clinic is in Karnataka, so IGST


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    now = datetime.now(UTC)
    db = open_branch_database(path, now=now)
    initialise(db, demo=True, now=now, today=now.date())
    db.close()
    return path


def manager(path, *args, tmp_path, check=True):
    return run(
        "--db", str(path), "--user", "meera", *args, pin="2222", tmp_path=tmp_path, check=check
    )


def shown_yesterday(path, count):
    """The counter showed the FESTIVE500 badge to `count` patients yesterday."""
    db = open_branch_database(path, now=datetime.now(UTC))
    try:
        desk = auth.sign_in(db, "priya", "1111")
        festive = promotion(db, "FESTIVE500").id
        yesterday = datetime.now(UTC) - timedelta(days=1)
        for n in range(count):
            sponsors.record_impression(
                db, desk, festive, f"p{n}", shown_ms=2000, now=yesterday + timedelta(seconds=n)
            )
    finally:
        db.close()


def test_a_sponsor_billed_paid_and_printed_from_the_command_line(clinic, tmp_path):
    today = datetime.now(UTC).date()
    manager(
        clinic,
        "sponsor",
        "add",
        "--name",
        "Dermaline Labs Ltd",
        "--gstin",
        GSTIN,
        "--address",
        "4 Linking Road, Mumbai",
        tmp_path=tmp_path,
    )
    listed = json.loads(manager(clinic, "sponsor", "list", "--json", tmp_path=tmp_path).stdout)
    # The demo clinic's own sponsor is there too.
    assert [(s["legal_name"], s["state_code"]) for s in listed] == [
        ("Dermaline Labs Ltd", "27"),
        (SPONSOR_NAME, "27"),
    ]

    spec = {
        "campaign_code": "DERMA-DEC",
        "campaign_name": "Dermaline sunscreen",
        "sponsor": "Dermaline Labs Ltd",
        "promotions": ["FESTIVE500"],
        "billing_frequency": "monthly",
        "campaign_budget": "5000",
        "cost_per_impression": "2.50",
        "booked_impressions": 1000,
        "start_date": (today - timedelta(days=5)).isoformat(),
        "end_date": (today + timedelta(days=20)).isoformat(),
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**spec, "cost_per_click": "1"}), encoding="utf-8")
    refused = manager(
        clinic,
        "sponsor",
        "campaign",
        "add",
        "--json-file",
        str(bad),
        tmp_path=tmp_path,
        check=False,
    )
    assert refused.returncode == 2 and "'cost_per_click' is not a field" in refused.stderr
    good = tmp_path / "spec.json"
    good.write_text(json.dumps(spec), encoding="utf-8")
    manager(clinic, "sponsor", "campaign", "add", "--json-file", str(good), tmp_path=tmp_path)

    shown_yesterday(clinic, 7)
    period = f"{(today - timedelta(days=5)).isoformat()}:{today.isoformat()}"
    billed = json.loads(
        manager(clinic, "sponsor", "bill", "--period", period, "--json", tmp_path=tmp_path).stdout
    )
    again = json.loads(
        manager(clinic, "sponsor", "bill", "--period", period, "--json", tmp_path=tmp_path).stdout
    )
    # Every campaign in flight: the demo's own bills its week so far as well.
    billed_by_code = {b["campaign_code"]: b for b in billed}
    assert sorted(billed_by_code) == ["DERMA-DEC", CAMPAIGN_CODE]
    assert billed_by_code["DERMA-DEC"]["impressions_billed"] == 7
    assert all(a["already_billed"] for a in again)
    assert {a["campaign_code"]: a["invoice_number"] for a in again} == {
        code: b["invoice_number"] for code, b in billed_by_code.items()
    }
    number = billed_by_code["DERMA-DEC"]["invoice_number"]

    # 7 x 2.50 = 17.50, IGST 18% = 3.15: 20.65 in all; 10 paid now.
    paid = json.loads(
        manager(
            clinic,
            "sponsor",
            "pay",
            number,
            "--amount",
            "10",
            "--method",
            "upi",
            "--ref",
            "UTR555",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert (paid["outstanding"], paid["status"]) == ("10.65", "partially_paid")
    over = manager(
        clinic,
        "sponsor",
        "pay",
        number,
        "--amount",
        "11",
        "--method",
        "upi",
        tmp_path=tmp_path,
        check=False,
    )
    assert over.returncode == 2 and "more than the invoice still owes" in over.stderr

    status = json.loads(
        manager(clinic, "sponsor", "status", "DERMA-DEC", "--json", tmp_path=tmp_path).stdout
    )
    assert status["payment_status"] == "partially_paid"
    assert (status["total_invoiced"], status["total_paid"], status["total_outstanding"]) == (
        "20.65",
        "10.00",
        "10.65",
    )
    (invoice,) = status["invoices"]
    assert (invoice["igst_amount"], invoice["cgst_amount"]) == ("3.15", "0.00")

    pdf = tmp_path / "sponsor.pdf"
    manager(clinic, "sponsor", "invoice-pdf", number, str(pdf), tmp_path=tmp_path)
    # pypdf breaks a table's cells onto lines of their own: compare words, not layout.
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    for expected in (
        "TAX INVOICE",
        number,
        "Dermaline Labs Ltd",
        GSTIN,
        "27 - Maharashtra",
        "Impressions billed 7",
        "IGST 18% ₹3.15",
        "Amount due ₹10.65",
        "998366",
    ):
        assert expected in text, expected


def test_the_front_desk_is_refused(clinic, tmp_path):
    result = run(
        "--db",
        str(clinic),
        "--user",
        "priya",
        "sponsor",
        "list",
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "needs a manager" in result.stderr
