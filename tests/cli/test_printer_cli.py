"""`frontdesk printer` and `frontdesk invoice print` end to end, printing to files: an
ESC/POS device file, and a stand-in `lp` that keeps what it is sent."""

import json
import os
import shutil
import socket
import sqlite3
import stat

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import run

DRAWER_KICK = b"\x1bp\x00"
CUT = b"\x1dV"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("printer_cli")
    path = folder / "demo.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    # The desk's counter session is open, as on a working day: cash can be taken.
    desk = ("--db", str(path), "--user", "priya", "session", "open", "--float", "2000")
    run(*desk, pin="1111", tmp_path=folder)
    return path


@pytest.fixture
def fd(template, tmp_path):
    """Run `frontdesk --db <copy> --user meera ...` with Meera's (manager's) PIN."""
    path = tmp_path / "frontdesk.db"
    shutil.copyfile(template, path)

    def call(*args, user="meera", pin="2222", check=True):
        return run(
            "--db", str(path), "--user", user, *args, pin=pin, tmp_path=tmp_path, check=check
        )

    call.path = path
    return call


def sale(fd, *pay):
    """Save Botox with the free consultation (Rs.4,500) paid as `pay`; its number."""
    con = sqlite3.connect(fd.path)
    try:
        (mobile,) = con.execute("SELECT mobile FROM patients ORDER BY name LIMIT 1").fetchone()
    finally:
        con.close()
    options = [option for method in pay for option in ("--pay", method)]
    created = fd(
        "invoice",
        "create",
        "--patient",
        mobile,
        "--item",
        "BOTOX50",
        "--item",
        "CONSULT",
        *options,
        "--json",
        user="priya",
        pin="1111",
    )
    return json.loads(created.stdout)["invoice_number"]


@pytest.fixture
def device(fd, tmp_path):
    """An ESC/POS printer at a device file, set as the receipt printer."""
    lp0 = tmp_path / "lp0"
    lp0.touch()
    fd("printer", "set", "--escpos", "file", "--address", str(lp0))
    return lp0


def test_show_says_the_default_printer_until_one_is_chosen(fd):
    text = fd("printer", "show", user="priya", pin="1111").stdout
    assert text == (
        "Receipts print on the default printer.\n"
        "Paper: 80 mm, 48 characters a line.\n"
        "The cash drawer opens on a cash payment.\n"
    )
    assert json.loads(fd("printer", "show", "--json").stdout)["target"] == "system"


def test_a_manager_chooses_a_network_printer(fd):
    result = fd(
        "printer",
        "set",
        "--escpos",
        "network",
        "--address",
        "192.168.1.50",
        "--columns",
        "42",
        "--no-drawer",
    )
    assert result.stdout.splitlines() == [
        "Receipts print on the network printer at 192.168.1.50 (ESC/POS).",
        "Paper: 80 mm, 42 characters a line.",
        "The cash drawer stays shut on a cash payment.",
    ]
    shown = json.loads(fd("printer", "show", "--json").stdout)
    assert shown == {
        "target": "escpos",
        "system_printer": "",
        "escpos_kind": "network",
        "escpos_address": "192.168.1.50",
        "columns": 42,
        "open_drawer_on_cash": False,
    }


def test_a_bad_address_names_the_option_and_saves_nothing(fd):
    result = fd("printer", "set", "--escpos", "usb", "--address", "epson", check=False)
    assert result.returncode == 2
    assert "USB vendor and product ids" in result.stderr and "(--address)" in result.stderr
    assert json.loads(fd("printer", "show", "--json").stdout)["target"] == "system"


def test_the_front_desk_cannot_choose_the_printer(fd):
    result = fd("printer", "set", "--system", "HP", user="priya", pin="1111", check=False)
    assert result.returncode == 1
    assert "manager" in result.stderr.lower()


def test_invoice_print_sends_the_receipt_to_the_escpos_printer(fd, device):
    number = sale(fd, "cash:5000")
    result = fd("invoice", "print", number, user="priya", pin="1111")
    assert result.stdout == f"Printed {number} on the printer at {device}.\n"
    sent = device.read_bytes()
    assert f"Invoice: {number}".encode() in sent
    assert b"TOTAL                                Rs.4,500.00" in sent
    assert b"Change                                    500.00" in sent
    assert b"*** PAID ***" in sent and CUT in sent
    assert DRAWER_KICK not in sent  # a reprint from a terminal leaves the drawer shut


def test_open_drawer_kicks_it_for_a_cash_sale_only(fd, device):
    cash, upi = sale(fd, "cash:4500"), sale(fd, "upi:4500:UTR77")
    said = fd("invoice", "print", cash, "--escpos", "--open-drawer").stdout
    assert said.endswith("and opened the cash drawer.\n")
    assert device.read_bytes().count(DRAWER_KICK) == 1
    said = fd("invoice", "print", upi, "--escpos", "--open-drawer").stdout
    assert said == f"Printed {upi} on the printer at {device}.\n"
    sent = device.read_bytes()
    assert DRAWER_KICK not in sent and b"UPI ref UTR77" in sent


def test_a4_goes_to_a_named_printer_through_lp(fd, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    lp = fake_bin / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > {spool}/args\ncp "$3" {spool}/job.pdf\n')
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    number = sale(fd)
    result = fd("invoice", "print", number, "--a4", "--printer", "Office_Laser")
    assert result.stdout == f"{number} (A4): Sent to the printer Office_Laser.\n"
    assert (spool / "args").read_text().startswith("-d Office_Laser ")
    text = "".join(page.extract_text() for page in PdfReader(spool / "job.pdf").pages)
    assert number in text and "4,500.00" in text


def test_a_printer_that_does_not_answer_is_a_sentence_and_status_1(fd):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    fd("printer", "set", "--escpos", "network", "--address", f"127.0.0.1:{port}")
    number = sale(fd)
    result = fd("invoice", "print", number, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"frontdesk: The receipt printer does not answer at 127.0.0.1:{port}: check it is "
        "switched on and on the same network, then print again.\n"
    )


def test_escpos_prints_receipts_only(fd, device):
    result = fd("invoice", "print", sale(fd), "--a4", "--escpos", check=False)
    assert result.returncode == 2
    assert "receipts only" in result.stderr


def test_the_test_page_goes_to_the_escpos_printer(fd, device):
    assert fd("printer", "test").stdout == f"Printed a test page on the printer at {device}.\n"
    assert b"48 characters a line:" in device.read_bytes()
