"""Access control on the command line (issue #13): signed in as the front desk, every
command (or option) that domain.permissions keeps for a manager or an admin exits with
status 1 and the sentence that names who may, and the database file is as it was.

Every command of `frontdesk` is listed below, either with the refused command lines or
as open to the front desk; a new command fails the listing test by name until it is.
The same front-desk refusals through the services: tests/services/test_access_matrix.py.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.app import REFUSED, build_parser, main
from domain.permissions import PERMISSIONS, allowed, needs
from domain.roles import Role
from services import auth, invoicing, payments
from services.setup import initialise, open_branch_database
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart
from tests.services.test_access_matrix import readme_section
from tests.services.test_campaigns import SMS, a_campaign, patients, sms_template
from tests.services.test_unit_of_work import upi

# Commands the front desk may run (or that act for no one: they take no --user), with why.
OPEN = {
    "init": "sets a database up, before anyone can sign in",
    "gui": "opens the app, which asks who signs in",
    "diagnostics": "versions and paths for support, nobody's data",
    "backup now": "a copy of the file, which whoever runs it can read anyway",
    "backup list": "lists the copies",
    "backup settings": "shows where copies go; changing it is refused below",
    "sync": "sends the branch's pending documents, as the app does by itself",
    "central init": "acts on the centre with the centre's own credentials",
    "central add-branch": "acts on the centre with the centre's own credentials",
    "central branches": "reads the centre with the centre's own credentials",
    "central demo": "a throwaway centre of its own, on this computer, for trying sync",
    "branch show": "the branch's details, printed on every invoice",
    "branch set": "refused below",
    "branch idle-lock": "shows the idle minutes; setting them is refused below",
    "callback settings": "shows the settings; changing them is refused below",
    "channel show": "each channel's mode, no secrets",
    "campaign send-due": "sends what a manager launched, as the open app does by itself",
    **{
        f"consent {c}": "the counter records what the patient says (DPDP: easy to withdraw)"
        for c in ("grant", "withdraw", "show", "block", "allow")
    },
    "channel rules": "shows the sending rules; changing them is refused below",
    "printer show": "the receipt printer",
    "printer set": "refused below",
    "printer test": "a test page on the receipt printer",
    "payment methods": "the ways of paying, at the tender",
    "session x": "the drawer's X report",
    "session list": "the sessions",
    **{
        f"invoice {c}": "the counter's work"
        for c in ("create", "quote", "list", "pay", "show", "pdf", "print", "credit-notes")
    },
    **{f"patient {c}": "the counter's work" for c in ("find", "show", "add", "edit")},
    **{f"payment {c}": "the counter's work" for c in ("account", "settle", "advance", "list")},
    **{f"session {c}": "the desk's drawer" for c in ("open", "cash", "close")},
    **{
        f"callback {c}": "the callback queue"
        for c in (
            "add",
            "queue",
            "assign",
            "start",
            "complete",
            "no-answer",
            "reschedule",
            "cancel",
            "log",
        )
    },
}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The demo clinic with one paid invoice, and the files the commands read."""
    folder = tmp_path_factory.mktemp("access")
    path = folder / "clinic.db"
    db = open_branch_database(path, now=NOW)
    try:
        initialise(db, demo=True, now=NOW, today=TODAY)
        desk = auth.sign_in(db, "priya", "1111", now=NOW)
        invoice = invoicing.save_invoice(db, desk, cart(db, "CONSULT"), now=NOW)
        receipt = payments.take_payment(db, desk, invoice.invoice_number, [upi()], now=NOW)
        manager = auth.sign_in(db, "meera", "2222", now=NOW)
        template_id = sms_template(db, manager, name="Lapsed SMS")
        a_campaign(db, manager, patients(db, 2), name="Win back")
    finally:
        db.close()
    with sqlite3.connect(path) as connection:
        mobiles = [m for (m,) in connection.execute("SELECT mobile FROM patients LIMIT 2")]
    (folder / "catalog.csv").write_text(
        "code,name,category,item_type,price,cost,hsn_sac,taxability,tax_rate\n"
        "PEPTIDE,Peptide serum,Skincare products,product,1899,900,33049990,taxable,18\n",
        encoding="utf-8",
    )
    (folder / "history.csv").write_text(
        "invoice_number,invoice_date,patient_mobile,patient_name,item_code,item_name,"
        "quantity,unit_price,discount,cost\n"
        "OLD-1,2024-03-30,98450 12345,Asha Rao,CONSULT,Consultation,1,500,0,0\n",
        encoding="utf-8",
    )
    (folder / "peels.json").write_text(
        json.dumps(
            {
                "campaign_code": "PEELS10",
                "campaign_name": "Peels",
                "promotion_type": "percentage",
                "rules": {"scope": "category", "categories": ["Peels"]},
                "discount_percent": "10",
            }
        ),
        encoding="utf-8",
    )
    (folder / "template.json").write_text(json.dumps(SMS | {"name": "Other SMS"}), "utf-8")
    (folder / "campaign.json").write_text(
        json.dumps({"name": "Spring", "variants": {"A": {"template": str(template_id)}}}), "utf-8"
    )
    backup = folder / "copy.db"
    backup.write_bytes(path.read_bytes())
    return {
        "path": path,
        "folder": folder,
        "number": invoice.invoice_number,
        "payment": str(receipt.payment_ids[0]),
        "mobiles": mobiles,
        "template": str(template_id),
    }


def refused_lines(c) -> list[tuple[str, list[str]]]:
    """(action, command line) for every manager's or admin's command or option."""
    f = c["folder"]
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    keep, merge = c["mobiles"]
    return [
        ("audit.verify", ["audit", "verify"]),
        ("campaign.manage", ["campaign", "create", "--json-file", str(f / "campaign.json")]),
        ("campaign.manage", ["campaign", "list"]),
        ("campaign.manage", ["campaign", "recommend"]),
        ("campaign.manage", ["campaign", "audience", "Win back"]),
        ("campaign.manage", ["campaign", "launch", "Win back"]),
        ("campaign.manage", ["campaign", "pause", "Win back"]),
        ("campaign.manage", ["campaign", "results", "Win back"]),
        (
            "campaign.manage",
            [
                "campaign",
                "trigger",
                "Win back",
                "--kind",
                "invoice_saved",
                "--action",
                "create_callback",
            ],
        ),
        ("campaign.manage", ["template", "add", "--json-file", str(f / "template.json")]),
        ("campaign.manage", ["template", "list"]),
        ("campaign.manage", ["template", "preview", c["template"]]),
        ("sponsor.manage", ["sponsor", "add", "--name", "Glowco Skincare", "--state", "29"]),
        ("sponsor.manage", ["sponsor", "list"]),
        ("sponsor.manage", ["sponsor", "campaign", "add", "--json-file", str(f / "peels.json")]),
        ("sponsor.manage", ["sponsor", "bill", "--period", "2026-11-01:2026-11-24"]),
        (
            "sponsor.manage",
            ["sponsor", "pay", "INDS/26-27/00001", "--amount", "1", "--method", "upi"],
        ),
        ("sponsor.manage", ["sponsor", "status", "GLOWCO-NOV"]),
        ("sponsor.manage", ["sponsor", "campaign", "stop", "GLOWCO-NOV"]),
        ("sponsor.manage", ["sponsor", "campaign", "resume", "GLOWCO-NOV"]),
        ("sponsor.manage", ["sponsor", "invoice-pdf", "INDS/26-27/00001", str(f / "sp.pdf")]),
        ("data.export", ["export", str(f / "all.zip")]),
        ("backup.restore", ["restore", str(f / "copy.db"), "--yes"]),
        ("backup.settings", ["backup", "settings", "--daily", "3"]),
        ("branch.change", ["branch", "set", "--name", "Koramangala"]),
        ("screen_lock.change", ["branch", "idle-lock", "--minutes", "5"]),
        (
            "invoice.backdate",
            ["invoice", "create", "--patient", keep, "--item", "CONSULT", "--at", an_hour_ago],
        ),
        ("invoice.cancel", ["invoice", "cancel", c["number"], "--reason", "Entered twice"]),
        (
            "refund.approve",
            [
                "invoice",
                "refund",
                c["number"],
                "--line",
                "1",
                "--reason",
                "Treatment not given",
                "--keep-advance",
            ],
        ),
        ("record.backdate", ["session", "open", "--float", "0", "--at", an_hour_ago]),
        ("patient.merge", ["patient", "merge", keep, merge]),
        ("payment.reverse", ["payment", "reverse", c["payment"], "--reason", "UPI failed"]),
        ("payment_methods.change", ["payment", "set-method", "wallet", "--label", "Paytm"]),
        ("credit_limit.change", ["payment", "credit-limit", "5000"]),
        ("printer.change", ["printer", "set", "--columns", "42"]),
        ("callback.settings", ["callback", "settings", "--attempts", "4"]),
        ("catalog.read", ["catalog", "list"]),
        ("catalog.read", ["catalog", "export", str(f / "out.csv")]),
        (
            "catalog.change",
            [
                "catalog",
                "add",
                "--code",
                "X1",
                "--name",
                "X",
                "--category",
                "X",
                "--type",
                "product",
                "--price",
                "1",
            ],
        ),
        ("catalog.change", ["catalog", "edit", "LIPBALM", "--name", "Lip balm"]),
        ("catalog.change", ["catalog", "retire", "LIPBALM"]),
        ("catalog.change", ["catalog", "import", str(f / "catalog.csv")]),
        ("history.import", ["import", "transactions", str(f / "history.csv")]),
        ("usage.rebuild", ["promo", "rebuild-usage"]),
        ("promotion.read", ["promo", "list"]),
        ("promotion.read", ["promo", "export", "GLOW20"]),
        ("promotion.read", ["promo", "analytics", "GLOW20"]),
        ("promotion.read", ["promo", "applications", "GLOW20"]),
        ("promotion.manage", ["promo", "add", "--json-file", str(f / "peels.json")]),
        ("promotion.manage", ["promo", "add-code", "PEEL10", "--promotion", "GLOW20"]),
        ("promotion.manage", ["promo", "pause", "GLOW20"]),
        ("promotion.manage", ["promo", "resume", "GLOW20"]),
        ("promotion_reports.read", ["report", "campaigns"]),
        ("promotion_reports.read", ["report", "promoted-invoices"]),
        ("promotion_reports.read", ["report", "usage-timeline"]),
        ("promotion_reports.read", ["report", "top-patients"]),
        ("dashboard.read", ["report", "rfm"]),
        ("dashboard.read", ["report", "rfm-customers"]),
        ("gst.read", ["report", "gst", "--month", "2026-11"]),
        ("takings.read", ["report", "takings"]),
        ("campaign.manage", ["report", "campaign-results"]),
        ("staff.manage", ["staff", "list"]),
        ("staff.manage", ["staff", "add", "kavya", "--name", "Kavya", "--role", "front_desk"]),
        ("staff.manage", ["staff", "edit", "rahul", "--name", "Rahul V"]),
        ("staff.manage", ["staff", "retire", "rahul"]),
        ("staff.manage", ["staff", "every-branch", "rahul", "--on"]),
        ("campaign.manage", ["channel", "set", "preview", "--folder", str(f / "sent")]),
        ("campaign.manage", ["channel", "set", "email", "--host", "smtp.example.com"]),
        ("campaign.manage", ["channel", "set", "sms", "--header", "GLOWCL"]),
        ("campaign.manage", ["channel", "set", "whatsapp", "--version", "v21.0"]),
        ("campaign.manage", ["channel", "test", "sms", "--to", "+919845012345"]),
        ("campaign.manage", ["channel", "rules", "--cap", "3"]),
        ("campaign.manage", ["consent", "import", str(f / "replies.csv")]),
    ]


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every command of the parser, as typed ("invoice create")."""
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                deeper = commands(sub, (*prefix, name))
                found |= deeper or {" ".join((*prefix, name))}
    return found


def first_words(line: list[str]) -> str:
    known = commands(build_parser())
    for count in (3, 2, 1):
        if " ".join(line[:count]) in known:
            return " ".join(line[:count])
    raise AssertionError(f"not a command: {line}")


def test_every_command_is_either_open_to_the_front_desk_or_refused_here(clinic):
    listed = set(OPEN) | {first_words(line) for _action, line in refused_lines(clinic)}
    missing = sorted(commands(build_parser()) - listed)
    assert not missing, (
        f"Not in the command-line access walk: {missing}. Add each to OPEN or to "
        "refused_lines() in tests/cli/test_access_cli.py with its action."
    )


def file_bytes(path: Path) -> dict[str, bytes]:
    files = (path, path.with_name(path.name + "-wal"))
    return {p.name: p.read_bytes() for p in files if p.exists() and p.stat().st_size}


def test_the_front_desk_is_refused_every_managers_and_admins_command(clinic, monkeypatch, capsys):
    monkeypatch.setenv("FRONTDESK_PIN", "1111")
    monkeypatch.setenv("FRONTDESK_NEW_PIN", "482913")
    path = clinic["path"]
    checked = 0
    for action, line in refused_lines(clinic):
        assert action in PERMISSIONS and not allowed(Role.FRONT_DESK, action), action
        before = file_bytes(path)
        status = main(["--db", str(path), "--user", "priya", *line])
        stderr = capsys.readouterr().err
        assert status == REFUSED, (line, stderr)
        assert f"needs a {needs(action).label.lower()}" in stderr or (
            f"needs an {needs(action).label.lower()}" in stderr
        ), (line, stderr)
        assert stderr.startswith("frontdesk: ") and stderr.count("\n") == 1, stderr
        assert file_bytes(path) == before, line
        checked += 1
    print(f"front-desk command lines refused: {checked}")
    numbers = readme_section("What is tested, in numbers")
    assert (
        f"| manager's and admin's command lines refused to the front desk | {checked} |" in numbers
    )
