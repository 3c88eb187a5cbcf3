"""Campaign triggers (issue #16): a birthday, a lapse of N days and a saved invoice start a
message or a callback once per patient; only running campaigns' triggers fire."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import CallbackRequest, CampaignExecution, InvoiceHeader, Patient
from domain.errors import BadInput
from services import auth, invoicing
from services.campaigns import campaigns, triggers
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart
from tests.services.test_campaigns import a_campaign, grant, patients, sms_template


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def running(db, actor):
    """A running campaign (launched to one consenting patient)."""
    one = patients(db, 1)
    grant(db, actor, one)
    campaign_id = a_campaign(db, actor, one, holdout_percent=0)
    campaigns.launch_campaign(db, actor, campaign_id, today=TODAY, now=NOW)
    return campaign_id


def step_rows(db, campaign_id, step):
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(CampaignExecution).where(
                    CampaignExecution.campaign_id == campaign_id, CampaignExecution.step == step
                )
            )
        )


def test_a_birthday_message_is_queued_once(demo_db, manager):
    campaign_id = running(demo_db, manager)
    template_id = sms_template(demo_db, manager, name="Birthday")
    [someone] = patients(demo_db, 1)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(Patient).where(Patient.id == someone).values(birth_date=TODAY.replace(year=1990))
        )
    spec = triggers.TriggerSpec("birthday", "send_template", template=str(template_id))
    triggers.add_trigger(demo_db, manager, campaign_id, spec, now=NOW)

    first = triggers.run_due_triggers(demo_db, manager, NOW)
    again = triggers.run_due_triggers(demo_db, manager, NOW + timedelta(hours=1))

    rows = step_rows(demo_db, campaign_id, 2)
    assert someone in {row.patient_id for row in rows}
    assert first == len(rows) and again == 0
    assert all(row.status == "queued" and row.rendered_text.startswith("Dear ") for row in rows)


def test_a_lapse_of_exactly_n_days_is_caught_on_its_day(demo_db, manager):
    campaign_id = running(demo_db, manager)
    template_id = sms_template(demo_db, manager, name="We miss you")
    with demo_db.session(write=False) as session:
        last = func.max(InvoiceHeader.invoice_date)
        patient_id, day = session.execute(
            select(InvoiceHeader.patient_id, last)
            .where(InvoiceHeader.status == "issued")
            .group_by(InvoiceHeader.patient_id)
            .order_by(last.desc())
            .limit(1)
        ).one()
    days = (TODAY - day).days + 30
    spec = triggers.TriggerSpec(
        "no_visit_days", "send_template", template=str(template_id), conditions={"days": days}
    )
    triggers.add_trigger(demo_db, manager, campaign_id, spec, now=NOW)

    triggers.run_due_triggers(demo_db, manager, NOW + timedelta(days=29))
    assert patient_id not in {row.patient_id for row in step_rows(demo_db, campaign_id, 2)}
    triggers.run_due_triggers(demo_db, manager, NOW + timedelta(days=30))
    assert patient_id in {row.patient_id for row in step_rows(demo_db, campaign_id, 2)}


def test_a_saved_invoice_adds_a_follow_up_callback_once(demo_db, manager):
    campaign_id = running(demo_db, manager)
    spec = triggers.TriggerSpec("invoice_saved", "create_callback", delay_minutes=60)
    triggers.add_trigger(demo_db, manager, campaign_id, spec, now=NOW)
    [buyer] = patients(demo_db, 1)
    invoicing.save_invoice(demo_db, manager, cart(demo_db, "CONSULT", patient=buyer), now=NOW)

    def follow_ups():
        with demo_db.session(write=False) as session:
            return session.scalars(
                select(CallbackRequest.reason).where(CallbackRequest.patient_id == buyer)
            ).all()

    triggers.run_due_triggers(demo_db, manager, NOW + timedelta(minutes=30))
    assert follow_ups() == []  # the delay is not over
    added = triggers.run_due_triggers(demo_db, manager, NOW + timedelta(minutes=61))
    again = triggers.run_due_triggers(demo_db, manager, NOW + timedelta(minutes=90))

    assert added >= 1 and again == 0
    assert follow_ups() == ["follow_up"]
    mine = [row for row in step_rows(demo_db, campaign_id, 2) if row.patient_id == buyer]
    assert [(row.channel, row.status) for row in mine] == [("callback", "sent")]


def test_a_paused_campaigns_triggers_do_not_fire_and_bad_triggers_are_refused(demo_db, manager):
    campaign_id = running(demo_db, manager)
    spec = triggers.TriggerSpec("invoice_saved", "create_callback")
    triggers.add_trigger(demo_db, manager, campaign_id, spec, now=NOW)
    campaigns.pause_campaign(demo_db, manager, campaign_id, now=NOW)
    invoicing.save_invoice(demo_db, manager, cart(demo_db, "CONSULT"), now=NOW)
    assert triggers.run_due_triggers(demo_db, manager, NOW + timedelta(minutes=5)) == 0
    assert step_rows(demo_db, campaign_id, 2) == []
    with pytest.raises(BadInput, match="kind"):
        triggers.add_trigger(
            demo_db,
            manager,
            campaign_id,
            triggers.TriggerSpec("full_moon", "create_callback"),
            now=NOW,
        )
    with pytest.raises(BadInput, match="conditions.days"):
        triggers.add_trigger(
            demo_db,
            manager,
            campaign_id,
            triggers.TriggerSpec("no_visit_days", "create_callback"),
            now=NOW,
        )
