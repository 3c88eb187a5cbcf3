"""Campaign rows for the sending tests, written as the campaigns core's launch writes them
(one template, one campaign, queued executions), and consent given through the service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.engine import Database
from db.models import Campaign, CampaignExecution, MessageTemplate, Patient
from services import auth, consent

SMS_REGISTERED = "Dear {#var#}, your Glow Clinic visit is due. Book: {#numeric#} -GLOWCL"
DLT = {
    "sms_header": "GLOWCL",
    "sms_dlt_template_id": "1107161234567890123",
    "sms_principal_entity_id": "1101456789012345678",
}


def manager(db: Database) -> auth.CurrentUser:
    return auth.sign_in(db, "meera", "2222")


def some_patients(db: Database, count: int, *, unticked: bool = True) -> list[Patient]:
    """Registered patients; `unticked`: whose form gave no consent (the demo ticks some)."""
    query = select(Patient).where(Patient.is_walk_in.is_(False))
    if unticked:
        query = query.where(
            Patient.consent_sms.is_(False),
            Patient.consent_email.is_(False),
            Patient.consent_whatsapp.is_(False),
        )
    with db.session(write=False) as session:
        return list(session.scalars(query.order_by(Patient.id).limit(count)))


def a_template(
    db: Database, channel: str, *, purpose: str = "promotional", at: datetime, **extra: Any
) -> uuid.UUID:
    row = MessageTemplate(
        id=uuid.uuid4(),
        branch_id=manager(db).branch_id,
        name=f"{channel} {purpose} {uuid.uuid4().hex[:6]}",
        category="win-back",
        channel=channel,
        purpose=purpose,
        subject="We miss you" if channel == "email" else None,
        body="Dear {{ first_name }}, we miss you.",
        sms_dlt_template_id=DLT["sms_dlt_template_id"] if channel == "sms" else None,
        sms_header=DLT["sms_header"] if channel == "sms" else None,
        sms_principal_entity_id=DLT["sms_principal_entity_id"] if channel == "sms" else None,
        sms_registered_text=SMS_REGISTERED if channel == "sms" else None,
        whatsapp_template_name="winback_offer" if channel == "whatsapp" else None,
        whatsapp_language="en" if channel == "whatsapp" else None,
        whatsapp_components=None,
        created_at=at,
        **extra,
    )
    with db.session(write=True) as session, session.begin():
        session.add(row)
    return row.id


def a_campaign(db: Database, template_id: uuid.UUID, channel: str, *, at: datetime) -> uuid.UUID:
    user = manager(db)
    row = Campaign(
        id=uuid.uuid4(),
        branch_id=user.branch_id,
        name=f"Win-back {uuid.uuid4().hex[:6]}",
        objective="win back",
        channels=[channel],
        audience={"kind": "list"},
        variants={"A": {"template_id": str(template_id), "share": 100}},
        schedule={"kind": "now"},
        budget_paise=100_000,
        cost_per_message={channel: 25},
        personal_codes=False,
        attribution_days=30,
        status="running",
        created_by=user.id,
        created_at=at,
        updated_at=at,
        launched_at=at,
    )
    with db.session(write=True) as session, session.begin():
        session.add(row)
    return row.id


def queue(
    db: Database,
    campaign_id: uuid.UUID,
    patient_id: uuid.UUID,
    channel: str,
    recipient: str,
    text: str,
    *,
    at: datetime,
    step: int = 1,
    variant: str = "A",
    template_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    row = CampaignExecution(
        id=uuid.uuid4(),
        branch_id=manager(db).branch_id,
        campaign_id=campaign_id,
        patient_id=patient_id,
        step=step,
        channel=channel,
        variant=variant,
        recipient=recipient,
        rendered_subject="We miss you" if channel == "email" else None,
        rendered_text=text,
        payload={
            **(DLT if channel == "sms" else {}),
            **(payload or {}),
            **({"template_id": str(template_id)} if template_id else {}),
        },
        status="queued",
        attempts=0,
        next_attempt_at=at,
        queued_at=at,
        updated_at=at,
    )
    with db.session(write=True) as session, session.begin():
        session.add(row)
    return row.id


def consented(db: Database, patient_id: uuid.UUID, channel: str, *, at: datetime) -> None:
    consent.record_consent(db, manager(db), patient_id, channel, granted=True, now=at)


def status_of(db: Database, execution_id: uuid.UUID) -> CampaignExecution:
    with db.session(write=False) as session:
        row = session.get_one(CampaignExecution, execution_id)
        session.expunge(row)
        return row
