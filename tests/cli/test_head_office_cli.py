"""The head office from the command line, against a real PostgreSQL (never skipped):
`central init --admin` sets it up on the centre, `frontdesk --central URL --user NAME
catalog add` edits the master data there, and a branch's `frontdesk sync` receives it."""

import json
import shutil

import pytest

from tests.cli.test_cli import demo_file, run
from tests.cli.test_sync_cli import query

__all__ = ["demo_file"]

pytestmark = pytest.mark.postgres

HO_PIN = "765432"


def test_the_head_office_adds_an_item_on_the_centre_and_the_branch_receives_it(
    demo_file, centre, tmp_path, monkeypatch
):
    admin_url = centre.render_as_string(hide_password=False)
    monkeypatch.delenv("FRONTDESK_CENTRAL_URL", raising=False)
    monkeypatch.setenv("FRONTDESK_CENTRAL_PASSWORD", "the branch's own password")
    ready = run(
        "central", "init", "--url", admin_url, "--admin", "ho", pin=HO_PIN, tmp_path=tmp_path
    )
    assert "head office is set up on the centre, with admin user 'ho'" in ready.stdout
    again = run(
        "central", "init", "--url", admin_url, "--admin", "ho", pin=HO_PIN, tmp_path=tmp_path
    )
    assert "already set up" in again.stdout

    office = ("--central", admin_url, "--user", "ho")
    item = (
        "--name",
        "Chemical peel",
        "--category",
        "Peels",
        "--type",
        "service",
        "--taxability",
        "exempt",
        "--hsn",
        "999722",
    )
    run(
        *office,
        "catalog",
        "add",
        "--code",
        "PEEL-HO",
        *item,
        "--price",
        "2500",
        pin=HO_PIN,
        tmp_path=tmp_path,
    )
    wrong = run(*office, "catalog", "list", pin="000000", tmp_path=tmp_path, check=False)
    assert wrong.returncode == 1

    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))
    [(code,)] = query(path, "SELECT branch_code FROM branches")
    run(*db, "central", "add-branch", code, "--url", admin_url, tmp_path=tmp_path)
    role = f"{centre.database}_{code}".lower()
    url = centre.set(username=role, password="the branch's own password")
    done = json.loads(
        run(
            *db,
            "sync",
            "--central",
            url.render_as_string(hide_password=False),
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert done["pull"]["received"] == 2  # the item and its price
    assert query(path, "SELECT price FROM catalog_items WHERE code = 'PEEL-HO'") == [(250000,)]

    run(*office, "catalog", "edit", "PEEL-HO", "--price", "2800", pin=HO_PIN, tmp_path=tmp_path)
    listed = run(*office, "catalog", "list", "--json", pin=HO_PIN, tmp_path=tmp_path).stdout
    assert "2800.00" in listed
    run(*db, "sync", "--central", url.render_as_string(hide_password=False), tmp_path=tmp_path)
    prices = query(
        path,
        "SELECT p.price FROM catalog_prices p JOIN catalog_items i ON i.id = "
        "p.item_id WHERE i.code = 'PEEL-HO' ORDER BY p.price",
    )
    assert prices[-1] == (280000,)


def test_the_head_office_reads_the_chains_rfm_figures_with_a_branch_filter(
    demo_file, centre, tmp_path, monkeypatch
):
    admin_url = centre.render_as_string(hide_password=False)
    monkeypatch.delenv("FRONTDESK_CENTRAL_URL", raising=False)
    monkeypatch.setenv("FRONTDESK_CENTRAL_PASSWORD", "the branch's own password")
    run("central", "init", "--url", admin_url, "--admin", "ho", pin=HO_PIN, tmp_path=tmp_path)
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))
    [(code,)] = query(path, "SELECT branch_code FROM branches")
    run(*db, "central", "add-branch", code, "--url", admin_url, tmp_path=tmp_path)
    url = centre.set(
        username=f"{centre.database}_{code}".lower(), password="the branch's own password"
    ).render_as_string(hide_password=False)
    sent = run(*db, "sync", "--central", url, "--send-history", tmp_path=tmp_path).stdout
    assert "earlier invoice(s) queued for the centre" in sent

    window = ("report", "rfm", "--from", "2025-04-01", "--to", "2026-03-31", "--json")
    at_branch = json.loads(
        run(*db, "--user", "meera", *window, pin="2222", tmp_path=tmp_path).stdout
    )
    office = ("--central", admin_url, "--user", "ho")
    at_centre = json.loads(
        run(*office, *window, "--branch", code, pin=HO_PIN, tmp_path=tmp_path).stdout
    )
    assert at_centre["kpi"]["total_customer"] > 100
    assert at_centre == at_branch
    unknown = run(*office, *window, "--branch", "NOPE", pin=HO_PIN, tmp_path=tmp_path, check=False)
    assert unknown.returncode == 2
    assert f"No branch NOPE on the centre (known: {code})" in unknown.stderr
