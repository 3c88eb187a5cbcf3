"""Seed 000's scenario and the race for a last use, through the installed command."""

import json
import sqlite3
import subprocess

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import FRONTDESK, run


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    run("--db", str(path), "init", "--demo", tmp_path=tmp_path)
    con = sqlite3.connect(path)
    mobiles = [r[0] for r in con.execute("SELECT mobile FROM patients ORDER BY name LIMIT 3")]
    con.close()
    return path, mobiles


def query(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def desk(path, *args, tmp_path, check=True):
    return run(
        "--db", str(path), "--user", "priya", *args, pin="1111", tmp_path=tmp_path, check=check
    )


def test_seed_000_scenario_from_the_command_line(clinic, tmp_path):
    path, mobiles = clinic
    pdf = tmp_path / "invoice.pdf"
    uses_before = query(
        path, "SELECT current_uses FROM promotion_campaigns WHERE campaign_code='PREMIUM_CONSULT'"
    )
    result = desk(
        path,
        "invoice",
        "create",
        "--patient",
        mobiles[0],
        "--item",
        "BOTOX50",
        "--item",
        "CONSULT",
        "--pdf",
        str(pdf),
        "--json",
        tmp_path=tmp_path,
    )
    saved = json.loads(result.stdout)
    consult = next(line for line in saved["lines"] if line["item_code"] == "CONSULT")
    assert (consult["discount_type"], consult["discount_percent"], consult["discount_amount"]) == (
        "promotion",
        "100.00",
        "500.00",
    )
    assert consult["badge_text"] == "Rs.500 Free (PREMIUM_CONSULT)"
    assert saved["totals"]["payable"] == "4500.00"
    [applied] = saved["campaigns_applied"]["applied_promotions"]
    assert set(applied) == {
        "promotion_id",
        "campaign_name",
        "campaign_code",
        "promotion_type",
        "items_affected",
        "total_discount",
    }
    assert (applied["campaign_code"], applied["promotion_type"], applied["total_discount"]) == (
        "PREMIUM_CONSULT",
        "buy_x_get_y",
        "500.00",
    )
    stored = json.loads(
        query(
            path,
            f"SELECT campaigns_applied FROM invoice_header WHERE invoice_number='{saved['invoice_number']}'",
        )[0][0]
    )
    assert stored["applied_promotions"][0]["total_discount"] == "500.00"  # never a float
    invoice_uses = query(
        path,
        "SELECT count(*), sum(l.discount_amount) FROM promotion_usage_log l JOIN invoice_header i"
        f" ON i.id = l.invoice_id WHERE i.invoice_number = '{saved['invoice_number']}'",
    )
    assert invoice_uses == [(1, 50000)]
    [(before,)] = uses_before
    assert query(
        path, "SELECT current_uses FROM promotion_campaigns WHERE campaign_code='PREMIUM_CONSULT'"
    ) == [(before + 1,)]

    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert saved["invoice_number"] in text
    assert "You saved ₹500.00 with PREMIUM_CONSULT" in text
    assert "₹4,500.00" in text and "Rupees Four Thousand Five Hundred Only" in text


def test_quote_lists_every_promotion_that_did_not_apply(clinic, tmp_path):
    path, mobiles = clinic
    result = desk(
        path,
        "invoice",
        "quote",
        "--patient",
        mobiles[0],
        "--item",
        "CONSULT",
        "--json",
        tmp_path=tmp_path,
    )
    quote = json.loads(result.stdout)
    assert {n["campaign_code"] for n in quote["not_applied"]} == {
        "PREMIUM_CONSULT",
        "GLOW20",
        "FESTIVE500",
    }
    assert any("Botox" in m["message"] for m in quote["near_misses"])
    assert query(path, "SELECT count(*) FROM sync_outbox") == [(0,)]


def test_a_code_that_cannot_apply_is_refused_with_status_1_and_saves_nothing(clinic, tmp_path):
    path, mobiles = clinic
    before = query(path, "SELECT count(*) FROM invoice_header")
    result = desk(
        path,
        "invoice",
        "create",
        "--patient",
        mobiles[0],
        "--item",
        "CONSULT",
        "--code",
        "NOPE10",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "NOPE10" in result.stderr
    assert "Nothing was saved." in result.stderr
    assert query(path, "SELECT count(*) FROM invoice_header") == before


def test_an_unreadable_time_or_quantity_is_a_bad_argument_and_an_unknown_item_refused(
    clinic, tmp_path
):
    path, mobiles = clinic
    cart = ["invoice", "quote", "--patient", mobiles[0]]

    late = desk(path, *cart, "--item", "CONSULT", "--at", "soon", tmp_path=tmp_path, check=False)
    none = desk(path, *cart, "--item", "CONSULTx0", tmp_path=tmp_path, check=False)
    unknown = desk(path, *cart, "--item", "NOSUCH", tmp_path=tmp_path, check=False)

    assert late.returncode == 2 and "not an ISO-8601 time" in late.stderr
    assert none.returncode == 2 and "from 1 to 999" in none.stderr
    assert unknown.returncode == 1 and "no item with the code or barcode 'NOSUCH'" in unknown.stderr


def test_show_pdf_and_cancel_a_saved_invoice(clinic, tmp_path):
    path, mobiles = clinic
    [(before,)] = query(
        path, "SELECT current_uses FROM promotion_campaigns WHERE campaign_code='PREMIUM_CONSULT'"
    )
    number = json.loads(
        desk(
            path,
            "invoice",
            "create",
            "--patient",
            mobiles[1],
            "--item",
            "BOTOX50",
            "--item",
            "CONSULT",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )["invoice_number"]
    shown = json.loads(desk(path, "invoice", "show", number, "--json", tmp_path=tmp_path).stdout)
    assert shown["totals"]["payable"] == "4500.00"
    receipt = tmp_path / "r.pdf"
    desk(path, "invoice", "pdf", number, str(receipt), "--receipt", tmp_path=tmp_path)
    assert number in PdfReader(receipt).pages[0].extract_text()

    refused = desk(
        path, "invoice", "cancel", number, "--reason", "typo", tmp_path=tmp_path, check=False
    )
    assert refused.returncode == 1 and "manager" in refused.stderr
    run(
        "--db",
        str(path),
        "--user",
        "meera",
        "invoice",
        "cancel",
        number,
        "--reason",
        "Billed twice",
        pin="2222",
        tmp_path=tmp_path,
    )
    assert query(
        path, f"SELECT status, cancel_reason FROM invoice_header WHERE invoice_number='{number}'"
    ) == [("cancelled", "Billed twice")]
    assert query(
        path, "SELECT current_uses FROM promotion_campaigns WHERE campaign_code='PREMIUM_CONSULT'"
    ) == [(before,)]


def test_rebuild_usage_from_the_command_line_is_idempotent(clinic, tmp_path):
    path, mobiles = clinic
    created = desk(
        path,
        "invoice",
        "create",
        "--patient",
        mobiles[0],
        "--item",
        "BOTOX50",
        "--item",
        "CONSULT",
        "--json",
        tmp_path=tmp_path,
    )
    number = json.loads(created.stdout)["invoice_number"]
    con = sqlite3.connect(path)
    con.execute(
        "DELETE FROM promotion_usage_log WHERE invoice_id ="
        " (SELECT id FROM invoice_header WHERE invoice_number = ?)",
        (number,),
    )
    con.commit()
    con.close()
    args = ["--db", str(path), "--user", "meera", "promo", "rebuild-usage", "--json"]
    first = json.loads(run(*args, pin="2222", tmp_path=tmp_path).stdout)
    second = json.loads(run(*args, pin="2222", tmp_path=tmp_path).stdout)
    assert (first["added"], second["added"], second["counters_fixed"]) == (1, 0, 0)


def test_two_processes_racing_for_the_last_use_record_one_use(clinic, tmp_path):
    path, mobiles = clinic
    con = sqlite3.connect(path)
    con.execute(
        "UPDATE promotion_campaigns SET max_total_uses = current_uses + 1"
        " WHERE campaign_code='PREMIUM_CONSULT'"
    )
    [(before,)] = con.execute(
        "SELECT count(*) FROM promotion_usage_log l JOIN promotion_campaigns c ON c.id = l.campaign_id"
        " WHERE c.campaign_code='PREMIUM_CONSULT'"
    ).fetchall()
    con.commit()
    con.close()
    env = {
        "FRONTDESK_PIN": "1111",
        "FRONTDESK_LOG_DIR": str(tmp_path / "logs"),
        "PATH": "/usr/bin:/bin",
    }
    racers = [
        subprocess.Popen(
            [
                str(FRONTDESK),
                "--db",
                str(path),
                "--user",
                "priya",
                "invoice",
                "create",
                "--patient",
                mobile,
                "--item",
                "BOTOX50",
                "--item",
                "CONSULT",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for mobile in mobiles[:2]
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0], outputs
    applied = [
        [
            p["campaign_code"]
            for p in (json.loads(out)["campaigns_applied"] or {}).get("applied_promotions", [])
        ]
        for out, _ in outputs
    ]
    assert sum("PREMIUM_CONSULT" in codes for codes in applied) == 1, applied
    assert query(
        path,
        "SELECT count(*) FROM promotion_usage_log l JOIN promotion_campaigns c ON c.id = l.campaign_id "
        "WHERE c.campaign_code='PREMIUM_CONSULT'",
    ) == [(before + 1,)]
    assert query(
        path,
        "SELECT current_uses - max_total_uses, is_active FROM promotion_campaigns"
        " WHERE campaign_code='PREMIUM_CONSULT'",
    ) == [(0, 0)]
