"""The audience's and the triggers' SQL runs on the centre's PostgreSQL as on a branch's
SQLite (issue #16): a birthday was matched with SQLite's strftime, which PostgreSQL does not
have. The same patients, consents, campaign and birthday trigger, on a branch's file and on
the head office's PostgreSQL, are counted and fired alike."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import CampaignExecution
from domain.patients import NewPatient
from services import auth, consent, patients
from services.auth import CurrentUser
from services.campaigns import audiences, campaigns, templates, triggers
from tests.services.conftest import NOW, TODAY

EMAIL = {
    "name": "Happy birthday (e-mail)",
    "category": "birthday",
    "channel": "email",
    "subject": "Happy birthday, {{ first_name }}",
    "body": "Dear {{ first_name }}, {{ clinic_name }} wishes you a happy birthday.",
}


def born(db, actor: CurrentUser, days_from_today: int, n: int, *, agreed: bool) -> uuid.UUID:
    """A new patient whose birthday is `days_from_today` away, agreeing to e-mail offers or
    not."""
    birthday = (TODAY + timedelta(days=days_from_today)).replace(year=1990)
    found = patients.add_patient(
        db,
        actor,
        NewPatient(f"Birthday Person {n}", f"98765000{n:02d}", f"b{n}@example.in", birthday),
        now=NOW - timedelta(days=2),
        today=TODAY,
    )
    if agreed:
        consent.record_consent(
            db, actor, found.id, "email", granted=True, now=NOW - timedelta(days=1)
        )
    return found.id


def counted_and_fired(db, actor: CurrentUser) -> None:
    today_agreed = born(db, actor, 0, 1, agreed=True)
    in_three_days = born(db, actor, 3, 2, agreed=False)
    in_ten_days = born(db, actor, 10, 3, agreed=True)
    launched_to = born(db, actor, 100, 4, agreed=False)
    ids = [today_agreed, in_three_days, in_ten_days, launched_to]

    spec = audiences.parse_audience({"patients": [str(i) for i in ids], "birthday_within_days": 7})
    count = audiences.count_channels(db, actor, spec, ["email", "sms"], today=TODAY, now=NOW)

    assert (count.matching, count.reachable) == (2, 1)
    assert count.by_channel == {"email": 1, "sms": 0}
    assert count.left_out[audiences.NO_CONSENT] == 1

    template = templates.add_template(db, actor, templates.parse_spec(EMAIL), now=NOW)
    campaign_spec = {
        "name": "Birthdays",
        "variants": {"A": {"template": str(template)}},
        "audience": {"patients": [str(launched_to)]},
    }
    campaign_id = campaigns.create_campaign(db, actor, campaigns.parse_spec(campaign_spec), now=NOW)
    assert campaigns.launch_campaign(db, actor, campaign_id, today=TODAY, now=NOW).queued == 0
    trigger = triggers.TriggerSpec("birthday", "send_template", template=str(template))
    triggers.add_trigger(db, actor, campaign_id, trigger, now=NOW)

    assert triggers.run_due_triggers(db, actor, NOW) >= 1  # the demo's birthdays too
    assert triggers.run_due_triggers(db, actor, NOW) == 0
    with db.session(write=False) as session:
        messaged = session.scalars(
            select(CampaignExecution.patient_id).where(
                CampaignExecution.campaign_id == campaign_id,
                CampaignExecution.step == 2,
                CampaignExecution.patient_id.in_(ids),
            )
        ).all()
    assert messaged == [today_agreed]  # born today, and agreed


def test_on_a_branchs_sqlite(demo_db):
    counted_and_fired(demo_db, auth.sign_in(demo_db, "meera", "2222"))


@pytest.mark.postgres
def test_on_the_head_offices_postgresql(head_office):
    counted_and_fired(head_office.db, head_office.admin)
