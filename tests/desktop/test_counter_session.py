"""The counter's session without its widgets: states, refusals, quantities, save and parking.

The session's service calls are real; `Steps` only decides when each one runs, so a test can
stand in the middle of a save and try to change the cart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from db.models import InvoiceLineItem, Patient, PromotionCampaign
from desktop.counter.session import (
    CounterSession,
    CounterState,
    quantity_refusal,
    unusual_quantity,
)
from services import auth, catalog, invoicing, patients
from services.invoicing import CartRequest
from tests.desktop.helpers import NOW, fixed_clock


class Steps:
    """A `Run` that keeps each call until the test runs it, in the order they were asked."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Callable[[], Any], Callable[[Any], object], Any, bool]] = []

    def __call__(self, call, on_success, on_failure, *, reads: bool = True) -> None:
        self.waiting.append((call, on_success, on_failure, reads))

    def run_next(self) -> None:
        call, on_success, on_failure, _reads = self.waiting.pop(0)
        try:
            result = call()
        except Exception as error:
            on_failure(error)
        else:
            on_success(result)

    def run_all(self) -> None:
        while self.waiting:
            self.run_next()

    def writes_waiting(self) -> int:
        return sum(1 for *_call, reads in self.waiting if not reads)


class Heard:
    """What the session said and which states it went through."""

    def __init__(self, session: CounterSession) -> None:
        self.sentences: list[str] = []
        self.states: list[str] = []
        session.said.connect(lambda text, _error: self.sentences.append(text))
        session.state_changed.connect(self.states.append)

    @property
    def last(self) -> str:
        return next((text for text in reversed(self.sentences) if text), "")


@pytest.fixture
def steps() -> Steps:
    return Steps()


def make_session(db, user, steps: Steps, tmp_path: Path) -> CounterSession:
    return CounterSession(
        db, user, run=steps, clock=fixed_clock, invoice_folder=tmp_path / "invoices"
    )


@pytest.fixture
def session(db, front_desk, steps, tmp_path) -> CounterSession:
    return make_session(db, front_desk, steps, tmp_path)


def item(db, code: str):
    found = catalog.item_by_code(db, code)
    assert found is not None
    return found


def a_patient(db):
    with db.session(write=False) as s:
        patient_id = s.scalars(select(Patient.id).order_by(Patient.name).limit(1)).one()
    return patients.get_patient(db, patient_id)


def ready_to_save(db, session: CounterSession, steps: Steps, *codes: str) -> None:
    session.choose_patient(a_patient(db))
    for code in codes:
        session.add_item(item(db, code))
    steps.run_all()
    assert session.state == CounterState.EDITING and session.current_quote() is not None


# -- states ------------------------------------------------------------------------------


def test_a_change_prices_the_cart_and_save_goes_through_saving_to_saved(db, session, steps):
    heard = Heard(session)
    assert session.state == CounterState.EDITING

    session.add_item(item(db, "CONSULT"))
    assert session.state == CounterState.PRICING and session.current_quote() is None
    steps.run_all()
    assert session.state == CounterState.EDITING and session.current_quote() is not None
    session.choose_patient(a_patient(db))
    steps.run_all()

    assert session.save()
    assert session.state == CounterState.SAVING
    steps.run_next()  # the save; the PDF and the code look-ups follow
    assert session.state == CounterState.SAVED
    steps.run_all()
    assert session.pdf_path() is not None and session.pdf_path().exists()
    assert heard.states == ["pricing", "editing", "pricing", "editing", "saving", "saved"]

    assert session.new_invoice()
    assert session.state == CounterState.EDITING and session.cart.is_empty()
    assert session.saved_invoice() is None and session.patient() is None


def test_only_the_newest_quote_is_kept(db, session, steps):
    session.add_item(item(db, "BOTOX50"))
    session.add_item(item(db, "CONSULT"))
    steps.run_next()  # the quote for Botox alone comes back first
    assert session.state == CounterState.PRICING and session.current_quote() is None
    steps.run_all()
    quote = session.current_quote()
    assert quote is not None and len(quote.priced.lines) == 2
    assert session.state == CounterState.EDITING


def test_save_pressed_while_pricing_saves_the_quote_of_the_cart_as_it_is(db, session, steps):
    session.choose_patient(a_patient(db))
    session.add_item(item(db, "PEEL-GLY"))
    assert session.state == CounterState.PRICING

    assert session.save()
    assert session.state == CounterState.SAVING
    assert session.add_item(item(db, "SPF50")) is None  # the cart is frozen from Save on
    steps.run_all()

    document = session.saved_invoice()
    assert session.state == CounterState.SAVED and document is not None
    assert document.total_amount == 180_000


def test_save_needs_an_item_and_a_patient(db, session, steps):
    heard = Heard(session)
    assert not session.save()
    assert heard.last == "Add at least one item to the invoice."
    session.add_item(item(db, "CONSULT"))
    steps.run_all()
    assert not session.save()
    assert heard.last == "Choose the patient before saving the invoice."
    assert session.state == CounterState.EDITING


# -- refusals (rule 2) -------------------------------------------------------------------


def test_a_scan_during_the_save_is_refused_and_never_reaches_the_saved_invoice(db, session, steps):
    heard = Heard(session)
    ready_to_save(db, session, steps, "CONSULT")
    session.save()
    assert steps.writes_waiting() == 1  # the save has started and not finished

    assert session.add_item(item(db, "SPF50")) is None
    assert heard.last == (
        "The invoice is being saved: Sunscreen SPF 50 (50 g) was not added. "
        "Once it is saved, press Ctrl+N and do it on the next invoice."
    )
    assert [row.entry.code for row in session.cart.rows()] == ["CONSULT"]
    steps.run_all()

    document = session.saved_invoice()
    assert document is not None and document.total_amount == 50_000
    with db.session(write=False) as s:
        lines = s.scalars(
            select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == document.id)
        ).all()
    assert len(lines) == 1
    assert [row.entry.code for row in session.cart.rows()] == ["CONSULT"]
    assert session.current_quote().priced.totals.payable == 50_000


def test_every_change_is_refused_while_saving_and_once_saved(db, session, steps):
    heard = Heard(session)
    ready_to_save(db, session, steps, "CONSULT", "SPF50")
    uid = session.cart.row(0).uid
    other = a_patient(db)

    for state in ("being saved", "saved"):
        if state == "being saved":
            session.save()
            assert session.state == CounterState.SAVING
        else:
            steps.run_all()
            assert session.state == CounterState.SAVED
        heard.sentences.clear()
        assert not session.remove_line(0)
        assert session.set_quantity(uid, 3) is None
        assert session.step_quantity(0, 1) is None
        assert not session.apply_code("GLOW20")
        assert not session.choose_patient(other)
        session.propose_discount(uid, Decimal(5))
        assert len(heard.sentences) == 6
        assert all(state in text for text in heard.sentences), heard.sentences
        assert session.cart.row(0).quantity == 1 and session.codes() == []
        assert [row.entry.code for row in session.cart.rows()] == ["CONSULT", "SPF50"]
        assert session.cart.read_only


def test_a_discount_accepted_after_save_was_pressed_is_not_applied(db, session, steps):
    heard = Heard(session)
    ready_to_save(db, session, steps, "PEEL-GLY")
    uid = session.cart.row(0).uid
    session.propose_discount(uid, Decimal(10))  # its check is on its way...
    session.save()  # ...when Save is pressed
    steps.run_all()

    assert "the discount was not applied" in " ".join(heard.sentences)
    assert session.cart.row(0).manual_discount_percent is None
    assert session.saved_invoice().total_amount == 180_000


def test_a_new_invoice_waits_for_the_save(db, session, steps):
    heard = Heard(session)
    ready_to_save(db, session, steps, "CONSULT")
    session.save()
    assert not session.new_invoice()
    assert heard.last == "Wait a moment: the invoice is being saved."
    steps.run_all()
    assert session.state == CounterState.SAVED


# -- quantities (rule 4) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "why"),
    [
        (0, "A quantity is at least 1. To take the item off the invoice, press Del."),
        (-1, "A quantity is at least 1. To take the item off the invoice, press Del."),
        (99999, "A line holds at most 999 of one item; 99,999 was not taken."),
    ],
)
def test_an_impossible_quantity_is_refused_with_the_reason(db, session, steps, quantity, why):
    heard = Heard(session)
    session.add_item(item(db, "SPF50"))
    steps.run_all()

    assert session.set_quantity(session.cart.row(0).uid, quantity) is None
    assert heard.last == why
    assert session.cart.row(0).quantity == 1
    assert quantity_refusal(quantity) == why


def test_one_less_than_one_says_how_to_remove_the_line(db, session, steps):
    heard = Heard(session)
    session.add_item(item(db, "SPF50"))
    session.step_quantity(0, -1)
    assert heard.last.startswith("A quantity is at least 1.")
    assert session.cart.rowCount() == 1
    steps.run_all()


def test_more_than_20_of_a_service_is_asked_about_first(db, session, steps):
    session.add_item(item(db, "MEDIFACIAL"))
    uid = session.cart.row(0).uid

    question = session.set_quantity(uid, 25)
    assert question is not None and question.quantity == 25
    assert question.question == (
        f"Bill 25 of {item(db, 'MEDIFACIAL').name}? "
        "More than 20 of one service on an invoice is unusual."
    )
    assert session.cart.row(0).quantity == 1  # not taken yet
    assert session.set_quantity(uid, 20) is None and session.cart.row(0).quantity == 20

    assert session.set_quantity(uid, 25, confirmed=True) is None
    assert session.cart.row(0).quantity == 25
    steps.run_all()
    assert session.current_quote() is not None


def test_many_of_a_product_is_not_unusual(db, session, steps):
    session.add_item(item(db, "SPF50"))
    assert session.set_quantity(session.cart.row(0).uid, 40) is None
    assert session.cart.row(0).quantity == 40
    assert unusual_quantity(item(db, "SPF50"), 40) is None
    steps.run_all()


# -- parking (rule 7) --------------------------------------------------------------------


def test_a_parked_cart_comes_back_for_another_user_priced_for_them(
    db, session, steps, manager, tmp_path
):
    ready_to_save(db, session, steps, "BOTOX50", "CONSULT")
    session.apply_code("NOSUCHCODE")
    steps.run_all()
    parked = session.park()
    assert parked is not None and parked.parked_by == "Priya Sharma"

    later = make_session(db, manager, steps, tmp_path)
    heard = Heard(later)
    assert later.restore(parked)
    steps.run_all()

    assert [row.entry.code for row in later.cart.rows()] == ["BOTOX50", "CONSULT"]
    assert later.patient() == session.patient() and later.codes() == ["NOSUCHCODE"]
    assert later.current_quote().priced.totals.payable == 450_000
    assert "The cart Priya Sharma parked at sign-out is back." in heard.sentences
    assert later.has_unsaved_cart()


def test_nothing_to_park_when_the_cart_is_empty_or_saved(db, session, steps):
    assert session.park() is None
    ready_to_save(db, session, steps, "CONSULT")
    session.save()
    steps.run_all()
    assert session.park() is None and not session.has_unsaved_cart()


def test_a_cart_being_saved_is_not_parked(db, session, steps):
    ready_to_save(db, session, steps, "CONSULT")
    session.save()
    assert session.park() is None  # else the next user would bill it a second time
    steps.run_all()


def test_prices_changed_by_another_counter_come_back_editable_with_the_new_quote(
    db, session, steps, front_desk
):
    with db.session(write=True) as s, s.begin():
        s.execute(
            update(PromotionCampaign)
            .where(PromotionCampaign.campaign_code == "PREMIUM_CONSULT")
            .values(max_total_uses=PromotionCampaign.current_uses + 1)
        )
    heard = Heard(session)
    ready_to_save(db, session, steps, "BOTOX50", "CONSULT")
    assert session.current_quote().priced.totals.payable == 450_000
    # The other counter bills the last use of PREMIUM_CONSULT first.
    other = auth.sign_in(db, "rahul", "3333")
    with db.session(write=False) as s:
        someone_else = s.scalars(
            select(Patient.id).where(Patient.id != session.patient().id).limit(1)
        ).one()
    invoicing.save_invoice(db, other, CartRequest(someone_else, session.cart.items()), now=NOW)

    session.save()
    steps.run_all()

    assert session.state == CounterState.EDITING and session.saved_invoice() is None
    assert heard.last.startswith("The prices changed while you were billing")
    applied = [a.campaign_code for a in session.current_quote().priced.applied]
    assert "PREMIUM_CONSULT" not in applied  # the new prices are on show
    assert session.add_item(item(db, "SPF50")) is not None  # editable again
    steps.run_all()
