"""End-to-end runs of the installed `frontdesk` command, as a person would type them."""

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

FRONTDESK = Path(sys.executable).with_name("frontdesk")


def run(*args, pin=None, new_pin=None, tmp_path, check=True):
    env = {**os.environ, "FRONTDESK_LOG_DIR": str(tmp_path / "logs")}
    env.pop("FRONTDESK_PIN", None)
    env.pop("FRONTDESK_NEW_PIN", None)
    if pin is not None:
        env["FRONTDESK_PIN"] = pin
    if new_pin is not None:
        env["FRONTDESK_NEW_PIN"] = new_pin
    result = subprocess.run(
        [str(FRONTDESK), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def dump(path):
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "x.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


def test_init_demo_creates_a_database_sqlite3_can_open(demo_file):
    con = sqlite3.connect(demo_file)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 2000
        names = {r[0] for r in con.execute("SELECT campaign_code FROM promotion_campaigns")}
        assert "PREMIUM_CONSULT" in names
    finally:
        con.close()


def test_init_demo_again_changes_nothing(demo_file, tmp_path):
    before = dump(demo_file)
    result = run("--db", str(demo_file), "init", "--demo", tmp_path=tmp_path)
    assert "nothing changed" in result.stdout
    assert dump(demo_file) == before


def test_init_demo_with_queue_fills_the_callback_queue_as_make_run_opens(tmp_path):
    path = tmp_path / "queue.db"
    run("--db", str(path), "init", "--demo", "--queue", tmp_path=tmp_path)
    con = sqlite3.connect(path)
    try:
        statuses = dict(
            con.execute("SELECT status, count(*) FROM callback_requests GROUP BY status").fetchall()
        )
    finally:
        con.close()
    assert statuses == {"new": 4, "assigned": 1, "no_answer": 1, "completed": 1}
    refused = run("--db", str(tmp_path / "b.db"), "init", "--queue", tmp_path=tmp_path, check=False)
    assert refused.returncode != 0 and "--queue goes with --demo" in refused.stderr
    assert not (tmp_path / "b.db").exists()


def test_init_without_demo_creates_an_admin_from_the_pin(tmp_path):
    path = tmp_path / "blank.db"
    run("--db", str(path), "init", "--admin", "owner", pin="567890", tmp_path=tmp_path)
    shown = run(
        "--db",
        str(path),
        "--user",
        "owner",
        "branch",
        "show",
        "--json",
        pin="567890",
        tmp_path=tmp_path,
    )
    assert json.loads(shown.stdout)["name"] == "My clinic"


def test_init_without_a_pin_is_refused_and_leaves_no_branch(tmp_path):
    path = tmp_path / "blank.db"
    result = run("--db", str(path), "init", tmp_path=tmp_path, check=False)
    assert result.returncode == 1
    assert "PIN" in result.stderr


def test_the_first_admins_pin_follows_the_pin_rule(tmp_path):
    path = tmp_path / "blank.db"
    result = run(
        "--db", str(path), "init", "--admin", "owner", pin="5678", tmp_path=tmp_path, check=False
    )
    assert result.returncode != 0
    assert "6 to 12 digits" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args", [[], ["init"], ["gui"], ["branch"], ["branch", "show"], ["branch", "set"]]
)
def test_every_command_has_help(args, tmp_path):
    result = run(*args, "--help", tmp_path=tmp_path)
    assert "usage: frontdesk" in result.stdout


def test_a_command_without_a_user_is_a_bad_argument(demo_file, tmp_path):
    result = run("--db", str(demo_file), "branch", "show", tmp_path=tmp_path, check=False)
    assert result.returncode == 2 and "--user" in result.stderr


def test_wrong_pin_is_refused(demo_file, tmp_path):
    result = run(
        "--db",
        str(demo_file),
        "--user",
        "meera",
        "branch",
        "show",
        pin="0000",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "PIN is not right" in result.stderr


def test_front_desk_cannot_change_the_branch_from_the_command_line(demo_file, tmp_path):
    result = run(
        "--db",
        str(demo_file),
        "--user",
        "priya",
        "branch",
        "set",
        "--name",
        "X",
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "needs a manager" in result.stderr


def test_manager_changes_the_branch_and_bad_input_names_the_option(tmp_path, demo_file):
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_file.read_bytes())
    base = ["--db", str(copy), "--user", "meera", "branch", "set"]
    bad = run(*base, "--gstin", "29ABCDE1234F1ZX", pin="2222", tmp_path=tmp_path, check=False)
    assert bad.returncode == 2 and "--gstin" in bad.stderr
    good = run(
        *base,
        "--phone",
        "080 1111 2222",
        "--series",
        "inv",
        "--json",
        pin="2222",
        tmp_path=tmp_path,
    )
    saved = json.loads(good.stdout)
    assert (saved["phone"], saved["invoice_series"]) == ("080 1111 2222", "INV")


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list", encoding="utf-8")
    result = run("--db", str(path), "init", "--demo", tmp_path=tmp_path, check=False)
    assert result.returncode == 1 and "not a Frontdesk database" in result.stderr
    assert path.read_text(encoding="utf-8") == "shopping list"


def test_the_number_format_is_checked_for_gst_and_kept_only_when_asked(tmp_path, demo_file):
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_file.read_bytes())
    base = ["--db", str(copy), "--user", "meera", "branch", "set"]
    long = ["--number-format", "{SERIES}-{FYYYY}-{SEQ}"]
    refused = run(*base, *long, pin="2222", tmp_path=tmp_path, check=False)
    assert refused.returncode == 2
    assert "GST allows 16 at most" in refused.stderr and "--number-format" in refused.stderr

    kept = run(*base, *long, "--allow-non-compliant-numbers", pin="2222", tmp_path=tmp_path)
    assert "warning: Numbers in this format reach 19 characters" in kept.stdout

    run(
        *base,
        "--code",
        "KOR",
        "--number-format",
        "{BRANCH}/{FY}/{SEQ}",
        "--legal-name",
        "Lumen Clinics LLP",
        "--upi-id",
        "lumen@okhdfc",
        pin="2222",
        tmp_path=tmp_path,
    )
    shown = json.loads(
        run(
            "--db",
            str(copy),
            "--user",
            "meera",
            "branch",
            "show",
            "--json",
            pin="2222",
            tmp_path=tmp_path,
        ).stdout
    )
    assert (shown["branch_code"], shown["number_format"], shown["legal_name"]) == (
        "KOR",
        "{BRANCH}/{FY}/{SEQ}",
        "Lumen Clinics LLP",
    )
    assert shown["number_warnings"] == []
    bad_state = run(*base, "--state", "27", pin="2222", tmp_path=tmp_path, check=False)
    assert bad_state.returncode == 2 and "registered in state 29 - Karnataka" in bad_state.stderr


def test_the_gst_summary_from_the_command_line(tmp_path, demo_file):
    base = ["--db", str(demo_file), "--user", "meera", "report", "gst"]
    result = run(
        *base,
        "--month",
        "2026-11",
        "--json",
        "--csv",
        str(tmp_path / "gst"),
        pin="2222",
        tmp_path=tmp_path,
    )
    data = json.loads(result.stdout)
    assert data["gstin"] == "29ABCDE1234F1ZW" and data["fp"] == "2026-11"
    assert {"b2b", "b2cl", "b2cs", "nil", "cdnr", "cdnur", "hsn", "doc_issue"} <= set(data)
    assert all(isinstance(row["txval"], str) for row in data["hsn"])
    assert (tmp_path / "gst" / "gst-2026-11-hsn.csv").exists()
    bad = run(*base, "--month", "Nov", pin="2222", tmp_path=tmp_path, check=False)
    assert bad.returncode == 2 and "not a month like 2026-11" in bad.stderr


def test_the_gst_summary_from_the_command_line_lists_the_sponsor_invoices(tmp_path, demo_file):
    # The demo's sponsor invoices are dated from its own today: read the month of the first.
    con = sqlite3.connect(demo_file)
    try:
        rows = con.execute(
            "SELECT invoice_number, invoice_date, total_amount, taxable_amount, igst_amount, "
            "cgst_amount FROM sponsor_invoices ORDER BY invoice_date, sequence_no"
        ).fetchall()
    finally:
        con.close()
    month = rows[0][1][:7]
    in_month = [row for row in rows if row[1].startswith(month)]
    base = ["--db", str(demo_file), "--user", "meera", "report", "gst"]
    result = run(*base, "--month", month, "--json", pin="2222", tmp_path=tmp_path)
    data = json.loads(result.stdout)

    def rupees(paise: int) -> str:
        return f"{Decimal(paise) / 100:.2f}"

    listed = {entry["inum"]: entry for entry in data["b2b"] if entry["ctin"] == "27AAECV4821M1ZZ"}
    assert sorted(listed) == sorted(row[0] for row in in_month)
    for number, _day, total, taxable, igst, cgst in in_month:
        entry = listed[number]
        assert (entry["pos"], entry["val"]) == ("27", rupees(total))
        [item] = entry["itms"]
        assert (item["rt"], item["txval"], item["iamt"]) == (
            "18",
            rupees(taxable),
            rupees(igst),
        )
        assert cgst == 0 and item["camt"] == "0.00"
    [sac] = [row for row in data["hsn"] if row["hsn_sc"] == "998366"]
    assert sac["val"] == rupees(sum(row[2] for row in in_month))
    assert data["doc_issue"]["sponsor_invoices"]["total"] == len(in_month)
    text = run(*base, "--month", month, pin="2222", tmp_path=tmp_path).stdout
    said = f"Sponsor invoices {in_month[0][0]} to {in_month[-1][0]}: {len(in_month)}"
    assert said in text.splitlines()[-1]


def test_the_catalog_from_the_command_line(tmp_path, demo_file):
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_file.read_bytes())
    base = ["--db", str(copy), "--user", "meera", "catalog"]
    added = run(
        *base,
        "add",
        "--code",
        "peptide",
        "--name",
        "Peptide serum",
        "--category",
        "Skincare products",
        "--type",
        "product",
        "--price",
        "1899",
        "--gst",
        "18",
        "--hsn",
        "33049990",
        "--barcode",
        "8901234567897",
        "--json",
        pin="2222",
        tmp_path=tmp_path,
    )
    assert json.loads(added.stdout)["price"] == "1899.00"
    later = run(
        *base,
        "edit",
        "PEPTIDE",
        "--price",
        "2099",
        "--price-from",
        "2099-01-01",
        pin="2222",
        tmp_path=tmp_path,
    )
    assert "from 01 Jan 2099 it costs Rs.2099.00" in later.stdout
    bad = run(*base, "edit", "PEPTIDE", "--gst", "10", pin="2222", tmp_path=tmp_path, check=False)
    assert bad.returncode == 2 and "(--gst)" in bad.stderr
    listed = json.loads(run(*base, "list", "--json", pin="2222", tmp_path=tmp_path).stdout)
    [peptide] = [row for row in listed if row["code"] == "PEPTIDE"]
    assert (peptide["price"], peptide["next_price"]) == ("1899.00", "2099.00")
    run(*base, "export", str(tmp_path / "c.csv"), pin="2222", tmp_path=tmp_path)
    same = run(*base, "import", str(tmp_path / "c.csv"), pin="2222", tmp_path=tmp_path)
    assert "0 added, 0 changed, 41 unchanged" in same.stdout
    run(*base, "retire", "PEPTIDE", pin="2222", tmp_path=tmp_path)
    # The front desk is refused every catalog command: tests/cli/test_access_cli.py.


def test_patients_from_the_command_line(tmp_path, demo_file):
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_file.read_bytes())
    base = ["--db", str(copy), "--user", "priya", "patient"]
    found = json.loads(
        run(*base, "find", "+91 79929 05876", "--json", pin="1111", tmp_path=tmp_path).stdout
    )
    assert [p["name"] for p in found] == ["Lakshmi Shetty"]
    page = json.loads(
        run(*base, "show", "7992905876", "--json", pin="1111", tmp_path=tmp_path).stdout
    )
    assert page["visits"] == len([i for i in page["invoices"] if i["status"] == "issued"])
    refused = run(
        *base,
        "add",
        "--name",
        "Ravi Shetty",
        "--mobile",
        "79929 05876",
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert refused.returncode == 1 and "Lakshmi Shetty's; same family?" in refused.stderr
    added = run(
        *base,
        "add",
        "--name",
        "Laxmi Shetty",
        "--mobile",
        "9845099999",
        "--json",
        pin="1111",
        tmp_path=tmp_path,
    )
    twin = json.loads(added.stdout)["id"]
    bad = run(
        *base, "edit", twin, "--email", "not-an-email", pin="1111", tmp_path=tmp_path, check=False
    )
    assert bad.returncode == 2 and "(--email)" in bad.stderr
    run(*base, "edit", twin, "--consent-sms", "yes", pin="1111", tmp_path=tmp_path)
    merged = run(
        "--db",
        str(copy),
        "--user",
        "meera",
        "patient",
        "merge",
        "7992905876",
        twin,
        pin="2222",
        tmp_path=tmp_path,
    )
    assert "Merged Laxmi Shetty into Lakshmi Shetty" in merged.stdout


def test_staff_from_the_command_line(tmp_path, demo_file):
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_file.read_bytes())
    base = ["--db", str(copy), "--user", "admin", "staff"]
    added = run(
        *base,
        "add",
        "kavya",
        "--name",
        "Kavya Iyer",
        "--role",
        "front_desk",
        "--max-discount",
        "5",
        pin="9999",
        new_pin="482913",
        tmp_path=tmp_path,
    )
    assert "Added Kavya Iyer (kavya, front desk)" in added.stdout
    listed = json.loads(run(*base, "list", "--json", pin="9999", tmp_path=tmp_path).stdout)
    assert {
        "username": "kavya",
        "name": "Kavya Iyer",
        "role": "front_desk",
        "max_discount": "5",
        "active": True,
        "every_branch": False,
    } in listed
    run("--db", str(copy), "--user", "kavya", "branch", "show", pin="482913", tmp_path=tmp_path)
    no_pin = run(*base, "edit", "kavya", "--reset-pin", pin="9999", tmp_path=tmp_path, check=False)
    assert no_pin.returncode == 2 and "FRONTDESK_NEW_PIN" in no_pin.stderr
    bad = run(
        *base, "edit", "kavya", "--max-discount", "150", pin="9999", tmp_path=tmp_path, check=False
    )
    assert bad.returncode == 2 and "(--max-discount)" in bad.stderr
    last = run(
        *base, "edit", "admin", "--role", "manager", pin="9999", tmp_path=tmp_path, check=False
    )
    assert last.returncode == 1 and "needs an active admin" in last.stderr
    run(*base, "retire", "kavya", pin="9999", tmp_path=tmp_path)
    gone = run(
        "--db",
        str(copy),
        "--user",
        "kavya",
        "branch",
        "show",
        pin="482913",
        tmp_path=tmp_path,
        check=False,
    )
    assert gone.returncode == 1
    manager = run(
        "--db",
        str(copy),
        "--user",
        "meera",
        "staff",
        "list",
        pin="2222",
        tmp_path=tmp_path,
        check=False,
    )
    assert manager.returncode == 1 and "Managing staff needs an admin" in manager.stderr


def test_invoices_are_found_again_from_the_command_line(tmp_path, demo_file):
    base = ["--db", str(demo_file), "--user", "priya", "invoice", "list"]
    found = json.loads(
        run(*base, "--search", "+91 79929 05876", "--json", pin="1111", tmp_path=tmp_path).stdout
    )
    assert found and {row["patient"] for row in found} == {"Lakshmi Shetty"}
    assert all(isinstance(row["payable"], str) for row in found)
    assert all(isinstance(row["paid"], str) and row["status"] for row in found)
    bad = run(*base, "--from", "yesterday", pin="1111", tmp_path=tmp_path, check=False)
    assert bad.returncode == 2
