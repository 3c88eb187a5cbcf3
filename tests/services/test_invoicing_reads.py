"""A save reads what it prices and checks from the database inside its own write
transaction (issue #11 made those reads plain rows, db.fast_select): what another desk on
the same file changed a moment before (another Database object, as another process would
be) counts at the very next save, and so does a change made at this desk."""

from dataclasses import replace

import pytest

from domain.payments import Method, PaymentError, TenderLine
from services import auth, branch, counter_sessions, invoicing, payment_settings, promotions
from services.setup import open_branch_database
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart

BOTOX_AND_CONSULT = 450_000  # the consultation free with Botox (PREMIUM_CONSULT)


@pytest.fixture
def other_desk(demo_db):
    """A second Database object on the same file."""
    other = open_branch_database(demo_db.path, now=NOW)
    yield other
    other.close()


def _promotions_applied(document):
    applied = (document.campaigns_applied or {}).get("applied_promotions", [])
    return {entry["campaign_code"] for entry in applied}


@pytest.mark.parametrize("where", ["this desk", "another desk"])
def test_a_paused_promotion_is_not_applied_at_the_next_save(demo_db, other_desk, where):
    desk = auth.sign_in(demo_db, "priya", "1111")
    changes = demo_db if where == "this desk" else other_desk
    manager = auth.sign_in(changes, "meera", "2222")
    request = cart(demo_db, "BOTOX50", "CONSULT")
    first = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert _promotions_applied(first) == {"PREMIUM_CONSULT"}

    promotions.set_paused(changes, manager, "PREMIUM_CONSULT", paused=True, now=NOW)
    paused = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert _promotions_applied(paused) == set()
    assert paused.total_amount > BOTOX_AND_CONSULT

    promotions.set_paused(changes, manager, "PREMIUM_CONSULT", paused=False, now=NOW)
    resumed = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert _promotions_applied(resumed) == {"PREMIUM_CONSULT"}
    assert resumed.total_amount == BOTOX_AND_CONSULT


def test_the_branch_details_changed_at_another_desk_print_on_the_next_invoice(demo_db, other_desk):
    desk = auth.sign_in(demo_db, "priya", "1111")
    manager = auth.sign_in(other_desk, "meera", "2222")
    request = cart(demo_db, "BOTOX50", "CONSULT")
    invoicing.save_invoice(demo_db, desk, request, now=NOW)
    details = branch.get_branch(other_desk).details
    branch.update_branch(other_desk, manager, replace(details, phone="080 4000 1234"), now=NOW)

    saved = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert saved.branch.phone == "080 4000 1234"


def test_a_payment_method_switched_off_at_another_desk_is_refused_at_the_next_save(
    demo_db, other_desk
):
    desk = auth.sign_in(demo_db, "priya", "1111")
    manager = auth.sign_in(other_desk, "meera", "2222")
    counter_sessions.open_session(demo_db, desk, opening_float=200_000, now=NOW)
    request = cart(demo_db, "BOTOX50", "CONSULT")
    upi = [TenderLine(Method.UPI, BOTOX_AND_CONSULT, "UTR1")]
    invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=upi)
    settings = payment_settings.payment_settings(other_desk)
    off = tuple(
        replace(s, enabled=False) if s.method is Method.UPI else s for s in settings.methods
    )
    payment_settings.save_payment_settings(
        other_desk, manager, replace(settings, methods=off), now=NOW
    )

    with pytest.raises(PaymentError, match="UPI is not offered"):
        invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=upi)
    cash = [TenderLine(Method.CASH, BOTOX_AND_CONSULT)]
    assert invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=cash).payments
