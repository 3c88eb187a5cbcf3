"""Settings the head office sets for every branch (issue #15's pull: "settings the centre
owns"), against a real PostgreSQL: the payment methods and the sending rules set on the
centre reach every branch at its next round; from then on a branch refuses to change them
itself; the head office's other settings stay its own (a branch's role cannot read them)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from db import central
from domain.payments import Method
from domain.send_gate import SendingRules
from services import channel_settings, payment_settings, printer_settings, sync
from services.centre_settings import CentreSetting, set_by_centre
from services.payment_settings import PAYMENT_SETTINGS_KEY, MethodSetting, PaymentSettings
from tests.services.test_sync import NOW

pytestmark = pytest.mark.postgres

CHAIN_METHODS = PaymentSettings(
    (
        MethodSetting(Method.CASH, "Cash"),
        MethodSetting(Method.UPI, "BHIM UPI", needs_reference=True),
        MethodSetting(Method.CARD, "Card", needs_reference=True),
        MethodSetting(Method.WALLET, "Wallet", enabled=False),
        MethodSetting(Method.ON_ACCOUNT, "On account"),
    ),
    default_credit_limit=500_000,
)


def test_settings_set_at_the_head_office_reach_every_branch_and_are_theirs_no_more(
    head_office, two_branches
):
    ho = head_office
    payment_settings.save_payment_settings(ho.db, ho.admin, CHAIN_METHODS, now=NOW)
    channel_settings.save_sending_rules(ho.db, ho.admin, SendingRules(1, 14), now=NOW)
    # The head office's printer is its own: no branch receives it.
    ho_printer = replace(printer_settings.printer_settings(ho.db), columns=32)
    printer_settings.save_printer_settings(ho.db, ho.admin, ho_printer, now=NOW)
    first, second = two_branches
    before = printer_settings.printer_settings(first.db)
    # A branch's own choice before the centre set anything is overwritten by the centre's.
    own = replace(CHAIN_METHODS, default_credit_limit=None)
    payment_settings.save_payment_settings(first.db, first.admin, own, now=NOW)

    for branch in two_branches:
        assert not set_by_centre(branch.db, PAYMENT_SETTINGS_KEY)
        result = branch.sync()
        assert result.pull is not None and result.pull.rows == 2
        assert payment_settings.payment_settings(branch.db) == CHAIN_METHODS
        rules = channel_settings.sending_rules(branch.db)
        assert (rules.cap_messages, rules.cap_days) == (1, 14)
        assert set_by_centre(branch.db, PAYMENT_SETTINGS_KEY)
        with pytest.raises(CentreSetting, match="Head office sets the payment methods"):
            payment_settings.save_payment_settings(branch.db, branch.admin, own, now=NOW)
        with pytest.raises(CentreSetting, match="Head office sets the sending rules"):
            channel_settings.save_sending_rules(
                branch.db, branch.admin, SendingRules(5, 7), now=NOW
            )
        # Nothing was half-saved by the refused changes.
        assert payment_settings.payment_settings(branch.db) == CHAIN_METHODS
    assert printer_settings.printer_settings(first.db) == before

    # The head office changes the limit: the next round brings it, and only it.
    changed = replace(CHAIN_METHODS, default_credit_limit=750_000)
    payment_settings.save_payment_settings(ho.db, ho.admin, changed, now=NOW)
    result = second.sync()
    assert result.pull is not None and result.pull.rows == 1
    assert payment_settings.payment_settings(second.db).default_credit_limit == 750_000
    assert payment_settings.payment_settings(first.db).default_credit_limit == 500_000


def test_a_branch_role_reads_only_the_settings_the_centre_sets_for_every_branch(
    centre, head_office, two_branches
):
    ho = head_office
    payment_settings.save_payment_settings(ho.db, ho.admin, CHAIN_METHODS, now=NOW)
    engine = create_engine(two_branches[0].url)
    try:
        with engine.connect() as connection:
            keys = set(connection.execute(text("SELECT key FROM app_settings")).scalars())
    finally:
        engine.dispose()
    # The head office's own (which branch it is, its pull state...) stay hidden.
    assert keys == {PAYMENT_SETTINGS_KEY}
    assert keys <= set(central.CENTRE_SETTINGS)


def test_a_branch_role_made_before_settings_were_published_reads_them_after_central_init(
    centre, head_office, two_branches
):
    branch = two_branches[0]
    role = branch.url.split("//", 1)[1].split(":", 1)[0]
    admin = create_engine(centre)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'REVOKE SELECT ON app_settings FROM "{role}"'))
    finally:
        admin.dispose()
    payment_settings.save_payment_settings(
        head_office.db, head_office.admin, CHAIN_METHODS, now=NOW
    )
    sync.init_centre(centre.render_as_string(hide_password=False))  # the upgrade
    result = branch.sync()
    assert result.pull is not None and result.pull.rows == 1
    assert payment_settings.payment_settings(branch.db) == CHAIN_METHODS
