"""The consent ledger as a service (issue #16): the patient form's boxes write their events
(source "form"), the counter's grant and withdrawal keep the form's box in step, a grant
lifts an unsubscribe but never a bounce, and the walk-in customer has no consent to give."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.patients import NewPatient
from services import auth, consent, patients
from services.errors import ServiceError
from tests.services.conftest import NOW, TODAY


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def state(db, patient_id, channel):
    return {s.channel: s for s in consent.consent_state(db, patient_id)}[channel]


def test_the_forms_boxes_are_consents_given_and_withdrawn_on_the_form(demo_db, desk):
    added = patients.add_patient(
        demo_db,
        desk,
        NewPatient("Ravi Menon", "9845077777", consent_sms=True),
        now=NOW,
        today=TODAY,
    )
    [given] = consent.consent_history(demo_db, added.id)
    assert (given.channel, given.action, given.source) == ("sms", "granted", "form")
    assert "Reply STOP" in given.notice

    later = NOW + timedelta(hours=1)
    patients.update_patient(
        demo_db, desk, added.id, NewPatient("Ravi Menon", "9845077777"), now=later, today=TODAY
    )
    sms = state(demo_db, added.id, "sms")
    assert (sms.promotional.action, sms.promotional.at) == ("withdrawn", later)
    assert not sms.may_promote


def test_the_counter_keeps_the_forms_box_in_step(demo_db, desk):
    added = patients.add_patient(
        demo_db, desk, NewPatient("Ravi Menon", "9845077777"), now=NOW, today=TODAY
    )
    consent.record_consent(demo_db, desk, added.id, "whatsapp", granted=True, now=NOW)
    assert patients.patient_details(demo_db, added.id).consent_whatsapp is True
    consent.record_consent(demo_db, desk, added.id, "whatsapp", granted=False, now=NOW)
    assert patients.patient_details(demo_db, added.id).consent_whatsapp is False
    # At the same instant a withdrawal wins.
    assert state(demo_db, added.id, "whatsapp").promotional.action == "withdrawn"


def test_a_grant_lifts_an_unsubscribe_but_not_a_bounce(demo_db, desk):
    added = patients.add_patient(
        demo_db, desk, NewPatient("Ravi Menon", "9845077777"), now=NOW, today=TODAY
    )
    consent.set_do_not_contact(
        demo_db, desk, added.id, "sms", blocked=True, reason="unsubscribed", now=NOW
    )
    consent.set_do_not_contact(
        demo_db, desk, added.id, "email", blocked=True, reason="bounced", now=NOW
    )
    later = NOW + timedelta(minutes=5)
    consent.record_consent(demo_db, desk, added.id, "sms", granted=True, now=later)
    consent.record_consent(demo_db, desk, added.id, "email", granted=True, now=later)
    assert state(demo_db, added.id, "sms").may_promote
    email = state(demo_db, added.id, "email")
    assert email.do_not_contact == "bounced" and not email.may_promote


def test_the_walk_in_customer_gives_no_consent(demo_db, desk):
    walk_in = patients.walk_in_patient(demo_db, desk, now=NOW)
    with pytest.raises(ServiceError, match="register the patient"):
        consent.record_consent(demo_db, desk, walk_in.id, "sms", granted=True, now=NOW)
