"""Payments through the installed command: a mixed tender, dues settled, an advance, and
a manager's approval on the spot."""

import json
import os

from tests.cli.test_cli import run
from tests.cli.test_invoice_cli import clinic, desk, query

__all__ = ["clinic"]


def test_a_mixed_tender_then_dues_settled_from_the_command_line(clinic, tmp_path):
    path, mobiles = clinic
    desk(path, "session", "open", "--float", "2000", tmp_path=tmp_path)
    paid = json.loads(
        desk(
            path,
            "invoice",
            "create",
            "--patient",
            mobiles[0],
            "--item",
            "BOTOX50",
            "--item",
            "CONSULT",
            "--pay",
            "upi:2250:UTR991",
            "--pay",
            "cash:2500",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert paid["money"]["status"] == "paid"
    assert paid["money"]["change_given"] == "250.00"
    assert [(p["method"], p["amount"]) for p in paid["money"]["payments"]] == [
        ("upi", "2250.00"),
        ("cash", "2250.00"),
    ]

    owed = json.loads(
        desk(
            path,
            "invoice",
            "create",
            "--patient",
            mobiles[1],
            "--item",
            "MEDIFACIAL",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert owed["money"]["status"] == "unpaid"
    account = json.loads(
        desk(path, "payment", "account", mobiles[1], "--json", tmp_path=tmp_path).stdout
    )
    assert [d["invoice_number"] for d in account["dues"]] == [owed["invoice_number"]]

    settled = json.loads(
        desk(
            path,
            "payment",
            "settle",
            mobiles[1],
            "--pay",
            f"card:{owed['totals']['payable']}:SLIP42",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert settled["account"]["dues"] == [] and settled["account"]["balance"] == "0.00"
    shown = json.loads(
        desk(path, "invoice", "show", owed["invoice_number"], "--json", tmp_path=tmp_path).stdout
    )
    assert shown["money"]["status"] == "paid"
    assert query(path, "SELECT reference FROM payments WHERE method = 'card'") == [("SLIP42",)]


def test_bad_tenders_exit_with_a_sentence(clinic, tmp_path):
    path, mobiles = clinic
    cart = ("invoice", "create", "--patient", mobiles[0], "--item", "MEDIFACIAL")
    short = desk(path, *cart, "--pay", "upi:10:X", tmp_path=tmp_path, check=False)
    assert short.returncode == 2 and "cover" in short.stderr
    typo = desk(path, *cart, "--pay", "cheque:10", tmp_path=tmp_path, check=False)
    assert typo.returncode == 2 and "not a payment method" in typo.stderr
    no_drawer = desk(path, *cart, "--pay", "cash:5000", tmp_path=tmp_path, check=False)
    assert no_drawer.returncode == 1 and "counter session" in no_drawer.stderr
    assert query(path, "SELECT count(*) FROM payments") == [(0,)]


def test_a_manager_allows_credit_over_the_limit_by_pin(clinic, tmp_path):
    path, mobiles = clinic
    manager = ("--db", str(path), "--user", "meera")
    run(*manager, "payment", "credit-limit", "1000", pin="2222", tmp_path=tmp_path)
    cart = ("invoice", "create", "--patient", mobiles[2], "--item", "BOTOX50")
    refused = desk(path, *cart, tmp_path=tmp_path, check=False)
    assert refused.returncode == 1 and "credit limit" in refused.stderr

    os.environ["FRONTDESK_APPROVER_PIN"] = "2222"
    try:
        desk(path, *cart, "--approver", "meera", tmp_path=tmp_path)
    finally:
        del os.environ["FRONTDESK_APPROVER_PIN"]
    [(by, allowed)] = query(
        path,
        "SELECT json_extract(details, '$.by'), json_extract(details, '$.allowed_by')"
        " FROM audit_log WHERE action = 'invoice.credit_allowed'",
    )
    assert (by, allowed) == ("Priya Sharma", "Meera Nair")


def test_a_payment_is_listed_and_reversed_with_a_managers_pin(clinic, tmp_path):
    path, mobiles = clinic
    sale = ("invoice", "create", "--patient", mobiles[2], "--item", "CONSULT")
    sold = json.loads(
        desk(path, *sale, "--pay", "card:500:SLIP7", "--json", tmp_path=tmp_path).stdout
    )
    listed = desk(path, "payment", "list", mobiles[2], tmp_path=tmp_path).stdout
    [card] = json.loads(
        desk(path, "payment", "list", mobiles[2], "--json", tmp_path=tmp_path).stdout
    )["payments"]
    assert card["id"][:8] in listed and "SLIP7" in listed and card["reversed"] is False

    reverse = ("payment", "reverse", card["id"][:8], "--reason", "slip failed")
    refused = desk(path, *reverse, tmp_path=tmp_path, check=False)
    assert refused.returncode == 1 and "manager" in refused.stderr.lower()
    unknown = desk(
        path, "payment", "reverse", "zz", "--reason", "x", tmp_path=tmp_path, check=False
    )
    assert unknown.returncode == 1 and "not a payment id" in unknown.stderr

    os.environ["FRONTDESK_APPROVER_PIN"] = "2222"
    try:
        reversed_ = json.loads(
            desk(path, *reverse, "--approver", "meera", "--json", tmp_path=tmp_path).stdout
        )
    finally:
        del os.environ["FRONTDESK_APPROVER_PIN"]
    assert reversed_["owed_again"] == {sold["invoice_number"]: "500.00"}
    assert reversed_["account"]["owed"] == "500.00"
    shown = json.loads(
        desk(path, "invoice", "show", sold["invoice_number"], "--json", tmp_path=tmp_path).stdout
    )
    assert shown["money"]["status"] == "unpaid"
    assert query(path, "SELECT amount, kind, notes FROM payments ORDER BY created_at") == [
        (50_000, "sale", ""),
        (-50_000, "reversal", "slip failed"),
    ]
