"""The demo clinic's campaigns (issue #16): a template library and one finished A/B
campaign with its messages, so the Campaigns panel and its results have something to show
on `make run`. Deterministic: the demo's own random generator and dates."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import Campaign, CampaignExecution, MessageTemplate, Patient, User
from domain.message_render import render

SMS_REGISTERED = "Dear {#var#}, {#var#} misses you. Book a visit: {#var#} -LUMENS"
TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "We miss you (SMS)",
        "category": "win-back",
        "channel": "sms",
        "body": "Dear {{ first_name }}, {{ clinic_name }} misses you. Book a visit: "
        "{{ clinic_phone }} -LUMENS",
        "sms_dlt_template_id": "1107161234567890123",
        "sms_header": "LUMENS",
        "sms_principal_entity_id": "1101456789012345678",
        "sms_registered_text": SMS_REGISTERED,
    },
    {
        "name": "A treat for you (e-mail)",
        "category": "win-back",
        "channel": "email",
        "subject": "{{ first_name }}, a treat from {{ clinic_name }}",
        "body": "Dear {{ first_name }},\n\nIt has been a while since {{ last_visit }}. Show "
        "the code {{ promo_code }} at the desk for 20% off your next facial.\n\n"
        "{{ clinic_name }}, {{ clinic_phone }}",
    },
    {
        "name": "A treat for you, shorter (e-mail)",
        "category": "win-back",
        "channel": "email",
        "subject": "20% off your next facial, {{ first_name }}",
        "body": "Hi {{ first_name }}, code {{ promo_code }} gives 20% off. {{ clinic_name }}",
    },
]
CAMPAIGN_NAME = "Autumn win-back (demo)"
RECIPIENTS = 240


def write_demo_campaigns(
    session: Session, rng: random.Random, branch_id: uuid.UUID, *, now: datetime, today: date
) -> None:
    """The library and one completed A/B e-mail campaign, sent 45 days before `today`."""
    rows = []
    for spec in TEMPLATES:
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "branch_id": branch_id,
                "purpose": "promotional",
                "created_at": now,
                **{"subject": None} | spec,
            }
        )
    session.execute(insert(MessageTemplate), rows)
    manager = session.scalar(select(User.id).where(User.role == "manager"))
    email_a, email_b = rows[1], rows[2]
    sent_day = today - timedelta(days=45)
    sent_at = datetime.combine(sent_day, time(11, 0), ZoneInfo("Asia/Kolkata"))
    campaign_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    session.add(
        Campaign(
            id=campaign_id,
            branch_id=branch_id,
            name=CAMPAIGN_NAME,
            objective="Bring back patients who have not visited in 90 days",
            channels=["email"],
            audience={"last_visit_older_than_days": 90},
            variants={
                "arms": {
                    "A": {"template_id": str(email_a["id"]), "share": 1},
                    "B": {"template_id": str(email_b["id"]), "share": 1},
                },
                "holdout_percent": 10,
                "minimum_per_arm": 50,
            },
            schedule={"at": sent_at.isoformat()},
            budget_paise=10_000,
            cost_per_message={"email": 10},
            promotion_id=None,
            promo_code_id=None,
            personal_codes=False,
            attribution_days=30,
            status="completed",
            created_by=manager,
            created_at=sent_at - timedelta(days=1),
            updated_at=sent_at + timedelta(days=30),
            launched_at=sent_at,
        )
    )
    session.flush()
    people = session.execute(
        select(Patient.id, Patient.name, Patient.email)
        .where(Patient.email.is_not(None), Patient.email != "", Patient.is_walk_in.is_(False))
        .order_by(Patient.name, Patient.id)
        .limit(RECIPIENTS)
    ).all()
    executions: list[dict[str, Any]] = []
    for patient_id, name, email in people:
        arm = rng.choices(["A", "B", "holdout"], weights=[45, 45, 10])[0]
        held = arm == "holdout"
        template = email_a if arm != "B" else email_b
        values = {
            "first_name": name.split()[0],
            "name": name,
            "last_visit": "",
            "days_since_visit": "",
            "promo_code": "GLOW20",
            "clinic_name": "Indiranagar",
            "clinic_phone": "080 4123 4567",
            "mobile": "",
        }
        status = (
            "skipped"
            if held
            else rng.choices(
                ["delivered", "replied", "failed", "opted_out"], weights=[85, 8, 5, 2]
            )[0]
        )
        executions.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "branch_id": branch_id,
                "campaign_id": campaign_id,
                "patient_id": patient_id,
                "step": 1,
                "channel": "email",
                "variant": arm,
                "recipient": email,
                "rendered_subject": render(template["subject"], values),
                "rendered_text": render(template["body"], values),
                "payload": {"template_id": str(template["id"]), "purpose": "promotional"},
                "status": status,
                "attempts": 0 if held else 1,
                "next_attempt_at": sent_at,
                "provider_id": None if held else f"demo-{len(executions):04d}",
                "error": "hold-out group: gets nothing" if held else None,
                "cost_paise": 0 if held or status == "failed" else 10,
                "queued_at": sent_at - timedelta(minutes=5),
                "sent_at": None if held else sent_at + timedelta(seconds=len(executions)),
                "delivered_at": None,
                "updated_at": sent_at,
            }
        )
    if executions:
        session.execute(insert(CampaignExecution), executions)
