from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update

from db.models import AuditLog, InvoiceHeader, PromotionCampaign, PromotionUsageLog, SyncOutbox
from domain.roles import PermissionDenied
from services import auth, invoicing
from services.invoicing import CartItem, CartRequest, InvoiceError, PriceChanged
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart, item_id, promotion


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def usage_rows(db, invoice_id):
    with db.session(write=False) as session:
        return session.scalars(
            select(PromotionUsageLog).where(PromotionUsageLog.invoice_id == invoice_id)
        ).all()


def test_seed_000_botox_makes_the_consultation_free(demo_db, desk):
    premium = promotion(demo_db, "PREMIUM_CONSULT")
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT"), now=NOW)

    consult = next(line for line in saved.lines if line.item_code == "CONSULT")
    assert consult.discount_type == "promotion"
    assert consult.discount_percent == Decimal(100)
    assert consult.discount_amount == 50_000
    assert consult.promotion_id == premium.id
    assert consult.badge_text == "Rs.500 Free (PREMIUM_CONSULT)"
    assert saved.total_amount == 450_000
    assert saved.campaigns_applied == {
        "applied_promotions": [
            {
                "promotion_id": str(premium.id),
                "campaign_name": "Premium Service - Free Consultation",
                "campaign_code": "PREMIUM_CONSULT",
                "promotion_type": "buy_x_get_y",
                "items_affected": [str(item_id(demo_db, "CONSULT"))],
                "total_discount": "500.00",
            }
        ]
    }
    [use] = usage_rows(demo_db, saved.id)
    assert (use.campaign_id, use.discount_amount, use.applied_by) == (premium.id, 50_000, desk.id)
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == premium.current_uses + 1


def test_saving_numbers_the_invoice_and_queues_it_for_the_centre(demo_db, desk):
    first = invoicing.save_invoice(demo_db, desk, cart(demo_db, "MEDIFACIAL"), now=NOW)
    second = invoicing.save_invoice(demo_db, desk, cart(demo_db, "PEEL-GLY"), now=NOW)
    assert first.invoice_number.startswith("IND/26-27/")
    assert int(second.invoice_number[-5:]) == int(first.invoice_number[-5:]) + 1
    with demo_db.session(write=False) as session:
        doc = session.scalars(select(SyncOutbox).where(SyncOutbox.doc_id == first.id)).one()
        audited = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "invoice.save")
        )
    assert doc.payload["invoice_number"] == first.invoice_number
    assert doc.payload["totals"]["payable"] == "2500.00"
    assert audited == 2


def test_quote_saves_nothing_and_explains_what_did_not_apply(demo_db, desk):
    before = promotion(demo_db, "PREMIUM_CONSULT").current_uses
    quote = invoicing.quote(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW, explain_all=True)
    assert quote.priced.totals.payable == 50_000
    assert any("Botox" in miss.message for miss in quote.priced.near_misses)
    with demo_db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(SyncOutbox)) == 0
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == before


def test_a_manual_discount_above_the_users_limit_is_refused(demo_db, desk):
    request = CartRequest(
        a_patient(demo_db), (CartItem(item_id(demo_db, "PEEL-GLY"), 1, Decimal(15)),)
    )
    with pytest.raises(InvoiceError, match="limit is 10%"):
        invoicing.quote(demo_db, desk, request, now=NOW)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (CartRequest(None, ()), "at least one item"),
        ("no-patient", "Choose the patient"),
    ],
)
def test_incomplete_invoices_are_refused(demo_db, desk, request_, message):
    if request_ == "no-patient":
        request_ = CartRequest(None, (CartItem(item_id(demo_db, "CONSULT")),))
    with pytest.raises(InvoiceError, match=message):
        invoicing.save_invoice(demo_db, desk, request_, now=NOW)


def test_the_last_use_goes_to_the_first_save_and_the_second_is_repriced(demo_db, desk):
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(PromotionCampaign)
            .where(PromotionCampaign.campaign_code == "PREMIUM_CONSULT")
            .values(max_total_uses=PromotionCampaign.current_uses + 1)
        )
    one = cart(demo_db, "BOTOX50", "CONSULT", patient=a_patient(demo_db, 1))
    two = cart(demo_db, "BOTOX50", "CONSULT", patient=a_patient(demo_db, 2))
    seen_one = invoicing.quote(demo_db, desk, one, now=NOW)
    seen_two = invoicing.quote(demo_db, desk, two, now=NOW)
    assert seen_two.priced.totals.payable == 450_000

    invoicing.save_invoice(demo_db, desk, one, now=NOW, seen=seen_one)
    with pytest.raises(PriceChanged) as caught:
        invoicing.save_invoice(demo_db, desk, two, now=NOW, seen=seen_two)

    assert "PREMIUM_CONSULT" in str(caught.value) and "limit" in str(caught.value)
    # The second patient still pays Rs.4,500: FESTIVE500 (Rs.500 off Rs.5,000) now applies.
    repriced = caught.value.quote.priced
    assert [a.campaign_code for a in repriced.applied] == ["FESTIVE500"]
    premium = promotion(demo_db, "PREMIUM_CONSULT")
    assert premium.current_uses == premium.max_total_uses and not premium.is_active
    assert premium.auto_deactivated_at == NOW
    saved = invoicing.save_invoice(demo_db, desk, two, now=NOW, seen=caught.value.quote)
    codes = [p["campaign_code"] for p in saved.campaigns_applied["applied_promotions"]]
    assert saved.total_amount == 450_000 and codes == ["FESTIVE500"]


def test_cancelling_reverses_usage_and_reactivates_an_auto_deactivated_promotion(
    demo_db, desk, manager
):
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(PromotionCampaign)
            .where(PromotionCampaign.campaign_code == "PREMIUM_CONSULT")
            .values(max_total_uses=PromotionCampaign.current_uses + 1)
        )
    before = promotion(demo_db, "PREMIUM_CONSULT").current_uses
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT"), now=NOW)
    assert not promotion(demo_db, "PREMIUM_CONSULT").is_active

    cancelled = invoicing.cancel_invoice(
        demo_db, manager, saved.invoice_number, reason="Patient changed their mind", now=NOW
    )

    assert (cancelled.status, cancelled.cancel_reason) == (
        "cancelled",
        "Patient changed their mind",
    )
    [use] = usage_rows(demo_db, saved.id)
    assert use.reversed_at == NOW and use.reversed_by == manager.id
    premium = promotion(demo_db, "PREMIUM_CONSULT")
    assert premium.current_uses == before and premium.is_active
    with pytest.raises(InvoiceError, match="already cancelled"):
        invoicing.cancel_invoice(demo_db, manager, saved.invoice_number, reason="again", now=NOW)


def test_only_a_manager_cancels_and_a_reason_is_needed(demo_db, desk, manager):
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)
    with pytest.raises(PermissionDenied):
        invoicing.cancel_invoice(demo_db, desk, saved.invoice_number, reason="oops", now=NOW)
    with pytest.raises(InvoiceError, match="why"):
        invoicing.cancel_invoice(demo_db, manager, saved.invoice_number, reason=" ", now=NOW)
    assert invoicing.invoice_by_number(demo_db, saved.invoice_number).status == "issued"


def test_a_tracking_failure_still_saves_the_invoice_and_rebuild_repairs_it(demo_db, desk, manager):
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            text(
                "CREATE TRIGGER usage_fails BEFORE INSERT ON promotion_usage_log "
                "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
        )
    before = promotion(demo_db, "PREMIUM_CONSULT").current_uses
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT"), now=NOW)

    assert invoicing.invoice_by_number(demo_db, saved.invoice_number).total_amount == 450_000
    assert usage_rows(demo_db, saved.id) == []
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == before
    with demo_db.session(write=False) as session:
        failure = session.scalars(
            select(AuditLog).where(AuditLog.action == "promotion.tracking_failed")
        ).one()
    assert failure.details["invoice_number"] == saved.invoice_number

    with demo_db.session(write=True) as session, session.begin():
        session.execute(text("DROP TRIGGER usage_fails"))
    repair = invoicing.rebuild_usage(demo_db, manager, now=NOW)
    assert (repair.added, repair.counters_fixed) == (1, 1)
    assert usage_rows(demo_db, saved.id)[0].discount_amount == 50_000
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == before + 1
    again = invoicing.rebuild_usage(demo_db, manager, now=NOW)
    assert (again.added, again.reversed, again.counters_fixed) == (0, 0, 0)


def test_rebuild_reverses_uses_of_cancelled_invoices(demo_db, desk, manager):
    before = promotion(demo_db, "PREMIUM_CONSULT").current_uses
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT"), now=NOW)
    with demo_db.session(write=True) as session, session.begin():
        # As if the cancellation's tracking had been lost: status changed, usage untouched.
        session.execute(
            update(InvoiceHeader)
            .where(InvoiceHeader.id == saved.id)
            .values(status="cancelled", cancel_reason="test")
        )
    repair = invoicing.rebuild_usage(demo_db, manager, now=NOW)
    assert (repair.reversed, repair.counters_fixed) == (1, 1)
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == before


VISIT_TOTALS_MISMATCHES = text(
    "SELECT count(*) FROM invoice_header h WHERE h.total_quantity != (SELECT sum(quantity)"
    " FROM invoice_line_item l WHERE l.invoice_id = h.id) OR h.total_cost != (SELECT"
    " sum(quantity * unit_cost) FROM invoice_line_item l WHERE l.invoice_id = h.id)"
    " OR h.gross_amount - h.total_discount != (SELECT sum(gross_amount - discount_amount)"
    " FROM invoice_line_item l WHERE l.invoice_id = h.id)"
)


def test_header_units_cost_and_net_agree_with_the_lines(demo_db, desk):
    saved = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT", "SPF50"), now=NOW
    )
    with demo_db.session(write=False) as session:
        header = session.get(InvoiceHeader, saved.id)
        mismatches = session.scalar(VISIT_TOTALS_MISMATCHES)
        demo_invoices = session.scalar(select(func.count()).select_from(InvoiceHeader))
    assert header is not None and header.total_quantity == 3
    assert header.total_cost > 0
    assert demo_invoices > 100
    assert mismatches == 0


def test_a_hint_at_the_counter_is_checked_against_the_catalog(demo_db, desk):
    from domain.patients import NewPatient
    from services import patients
    from tests.services.conftest import TODAY

    new = patients.add_patient(
        demo_db, desk, NewPatient("Asha Rao", "9845012345"), now=NOW, today=TODAY
    )
    botox = invoicing.quote(demo_db, desk, cart(demo_db, "BOTOX50", patient=new.id), now=NOW)
    hints = [m.message for m in botox.priced.near_misses]
    # Spending the Rs.500 on a Consultation would let PREMIUM_CONSULT take the lines instead.
    assert "Add Rs.500.00 more, other than Consultation, to get Rs.500 off (FESTIVE500)" in hints
    assert "Add Consultation to get it free (PREMIUM_CONSULT)" in hints
