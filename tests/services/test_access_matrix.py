"""Access control (issue #13): every service that acts for a signed-in person, called by
every role, does what domain.permissions says that role may do, and nothing else.

The walk below names each such service with its action and a way to call it. A test reads
the services' source and fails, naming the service, when one that takes an `actor` (or opens
a unit of work) is missing here. Each call runs on its own copy of the demo clinic (a real
SQLite file), once as the front desk, once as a manager and once as an admin: allowed, it
goes through; refused, it raises PermissionDenied with a sentence that names the role
needed, and the database file is byte for byte what it was. Approvals on the spot (a
discount, a refund, a reversal, credit over the limit) are walked by the approver's role,
the front desk asking.

The README's "Who may do what" table is domain.permissions.markdown_table(), and its
"What is tested, in numbers" table says how many roles x actions this walk checks.
"""

from __future__ import annotations

import ast
import importlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import Refused
from domain.permissions import PERMISSIONS, allowed, markdown_table, needs
from domain.roles import PermissionDenied, Role
from domain.staff import StaffRefused
from services import (
    audit,
    auth,
    callbacks,
    catalog,
    credit_notes,
    dashboard,
    data_export,
    gst_report,
    head_office,
    invoicing,
    payments,
    promotion_reports,
    promotions,
    sponsors,
    staff,
    takings,
)
from services.campaigns import audiences, campaigns, chain_results, recommendations, templates
from services.invoicing import CartItem, CartRequest
from services.payment_settings import PaymentSettings, save_payment_settings
from services.setup import open_branch_database
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import a_patient, cart, item_id
from tests.services.test_unit_of_work import (
    WRITES,
    Desk,
    campaign_drafted,
    campaign_launched,
    fingerprint,
    queued,
    saved_invoice,
    sponsor_billed,
    sponsored,
    unit_of_work_services,
    upi,
    with_promotion,
)

ROOT = Path(__file__).resolve().parents[2]

# Who signs in for each role in the demo clinic (README, "Demo users").
PINS = {
    Role.FRONT_DESK: ("priya", "1111"),
    Role.MANAGER: ("meera", "2222"),
    Role.ADMIN: ("admin", "9999"),
}

# Services that act for nobody in particular, and why they need no role.
OPEN_TO_ALL = {
    "auth.sign_in": "anyone may try a PIN: five wrong ones lock the user (test_pin_lockout)",
    "setup.initialise": "sets a database up before anybody exists to sign in",
    "sync_pull.store": "stores what the centre published, for the branch: the sync round, no person",
    "campaigns.run_due_triggers": "fires what a running campaign's triggers set up, for whoever's "
    "save or day set them off; it starts no campaign",
    "campaign_sender.send_due": "sends what a manager launched: the app's worker, whoever is signed in",
    "sync.send_history": "queues the branch's earlier invoices for the centre, as a sync round "
    "sends documents: the branch's set-up, no person",
}


@dataclass(frozen=True)
class Case:
    """One service walked with every role: the action it is, what it needs first (made by
    the demo's own users), and the call, made by the user of the role being walked."""

    action: str
    prepare: Callable[[Desk], Any]
    call: Callable[[Desk, Any], Any]


def written(name: str, action: str) -> Case:
    """A write of test_unit_of_work's walk: its set-up and its call, here by one role."""
    prepare, write, _doc_type, _documents = WRITES[name]
    return Case(action, prepare, write)


def nothing(_d: Desk) -> None:
    return None


def chain_wide_here(d: Desk) -> None:
    """An admin asking a branch's file to publish staff is told it is the centre's."""
    with pytest.raises(StaffRefused, match="Only head office, on the centre"):
        staff.set_chain_wide(d.db, me(d), "rahul", every_branch=True, now=NOW)


def me(d: Desk) -> auth.CurrentUser:
    """The user of the role being walked (every user of the acting Desk is that user)."""
    return d.desk


def promo_code(d: Desk) -> str:
    with_promotion(d)
    promotions.save_code(d.db, d.manager, {"code": "PEEL10", "promotion_code": "PEELS10"}, now=NOW)
    return "PEEL10"


def rfm(d: Desk) -> dashboard.RfmReport:
    return dashboard.rfm_report(d.db, d.manager, dashboard.DashboardFilters(), today=TODAY)


def discounted_cart(d: Desk) -> CartRequest:
    """A line discounted beyond the front desk's own limit: it needs a manager's approval."""
    percent = d.desk.max_manual_discount_percent + Decimal(5)
    return CartRequest(a_patient(d.db), (CartItem(item_id(d.db, "MEDIFACIAL"), 1, percent),))


def over_the_limit(d: Desk) -> CartRequest:
    """A cart that takes a patient over the branch's credit limit."""
    save_payment_settings(d.db, d.manager, PaymentSettings(default_credit_limit=100_000), now=NOW)
    return cart(d.db, "BOTOX50", patient=a_patient(d.db, 5))


def paid_invoice(d: Desk) -> payments.Receipt:
    return payments.take_payment(d.db, d.desk, saved_invoice(d).invoice_number, [upi()], now=NOW)


def desk_of(real: Desk, given: Any) -> tuple[auth.CurrentUser, Any]:
    return real.desk, given


def asking(prepare: Callable[[Desk], Any]) -> Callable[[Desk], Any]:
    """For an approval: what `prepare` makes, with the front-desk user who asks."""
    return lambda d: (d.desk, prepare(d))


CASES: dict[str, Case] = {
    # -- writes (their set-up and call from test_unit_of_work) ---------------------------
    "branch.update_branch": written("branch.update_branch", "branch.change"),
    "screen_lock.save_idle_lock_minutes": written(
        "screen_lock.save_idle_lock_minutes", "screen_lock.change"
    ),
    "patients.add_patient": written("patients.add_patient", "patient.edit"),
    "patients.update_patient": written("patients.update_patient", "patient.edit"),
    "patients.walk_in_patient": written("patients.walk_in_patient", "patient.edit"),
    "patients.merge_patients": written("patients.merge_patients", "patient.merge"),
    "invoicing.save_invoice": written("invoicing.save_invoice", "invoice.save"),
    "invoicing.cancel_invoice": written("invoicing.cancel_invoice", "invoice.cancel"),
    "invoicing.rebuild_usage": written("invoicing.rebuild_usage", "usage.rebuild"),
    "payments.take_payment": written("payments.take_payment", "payment.take"),
    "payments.settle_dues": written("payments.settle_dues", "payment.take"),
    "payments.take_advance": written("payments.take_advance", "payment.take"),
    "payments.reverse_payment": written("payments.reverse_payment", "payment.reverse"),
    "payments.set_credit_limit": written("payments.set_credit_limit", "credit_limit.change"),
    "credit_notes.issue_credit_note": written("credit_notes.issue_credit_note", "refund.approve"),
    "printer_settings.save_printer_settings": written(
        "printer_settings.save_printer_settings", "printer.change"
    ),
    "payment_settings.save_payment_settings": written(
        "payment_settings.save_payment_settings", "payment_methods.change"
    ),
    "sync_settings.save_sync_settings": written(
        "sync_settings.save_sync_settings", "sync.settings"
    ),
    "backup.save_backup_settings": written("backup.save_backup_settings", "backup.settings"),
    "channel_settings.save_channel": written("channel_settings.save_channel", "campaign.manage"),
    "channel_settings.save_sending_rules": written(
        "channel_settings.save_sending_rules", "campaign.manage"
    ),
    "consent.record_consent": written("consent.record_consent", "patient.edit"),
    "consent.set_do_not_contact": written("consent.set_do_not_contact", "patient.edit"),
    "consent.import_replies": written("consent.import_replies", "campaign.manage"),
    "backup.audit_restore": written("backup.audit_restore", "backup.restore"),
    "counter_sessions.open_session": written("counter_sessions.open_session", "session.open"),
    "counter_sessions.cash_movement": written("counter_sessions.cash_movement", "session.cash"),
    "counter_sessions.close_session": written("counter_sessions.close_session", "session.close"),
    "history_import.import_transactions": written(
        "history_import.import_transactions", "history.import"
    ),
    **{
        name: written(name, "sponsor.impression")
        for name in (
            "sponsors.record_impression",
            "sponsors.record_sponsor_click",
            "sponsors.record_sponsor_conversions",
        )
    },
    **{
        name: written(name, "sponsor.manage")
        for name in (
            "sponsors.add_sponsor",
            "sponsors.add_sponsored_campaign",
            "sponsors.stop_campaign",
            "sponsors.bill_sponsor_period",
            "sponsors.record_sponsor_payment",
        )
    },
    "sponsors.bill_every_campaign": Case(
        "sponsor.manage",
        sponsored,
        lambda d, _: sponsors.bill_every_campaign(
            d.db, me(d), sponsors.Period(TODAY, TODAY), now=NOW
        ),
    ),
    "sponsors.list_sponsors": Case(
        "sponsor.manage", sponsored, lambda d, _: sponsors.list_sponsors(d.db, me(d))
    ),
    "sponsors.campaign_status": Case(
        "sponsor.manage",
        sponsored,
        lambda d, _: sponsors.campaign_status(d.db, me(d), "GLOWCO-NOV", now=NOW),
    ),
    "sponsors.sponsor_campaigns": Case(
        "sponsor.manage", sponsored, lambda d, _: sponsors.sponsor_campaigns(d.db, me(d), now=NOW)
    ),
    "sponsors.sponsor_invoice_document": Case(
        "sponsor.manage",
        sponsor_billed,
        lambda d, billed: sponsors.sponsor_invoice_document(d.db, me(d), billed.invoice_number),
    ),
    "promotions.save_promotion": written("promotions.save_promotion", "promotion.manage"),
    "promotions.save_code": written("promotions.save_code", "promotion.manage"),
    "promotions.set_paused": written("promotions.set_paused", "promotion.manage"),
    "catalog.save_item": written("catalog.save_item", "catalog.change"),
    "catalog.retire_item": written("catalog.retire_item", "catalog.change"),
    "catalog.import_items": written("catalog.import_items", "catalog.change"),
    "staff.add_user": written("staff.add_user", "staff.manage"),
    "staff.update_user": written("staff.update_user", "staff.manage"),
    "staff.retire_user": written("staff.retire_user", "staff.manage"),
    "callbacks.update_config": written("callbacks.update_config", "callback.settings"),
    "callbacks.add_callback": written("callbacks.add_callback", "callback.work"),
    "callbacks.assign": written("callbacks.assign", "callback.work"),
    "callbacks.start_call": written("callbacks.start_call", "callback.work"),
    "callbacks.take_call": written("callbacks.take_call", "callback.work"),
    "callbacks.call_next": written("callbacks.call_next", "callback.work"),
    "callbacks.complete": written("callbacks.complete", "callback.work"),
    "callbacks.no_answer": written("callbacks.no_answer", "callback.work"),
    "callbacks.reschedule": written("callbacks.reschedule", "callback.work"),
    "callbacks.cancel": written("callbacks.cancel", "callback.work"),
    "callbacks.add_note": written("callbacks.add_note", "callback.work"),
    # -- the same services, dated otherwise or approved on the spot ----------------------
    "invoicing.save_invoice[at]": Case(
        "invoice.backdate",
        nothing,
        lambda d, _: invoicing.save_invoice(
            d.db, me(d), cart(d.db, "CONSULT"), now=NOW, at=NOW - timedelta(minutes=30)
        ),
    ),
    "invoicing.save_invoice[discount approver]": Case(
        "discount.approve",
        asking(discounted_cart),
        lambda d, given: invoicing.save_invoice(d.db, given[0], given[1], now=NOW, approver=me(d)),
    ),
    "invoicing.save_invoice[credit approver]": Case(
        "credit.allow",
        asking(over_the_limit),
        lambda d, given: invoicing.save_invoice(d.db, given[0], given[1], now=NOW, approver=me(d)),
    ),
    "credit_notes.issue_credit_note[approver]": Case(
        "refund.approve",
        asking(saved_invoice),
        lambda d, given: credit_notes.issue_credit_note(
            d.db,
            given[0],
            given[1].invoice_number,
            [(1, 1)],
            reason="Not given",
            refund_method=None,
            approver=me(d),
            now=NOW,
        ),
    ),
    "payments.reverse_payment[approver]": Case(
        "payment.reverse",
        asking(paid_invoice),
        lambda d, given: payments.reverse_payment(
            d.db, given[0], given[1].payment_ids[0], "UPI failed", approver=me(d), now=NOW
        ),
    ),
    "auth.manager_approval": Case(
        "discount.approve",
        nothing,
        lambda d, _: auth.manager_approval(
            d.db, me(d).username, PINS[me(d).role][1], "Approving a discount", now=NOW
        ),
    ),
    # -- reads -----------------------------------------------------------------------------
    "invoicing.quote": Case(
        "invoice.save",
        nothing,
        lambda d, _: invoicing.quote(d.db, me(d), cart(d.db, "CONSULT"), now=NOW),
    ),
    "callbacks.queue": Case(
        "callback.read", nothing, lambda d, _: callbacks.queue(d.db, me(d), now=NOW)
    ),
    "callbacks.overdue_count": Case(
        "callback.read", nothing, lambda d, _: callbacks.overdue_count(d.db, me(d), now=NOW)
    ),
    "callbacks.get_callback": Case(
        "callback.read", queued, lambda d, row: callbacks.get_callback(d.db, me(d), row.id, now=NOW)
    ),
    "catalog.list_items": Case(
        "catalog.read", nothing, lambda d, _: catalog.list_items(d.db, me(d), now=NOW)
    ),
    "catalog.export_items": Case(
        "catalog.read",
        nothing,
        lambda d, _: catalog.export_items(d.db, me(d), d.folder / "catalog.csv", now=NOW),
    ),
    "promotions.list_promotions": Case(
        "promotion.read", nothing, lambda d, _: promotions.list_promotions(d.db, me(d), now=NOW)
    ),
    "promotions.list_codes": Case(
        "promotion.read", nothing, lambda d, _: promotions.list_codes(d.db, me(d))
    ),
    "promotions.export_promotion": Case(
        "promotion.read", nothing, lambda d, _: promotions.export_promotion(d.db, me(d), "GLOW20")
    ),
    "promotions.code_analytics": Case(
        "promotion.read", promo_code, lambda d, code: promotions.code_analytics(d.db, me(d), code)
    ),
    "promotions.code_applications": Case(
        "promotion.read",
        promo_code,
        lambda d, code: promotions.code_applications(d.db, me(d), code),
    ),
    "promotion_reports.campaign_effectiveness": Case(
        "promotion_reports.read",
        nothing,
        lambda d, _: promotion_reports.campaign_effectiveness(d.db, me(d)),
    ),
    "promotion_reports.promoted_invoices": Case(
        "promotion_reports.read",
        nothing,
        lambda d, _: promotion_reports.promoted_invoices(d.db, me(d)),
    ),
    "promotion_reports.usage_timeline": Case(
        "promotion_reports.read",
        nothing,
        lambda d, _: promotion_reports.usage_timeline(d.db, me(d), today=TODAY),
    ),
    "promotion_reports.top_patients": Case(
        "promotion_reports.read",
        nothing,
        lambda d, _: promotion_reports.top_patients(d.db, me(d)),
    ),
    "dashboard.rfm_report": Case(
        "dashboard.read",
        nothing,
        lambda d, _: dashboard.rfm_report(d.db, me(d), dashboard.DashboardFilters(), today=TODAY),
    ),
    "dashboard.customers": Case(
        "dashboard.read", rfm, lambda d, report: dashboard.customers(d.db, me(d), report)
    ),
    "dashboard.branch_codes": Case(
        "dashboard.read", nothing, lambda d, _: dashboard.branch_codes(d.db, me(d))
    ),
    "head_office.branch_states": Case(
        "dashboard.read", nothing, lambda d, _: head_office.branch_states(d.db, me(d))
    ),
    "dashboard.campaign_charts": Case(
        "promotion_reports.read",
        nothing,
        lambda d, _: dashboard.campaign_charts(d.db, me(d), today=TODAY),
    ),
    "dashboard.refresh": Case(
        "dashboard.read",
        nothing,
        lambda d, _: dashboard.refresh(d.db, me(d), dashboard.DashboardFilters(), today=TODAY),
    ),
    "takings.takings": Case(
        "takings.read", nothing, lambda d, _: takings.takings(d.db, me(d), TODAY, TODAY)
    ),
    "gst_report.gst_summary": Case(
        "gst.read", nothing, lambda d, _: gst_report.gst_summary(d.db, me(d), "2026-11")
    ),
    "staff.list_staff": Case("staff.manage", nothing, lambda d, _: staff.list_staff(d.db, me(d))),
    # Publishing staff to every branch is the centre's (tested on PostgreSQL in
    # test_sync_chain_staff); on a branch's file the role is checked first, then the place.
    "staff.set_chain_wide": Case("staff.manage", nothing, lambda d, _: chain_wide_here(d)),
    "data_export.export_zip": Case(
        "data.export",
        nothing,
        lambda d, _: data_export.export_zip(d.db, me(d), d.folder / "all.zip", now=NOW),
    ),
    "audit.verify_audit": Case(
        "audit.verify", nothing, lambda d, _: audit.verify_audit(d.db, me(d))
    ),
    # -- campaigns (issue #16) -------------------------------------------------------------
    "campaigns.add_template": written("templates.add_template", "campaign.manage"),
    "campaigns.update_template": written("templates.update_template", "campaign.manage"),
    "campaigns.create_campaign": written("campaigns.create_campaign", "campaign.manage"),
    "campaigns.launch_campaign": written("campaigns.launch_campaign", "campaign.manage"),
    "campaigns.pause_campaign": written("campaigns.pause_campaign", "campaign.manage"),
    "campaigns.add_trigger": written("triggers.add_trigger", "campaign.manage"),
    "campaigns.create_with_trigger": written("triggers.create_with_trigger", "campaign.manage"),
    "campaigns.list_campaigns": Case(
        "campaign.manage", nothing, lambda d, _: campaigns.list_campaigns(d.db, me(d))
    ),
    "campaigns.campaign_results": Case(
        "campaign.manage",
        campaign_launched,
        lambda d, cid: campaigns.campaign_results(d.db, me(d), cid),
    ),
    "campaigns.branch_campaigns": Case(
        "campaign.manage",
        campaign_launched,
        lambda d, _: chain_results.branch_campaigns(d.db, me(d)),
    ),
    "campaigns.audience_of": Case(
        "campaign.manage",
        campaign_drafted,
        lambda d, cid: campaigns.audience_of(d.db, me(d), cid, today=TODAY, now=NOW),
    ),
    "campaigns.count_audience": Case(
        "campaign.manage",
        lambda d: audiences.parse_audience({"patients": [str(a_patient(d.db))]}),
        lambda d, spec: audiences.count_audience(d.db, me(d), spec, "sms", today=TODAY, now=NOW),
    ),
    "campaigns.reachable_patients": Case(
        "campaign.manage",
        lambda d: audiences.parse_audience({"patients": [str(a_patient(d.db))]}),
        lambda d, spec: audiences.reachable_patients(
            d.db, me(d), spec, "sms", today=TODAY, now=NOW
        ),
    ),
    "campaigns.count_channels": Case(
        "campaign.manage",
        lambda d: audiences.parse_audience({"patients": [str(a_patient(d.db))]}),
        lambda d, spec: audiences.count_channels(
            d.db, me(d), spec, ["whatsapp", "sms"], today=TODAY, now=NOW
        ),
    ),
    "campaigns.reachable_by_channel": Case(
        "campaign.manage",
        lambda d: audiences.parse_audience({"patients": [str(a_patient(d.db))]}),
        lambda d, spec: audiences.reachable_by_channel(
            d.db, me(d), spec, ["whatsapp", "sms"], today=TODAY, now=NOW
        ),
    ),
    "campaigns.recommend": Case(
        "campaign.manage",
        nothing,
        lambda d, _: recommendations.recommend(d.db, me(d), today=TODAY, now=NOW),
    ),
    "campaigns.list_templates": Case(
        "campaign.manage", nothing, lambda d, _: templates.list_templates(d.db, me(d))
    ),
    "campaigns.preview": Case(
        "campaign.manage",
        lambda d: WRITES["templates.add_template"][1](d, None),
        lambda d, template_id: templates.preview(d.db, me(d), template_id, today=TODAY),
    ),
}

WALKED = sorted(CASES)

# The modules whose hypothesis examples the README counts as hostile inputs tried: every
# tests/*/test_hostile_*.py, and the promotion specs' schema test.
HOSTILE_MODULES = [
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in sorted(ROOT.glob("tests/*/test_hostile_*.py"))
] + ["tests.domain.test_promotion_spec_schema"]

# (service, role) pairs the walk has checked in this run, for its count.
CHECKED: set[tuple[str, Role]] = set()


@pytest.fixture(scope="module")
def users(demo_template) -> dict[Role, auth.CurrentUser]:
    """The demo's users, signed in once: every copy of the template has the same ids."""
    db = open_branch_database(demo_template, now=NOW)
    try:
        return {role: auth.sign_in(db, name, pin, now=NOW) for role, (name, pin) in PINS.items()}
    finally:
        db.close()


def file_bytes(path: Path) -> dict[str, bytes]:
    """The database file and its write-ahead log, as bytes (a reader may leave an empty
    log behind: it holds nothing)."""
    files = (path, path.with_name(path.name + "-wal"))
    return {p.name: p.read_bytes() for p in files if p.exists() and p.stat().st_size}


@pytest.mark.parametrize("name", WALKED)
def test_each_role_may_do_what_the_matrix_says_and_nothing_more(
    name, users, demo_template, tmp_path
):
    case = CASES[name]
    for role in Role:
        folder = tmp_path / role.value
        folder.mkdir()
        path = folder / "demo.db"
        shutil.copyfile(demo_template, path)
        db = open_branch_database(path, now=NOW)
        try:
            real = Desk(db, users[Role.FRONT_DESK], users[Role.MANAGER], folder, users[Role.ADMIN])
            given = case.prepare(real)
            acting = Desk(db, users[role], users[role], folder, users[role])
            if allowed(role, case.action):
                case.call(acting, given)
            else:
                before, contents = file_bytes(path), fingerprint(path)
                with pytest.raises(Refused) as refused:
                    case.call(acting, given)
                assert isinstance(refused.value, PermissionDenied), refused.value
                assert needs(case.action).label.lower() in str(refused.value)
                assert file_bytes(path) == before
                assert fingerprint(path) == contents
        finally:
            db.close()
        CHECKED.add((name, role))


# The writes walked again by a user retired since signing in: each runs as the service's
# own user (approvals on the spot sign the approver in again, which a retirement refuses).
RETIRED_WALK = sorted(
    name for name in CASES if name.split("[")[0] in WRITES and "approver" not in name
)
RETIRED_CHECKED: set[str] = set()


@pytest.fixture(scope="module")
def retired(demo_template, tmp_path_factory, users) -> tuple[Path, dict[Role, auth.CurrentUser]]:
    """A copy of the demo clinic where a front-desk user, a manager and an admin (added for
    this: the demo's own stay on) signed in and were then retired by the admin."""
    path = tmp_path_factory.mktemp("retired") / "template.db"
    shutil.copyfile(demo_template, path)
    db = open_branch_database(path, now=NOW)
    try:
        admin = users[Role.ADMIN]
        signed = {}
        for role, username in (
            (Role.FRONT_DESK, "dev"),
            (Role.MANAGER, "kiran"),
            (Role.ADMIN, "asha"),
        ):
            staff.add_user(
                db,
                admin,
                username=username,
                full_name=username.title(),
                role=role.value,
                pin="482913",
                now=NOW,
            )
            signed[role] = auth.sign_in(db, username, "482913", now=NOW)
        for user in signed.values():
            staff.retire_user(db, admin, user.username, now=NOW)
    finally:
        db.close()
    return path, signed


@pytest.mark.parametrize("name", RETIRED_WALK)
def test_a_user_retired_since_signing_in_saves_nothing(name, users, retired, tmp_path):
    template, gone = retired
    case = CASES[name]
    path = tmp_path / "demo.db"
    shutil.copyfile(template, path)
    db = open_branch_database(path, now=NOW)
    try:
        given = case.prepare(
            Desk(db, users[Role.FRONT_DESK], users[Role.MANAGER], tmp_path, users[Role.ADMIN])
        )
        user = gone[needs(case.action)]
        before, contents = file_bytes(path), fingerprint(path)
        with pytest.raises(PermissionDenied, match="no longer on the staff"):
            case.call(Desk(db, user, user, tmp_path, user), given)
        assert file_bytes(path) == before
        assert fingerprint(path) == contents
    finally:
        db.close()
    RETIRED_CHECKED.add(name)


def acting_services() -> set[str]:
    """Every public service (module.function) that opens a unit of work, or is called with
    the database and an `actor` or an `approver`, or signs someone in (a username and a
    PIN). Helpers that build rows inside another service's unit of work take no database."""
    writers = unit_of_work_services()
    found = set()
    for path in (ROOT / "services").rglob("*.py"):
        parts = path.relative_to(ROOT / "services").with_suffix("").parts
        module = parts[0]
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            args = [a.arg for a in node.args.args + node.args.kwonlyargs]
            names = set(args)
            for_someone = args[:1] == ["db"] and bool(
                names & {"actor", "approver"} or {"username", "pin"} <= names
            )
            if for_someone or node.name in writers:
                found.add(f"{module}.{node.name}")
    return found


def test_every_service_that_acts_for_someone_is_walked():
    walked = {name.split("[")[0] for name in CASES} | OPEN_TO_ALL.keys()
    missing = sorted(acting_services() - walked)
    assert not missing, (
        "Not in the access walk: "
        + ", ".join(missing)
        + ". Add each to CASES in tests/services/test_access_matrix.py with its action "
        "(a line of domain/permissions.py PERMISSIONS; add one if none fits)."
    )
    gone = sorted(walked - acting_services())
    assert not gone, f"The walk names services that no longer act for anyone: {gone}"


def test_every_action_the_walk_names_is_in_the_matrix():
    unknown = {name: case.action for name, case in CASES.items() if case.action not in PERMISSIONS}
    assert not unknown


def required_actions() -> set[str]:
    """The actions named by `require(...)` / `allowed(...)` anywhere in the code."""
    found = set()
    for folder in ("services", "cli", "desktop"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in {"require", "allowed"}
                    and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)
                ):
                    found.add(node.args[1].value)
    return found


def test_every_action_checked_in_the_code_is_a_line_of_the_matrix():
    assert required_actions() - PERMISSIONS.keys() == set()


def test_every_line_of_the_matrix_is_checked_somewhere():
    """No line of the table is dead: each is walked here or named by the app's code."""
    code = "".join(
        path.read_text(encoding="utf-8")
        for folder in ("services", "cli", "desktop")
        for path in (ROOT / folder).rglob("*.py")
    )
    walked = {case.action for case in CASES.values()}
    dead = [a for a in PERMISSIONS if a not in walked and f'"{a}"' not in code]
    assert not dead, f"Lines of domain/permissions.py nothing checks: {dead}"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_readme_table_is_the_matrix():
    expected = markdown_table()
    assert expected in readme_section("Who may do what"), (
        "README.md's 'Who may do what' table differs from domain/permissions.py; "
        "paste this in its place:\n" + expected
    )


def test_the_readme_numbers_are_what_the_tests_reach():
    """The kills and the hostile examples the README counts are the tests' own settings."""
    from tests.services.test_durability import KILLS

    hostile = 0
    for module in HOSTILE_MODULES:
        for test in vars(importlib.import_module(module)).values():
            if getattr(test, "is_hypothesis_test", False):
                hostile += test._hypothesis_internal_use_settings.max_examples
    section = readme_section("What is tested, in numbers")
    assert f"| {KILLS} |" in section
    assert f"| {hostile} |" in section


def test_roles_times_actions_checked():
    """Runs last: every service was walked with every role, and the README says how many."""
    expected = {(name, role) for name in WALKED for role in Role}
    assert expected == CHECKED, f"not walked: {sorted(expected - CHECKED)[:10]}"
    print(f"roles x actions checked: {len(CHECKED)} ({len(WALKED)} services x {len(Role)} roles)")
    assert set(RETIRED_WALK) == RETIRED_CHECKED
    print(f"writes refused to a user retired since signing in: {len(RETIRED_CHECKED)}")
    assert f"| writes refused to a user retired since signing in | {len(RETIRED_CHECKED)} " in (
        readme_section("What is tested, in numbers")
    )
    assert f"| roles x actions checked | {len(CHECKED)} " in readme_section(
        "What is tested, in numbers"
    )
