"""The head office's promotion reports with a branch filter (issue #15), against a real
PostgreSQL: the demo clinic (its promotions used on thousands of invoices) and a second
branch that sold none push to the centre; there `report promoted-invoices` for the demo
branch lists what the demo lists from its own file, the other branch's reports are empty,
and the chain's are the demo's."""

from __future__ import annotations

import json

import pytest

from domain.errors import BadInput
from services import auth, promotion_reports
from tests.cli.test_cli import run
from tests.services.test_head_office_dashboard import chain  # noqa: F401 (the fixture)
from tests.services.test_sync_pull import HO_PIN

pytestmark = pytest.mark.postgres


def test_promoted_invoices_on_the_centre_follow_the_branch_filter(chain):  # noqa: F811
    demo_db, code, other, office = chain
    other.sell(paid=True)  # a sale without promotions
    other.sync()
    manager = auth.sign_in(demo_db, "meera", "2222")
    own = promotion_reports.promoted_invoices(demo_db, manager, limit=40)
    assert len(own) == 40
    demo_only = promotion_reports.chain_scope(office.db, [code.lower()])
    assert (
        promotion_reports.promoted_invoices(office.db, office.admin, limit=40, scope=demo_only)
        == own
    )
    whole = promotion_reports.chain_scope(office.db, [])
    assert promotion_reports.promoted_invoices(office.db, office.admin, limit=40, scope=whole) == (
        own
    )
    kor = promotion_reports.chain_scope(office.db, ["KOR"])
    assert promotion_reports.promoted_invoices(office.db, office.admin, scope=kor) == []
    assert promotion_reports.campaign_effectiveness(office.db, office.admin, scope=kor) == []
    with pytest.raises(BadInput, match="No branch XYZ on the centre"):
        promotion_reports.chain_scope(office.db, ["XYZ"])
    with pytest.raises(BadInput, match="head office"):
        promotion_reports.chain_scope(demo_db, [code])


def test_the_campaign_reports_take_branch_on_the_command_line(chain, centre, tmp_path):  # noqa: F811
    demo_db, code, _other, office = chain
    url = centre.render_as_string(hide_password=False)

    def report(*args: str, check: bool = True):
        return run(
            "--central",
            url,
            "--user",
            "ho",
            "report",
            *args,
            pin=HO_PIN,
            tmp_path=tmp_path,
            check=check,
        )

    listed = json.loads(
        report("promoted-invoices", "--branch", code, "--limit", "5", "--json").stdout
    )
    manager = auth.sign_in(demo_db, "meera", "2222")
    assert [row["invoice_number"] for row in listed] == [
        row.invoice_number for row in promotion_reports.promoted_invoices(demo_db, manager, limit=5)
    ]
    for name in ("campaigns", "usage-timeline", "top-patients", "promoted-invoices"):
        assert json.loads(report(name, "--branch", "KOR", "--json").stdout) == []
    campaigns = json.loads(report("campaigns", "--branch", code, "--json").stdout)
    assert sum(row["uses"] for row in campaigns) > 100
    refused = report("campaigns", "--branch", "XYZ", check=False)
    assert refused.returncode == 2 and "No branch XYZ" in refused.stderr
