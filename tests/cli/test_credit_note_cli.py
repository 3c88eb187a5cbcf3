"""Refunds through the installed command: a credit note approved by a manager on the spot,
its PDF, and the invoice's credit notes listed."""

import json
import os

from pypdf import PdfReader

from tests.cli.test_invoice_cli import clinic, desk

__all__ = ["clinic"]


def test_a_refund_approved_by_a_manager_from_the_command_line(clinic, tmp_path):
    path, mobiles = clinic
    desk(path, "session", "open", "--float", "2000", tmp_path=tmp_path)
    sold = json.loads(
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
            "upi:4500:UTR77",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    number = sold["invoice_number"]
    botox = next(line["line_no"] for line in sold["lines"] if line["item_code"] == "BOTOX50")
    refund = ("invoice", "refund", number, "--line", str(botox), "--reason", "Not given")

    refused = desk(path, *refund, "--pay-back", "cash", tmp_path=tmp_path, check=False)
    assert refused.returncode == 1 and "manager's approval" in refused.stderr
    bad = desk(
        path, *refund, "--qty", "1", "--qty", "2", "--keep-advance", tmp_path=tmp_path, check=False
    )
    assert bad.returncode == 2

    pdf = tmp_path / "cn.pdf"
    os.environ["FRONTDESK_APPROVER_PIN"] = "2222"
    try:
        note = json.loads(
            desk(
                path,
                *refund,
                "--pay-back",
                "cash",
                "--approver",
                "meera",
                "--pdf",
                str(pdf),
                "--json",
                tmp_path=tmp_path,
            ).stdout
        )
    finally:
        del os.environ["FRONTDESK_APPROVER_PIN"]
    assert note["number"].startswith("INDC/") and note["number"].endswith("/00001")
    assert note["total_amount"] == "4000.00" and note["refunded"] == "4000.00"
    assert note["promotions_reversed"] == ["PREMIUM_CONSULT"]
    assert note["approved_by"] == "Meera Nair"
    text = PdfReader(pdf).pages[0].extract_text()
    assert "CREDIT NOTE" in text and number in text and "Not given" in text

    listed = desk(path, "invoice", "credit-notes", number, tmp_path=tmp_path).stdout
    assert note["number"] in listed and "4000.00" in listed
    as_json = json.loads(
        desk(path, "invoice", "credit-notes", number, "--json", tmp_path=tmp_path).stdout
    )
    assert [n["number"] for n in as_json] == [note["number"]]
