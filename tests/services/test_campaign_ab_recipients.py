"""The A/B test counts recipients, not messages (issue #16, campaigns rule 5): a patient
messaged at the launch and again by a trigger counts once in their arm's n, converted when
they bought within the attribution window after their first message in that arm; the
messages still count where messages are meant (delivered, cost)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from statsmodels.stats.proportion import proportions_ztest

from db.models import CampaignExecution
from services import invoicing
from services.campaigns import campaigns
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart
from tests.services.test_campaigns import a_campaign, grant, manager, patients

__all__ = ["manager"]  # the fixture


def message_again(db, campaign_id, patient_ids, at) -> None:
    """A second message (a trigger's step 2) to each of `patient_ids`, in their arm."""
    e = CampaignExecution
    with db.session(write=True) as session, session.begin():
        for first in session.scalars(
            select(e).where(e.campaign_id == campaign_id, e.patient_id.in_(patient_ids))
        ).all():
            session.add(
                CampaignExecution(
                    id=uuid.uuid4(),
                    branch_id=first.branch_id,
                    campaign_id=campaign_id,
                    patient_id=first.patient_id,
                    step=2,
                    channel=first.channel,
                    variant=first.variant,
                    recipient=first.recipient,
                    rendered_text=first.rendered_text,
                    payload=first.payload,
                    status="delivered",
                    attempts=1,
                    next_attempt_at=at,
                    cost_paise=25,
                    queued_at=at,
                    sent_at=at,
                    updated_at=at,
                )
            )


def test_a_patient_messaged_twice_counts_once_in_the_ab_test(demo_db, manager):
    ids = patients(demo_db, 20)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=0)
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    in_a, in_b = ids[:10], ids[10:]
    e = CampaignExecution
    with demo_db.session(write=True) as session, session.begin():
        for arm, members in (("A", in_a), ("B", in_b)):
            session.execute(
                update(e)
                .where(e.campaign_id == campaign_id, e.patient_id.in_(members))
                .values(variant=arm, status="delivered", sent_at=NOW, cost_paise=25)
            )
    # Birthdays two days on: four of A and two of B are messaged again.
    again = NOW + timedelta(days=2)
    message_again(demo_db, campaign_id, in_a[:4] + in_b[:2], again)
    # A late trigger for in_a[9], 35 days on: their purchase a day after it is outside the
    # 30 days after their first message, so not a conversion.
    message_again(demo_db, campaign_id, [in_a[9]], NOW + timedelta(days=35))

    def buys(patient_id, at):
        invoicing.save_invoice(
            demo_db, manager, cart(demo_db, "CONSULT", patient=patient_id), now=at
        )

    for patient_id in in_a[:3]:  # messaged twice: each converts once
        buys(patient_id, again + timedelta(days=1))
        buys(patient_id, again + timedelta(days=3))
    buys(in_a[9], NOW + timedelta(days=36))
    buys(in_b[0], again + timedelta(days=1))

    results = campaigns.campaign_results(demo_db, manager, campaign_id)

    a, b = (next(x for x in results.arms if x.variant == name) for name in ("A", "B"))
    assert (a.recipients, a.messages, a.conversions) == (10, 15, 3)
    assert (b.recipients, b.messages, b.conversions) == (10, 12, 1)
    assert a.delivered == 15 and a.cost == 15 * 25  # messages, where messages are meant
    assert results.total.recipients == 20 and results.total.messages == 27
    decision = results.decision
    assert decision is not None and decision.test is not None
    z, p = proportions_ztest([3, 1], [10, 10])
    assert abs(decision.test.z) == pytest.approx(abs(z), rel=1e-9)
    assert decision.test.p_value == pytest.approx(p, rel=1e-9)


def test_the_list_counts_each_patient_once_however_many_messages(demo_db, manager):
    """The Campaigns list's Audience (CampaignRow.recipients) is patients, not messages: a
    trigger's second message to a patient and the hold-out's rows count each patient once."""
    ids = patients(demo_db, 10)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=20)
    launched = campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    assert launched.queued + launched.held_out == 10
    message_again(demo_db, campaign_id, ids[:4], NOW + timedelta(days=2))
    [row] = [r for r in campaigns.list_campaigns(demo_db, manager) if r.id == campaign_id]
    assert row.recipients == 10  # 14 messages made, 10 patients
    e = CampaignExecution
    with demo_db.session(write=False) as session:
        made = len(session.scalars(select(e.id).where(e.campaign_id == campaign_id)).all())
    assert made == 14
