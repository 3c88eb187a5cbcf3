"""A trigger is held to its campaign's budget (issue #16, campaigns rule 3): it never queues
a message whose cost would take the committed spend (queued and sent, at each channel's
cost) over the budget; the results say how many trigger messages the budget stopped."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import CampaignExecution
from services.campaigns import campaigns, triggers
from tests.services.campaign_rows import manager
from tests.services.test_campaign_channels import MORNING, SMS, add, agree
from tests.services.test_campaign_trigger_channels import born_today_only, reachable_people


def birthday_campaign(db, user, launched_to, **changes) -> uuid.UUID:
    sms = add(db, SMS)
    spec = {
        "name": "Birthdays on a budget",
        "variants": {"A": {"template": sms}},
        "audience": {"patients": [str(launched_to.id)]},
        "budget": "1.00",
        "cost_per_message": {"sms": "0.25"},
    } | changes
    campaign_id = campaigns.create_campaign(db, user, campaigns.parse_spec(spec), now=MORNING)
    campaigns.launch_campaign(db, user, campaign_id, today=MORNING.date(), now=MORNING)
    triggers.add_trigger(
        db, user, campaign_id, triggers.TriggerSpec("birthday", "send_template", template=sms),
        now=MORNING,
    )  # fmt: skip
    return campaign_id


def queued_of(db, campaign_id) -> list[CampaignExecution]:
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(CampaignExecution).where(
                    CampaignExecution.campaign_id == campaign_id,
                    CampaignExecution.status == "queued",
                )
            )
        )


def test_a_trigger_that_would_overspend_queues_only_what_the_budget_allows(demo_db):
    user = manager(demo_db)
    people = reachable_people(demo_db, 7)
    launched_to, born = people[0], people[1:]
    agree(demo_db, launched_to, "sms")
    for one in born:
        agree(demo_db, one, "sms")
    campaign_id = birthday_campaign(demo_db, user, launched_to)
    born_today_only(demo_db, born)

    # Rs 1.00 at Rs 0.25 a message: the launch's one message leaves room for three more.
    assert triggers.run_due_triggers(demo_db, user, MORNING) == 3

    results = campaigns.campaign_results(demo_db, user, campaign_id)
    assert len(queued_of(demo_db, campaign_id)) == 4
    assert results.budget_stopped == 3
    assert "The budget stopped 3 trigger messages." in _results_text(demo_db, campaign_id)


def test_a_campaign_without_a_budget_lets_its_trigger_queue_everyone(demo_db):
    user = manager(demo_db)
    people = reachable_people(demo_db, 7)
    launched_to, born = people[0], people[1:]
    for one in people:
        agree(demo_db, one, "sms")
    campaign_id = birthday_campaign(demo_db, user, launched_to, budget="0")
    born_today_only(demo_db, born)

    assert triggers.run_due_triggers(demo_db, user, MORNING) == 6

    results = campaigns.campaign_results(demo_db, user, campaign_id)
    assert results.budget_stopped == 0


def _results_text(db, campaign_id) -> str:
    from desktop.panels.campaign_results import decision_text

    user = manager(db)
    return decision_text(campaigns.campaign_results(db, user, campaign_id))
