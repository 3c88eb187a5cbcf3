"""A save reads what it prices and checks from the database inside its own write
transaction (issue #11 made those reads plain rows, db.fast_select): what another desk on
the same file changed a moment before (another Database object, as another process would
be) counts at the very next save, and so does a change made at this desk."""

from dataclasses import replace

import pytest
from sqlalchemy import text

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


def _write(db, sql: str, params: dict) -> None:
    """A change made outside the services (as another program would), through `db`."""
    with db.session(write=True) as session, session.begin():
        session.execute(text(sql), params)


@pytest.mark.parametrize("where", ["this desk", "another desk"])
def test_a_patient_and_an_item_changed_print_on_the_next_invoice(demo_db, other_desk, where):
    """A save keeps what it read of the patient and the items for the desk's next save
    only while nothing is written to the file (db.fast_select.remember_reads): a change
    at this desk or at another counts at once."""
    desk = auth.sign_in(demo_db, "priya", "1111")
    changes = demo_db if where == "this desk" else other_desk
    request = cart(demo_db, "BOTOX50", "CONSULT")
    first = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    again = invoicing.save_invoice(demo_db, desk, request, now=NOW)  # nothing written between
    assert again.patient_name == first.patient_name

    _write(changes, "UPDATE patients SET name = 'Renamed Patient' WHERE id = :id",
           {"id": request.patient_id.hex})  # fmt: skip
    renamed = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert renamed.patient_name == "Renamed Patient"

    _write(
        changes, "UPDATE catalog_items SET name = 'Consultation (new)' WHERE code = 'CONSULT'", {}
    )
    names = {
        line.item_name for line in invoicing.save_invoice(demo_db, desk, request, now=NOW).lines
    }
    assert "Consultation (new)" in names


def _uses(db, code: str) -> tuple[int, int, bool]:
    """The promotion's counter, its live usage rows and whether it is on, as stored."""
    with db.session(write=False) as session:
        counter, live, active = session.execute(
            text(
                "SELECT p.current_uses, (SELECT count(*) FROM promotion_usage_log AS u "
                "WHERE u.campaign_id = p.id AND u.reversed_at IS NULL), p.is_active "
                "FROM promotion_campaigns AS p WHERE p.campaign_code = :code"
            ),
            {"code": code},
        ).one()
    return counter, live, bool(active)


def test_a_capped_promotion_counts_every_save_of_both_desks_and_stops_at_its_cap(
    demo_db, other_desk
):
    """The desk keeps the promotions' rows between its saves as its own saves wrote them
    (services.invoicing._remember_counts): the counter stays the count of the uses, and
    the promotion stops at its cap, whichever desk takes the last use."""
    counter, live, _active = _uses(demo_db, "PREMIUM_CONSULT")
    _write(
        demo_db,
        "UPDATE promotion_campaigns SET max_total_uses = :cap WHERE campaign_code = 'PREMIUM_CONSULT'",
        {"cap": counter + 4},
    )
    here = auth.sign_in(demo_db, "priya", "1111")
    there = auth.sign_in(other_desk, "meera", "2222")
    request = cart(demo_db, "BOTOX50", "CONSULT")
    given = []
    for db, person in [(demo_db, here), (demo_db, here), (other_desk, there), (demo_db, here)]:
        given.append(_promotions_applied(invoicing.save_invoice(db, person, request, now=NOW)))
        now_counter, now_live, _on = _uses(demo_db, "PREMIUM_CONSULT")
        assert now_counter - counter == now_live - live == len(given)
    assert given == [{"PREMIUM_CONSULT"}] * 4
    assert _uses(demo_db, "PREMIUM_CONSULT")[2] is False  # the fourth use reached the cap
    for db, person in [(demo_db, here), (other_desk, there), (demo_db, here)]:
        assert _promotions_applied(invoicing.save_invoice(db, person, request, now=NOW)) == set()
    assert _uses(demo_db, "PREMIUM_CONSULT")[:2] == (counter + 4, live + 4)
