"""The template library (issue #16): add, list, retire and preview message templates.

A template is checked when it is saved (domain.message_render rule 3): rendered for the
sample patient at this clinic (its own name and phone), its SMS length counted, and an SMS with a DLT registration matched against
its registered text; a mismatch is refused there, before any message is made from it. A
WhatsApp template's body parameters (the approved template's {{1}}, {{2}}, ...) are texts
with tags, rendered for each recipient into the Cloud API's components at launch.

With a centre, the head office's templates reach every branch at its next sync
(services.sync_pull), belonging to no branch there (`branch_id` None): a branch sends
campaigns with them but does not change them (`update_template` refuses).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Branch, InvoiceHeader, MessageTemplate, Patient
from domain.bounds import clean_text
from domain.errors import BadInput
from domain.message_render import SAMPLE, TemplateRefused, render
from domain.permissions import require
from domain.templates import SmsLength, matches_dlt, sms_parts, whatsapp_body
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.campaigns import specs
from services.errors import NotFound, ServiceError
from services.uow import UnitOfWork

CHANNELS = ("email", "sms", "whatsapp", "preview")
# The id of a preview of a template not saved yet.
UNSAVED = uuid.UUID(int=0)
PURPOSES = ("promotional", "service")


class TemplateSpec(BaseModel):
    """A template as typed or read from JSON: wrong types and unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=120)
    category: str = Field(default="general", max_length=60)
    channel: str
    purpose: str = "promotional"
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=4000)
    sms_dlt_template_id: str | None = Field(default=None, max_length=30)
    sms_header: str | None = Field(default=None, max_length=11)
    sms_principal_entity_id: str | None = Field(default=None, max_length=30)
    sms_registered_text: str | None = Field(default=None, max_length=4000)
    whatsapp_template_name: str | None = Field(default=None, max_length=120)
    whatsapp_language: str | None = Field(default=None, max_length=15)
    # The approved template's body parameters {{1}}, {{2}}, ... in order, each a text with
    # tags filled in per recipient. None when changing a template: keep those it has.
    whatsapp_body_parameters: list[str] | None = Field(default=None, max_length=20)


@dataclass(frozen=True)
class Preview:
    """A template rendered for one patient (or the sample), with its SMS length."""

    template_id: uuid.UUID
    name: str
    channel: str
    subject: str | None
    text: str
    sms: SmsLength | None
    dlt_ok: bool | None
    whatsapp_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateRow:
    """A template of the library with every field it was saved with (an editor copies it)."""

    id: uuid.UUID
    name: str
    category: str
    channel: str
    purpose: str
    body: str
    subject: str | None = None
    sms_dlt_template_id: str | None = None
    sms_header: str | None = None
    sms_principal_entity_id: str | None = None
    sms_registered_text: str | None = None
    whatsapp_template_name: str | None = None
    whatsapp_language: str | None = None
    # The approved template's {{1}}, {{2}}, ... as typed, with their tags (WhatsApp only).
    whatsapp_body_parameters: tuple[str, ...] = ()
    # Received from the centre: the head office's, read-only here (services.sync_pull).
    head_office: bool = False


class HeadOfficeTemplate(ServiceError):
    """A change, at a branch, of a template the head office made for every branch."""


def parse_spec(data: Any) -> TemplateSpec:
    """A template spec from JSON data; a refusal names the key."""
    return specs.parse(TemplateSpec, data, "a template spec")


def _checked(spec: TemplateSpec, sample: dict[str, str] = SAMPLE) -> TemplateSpec:
    if spec.channel not in CHANNELS:
        raise BadInput(f"channel: one of {', '.join(CHANNELS)}, not {spec.channel!r}.")
    if spec.purpose not in PURPOSES:
        raise BadInput(f"purpose: promotional or service, not {spec.purpose!r}.")
    if spec.channel == "email" and not (spec.subject or "").strip():
        raise BadInput("subject: an e-mail needs a subject.")
    if spec.channel == "whatsapp" and not (spec.whatsapp_template_name or "").strip():
        raise BadInput("whatsapp_template_name: WhatsApp sends approved templates only.")
    text = render(spec.body, sample)
    if spec.subject:
        render(spec.subject, sample)
    parameters = spec.whatsapp_body_parameters or []
    if parameters and spec.channel != "whatsapp":
        raise BadInput("whatsapp_body_parameters: only a WhatsApp template has them.")
    for number, parameter in enumerate(parameters, start=1):
        if not parameter.strip() or len(parameter) > 200:
            raise BadInput(
                f"whatsapp_body_parameters: {{{{{number}}}}} is 1 to 200 characters of text "
                "and tags."
            )
        render(parameter, sample)
    if spec.channel == "sms" and spec.sms_registered_text:
        if not (spec.sms_dlt_template_id and spec.sms_header and spec.sms_principal_entity_id):
            raise BadInput(
                "An SMS with a DLT registration needs its template id, header and "
                "principal entity id."
            )
        if not matches_dlt(text, spec.sms_registered_text):
            raise TemplateRefused(
                "The message does not match its DLT registration: the operator would "
                f"refuse it. Rendered: {text!r}."
            )
    return spec


def _rendered(
    template_id: uuid.UUID, row: TemplateSpec | MessageTemplate, values: dict[str, str]
) -> Preview:
    """`row` rendered with `values`, with its SMS parts and DLT match."""
    text = render(row.body, values)
    subject = None if row.subject is None else render(row.subject, values)
    sms = sms_parts(text) if row.channel == "sms" else None
    dlt = (
        matches_dlt(text, row.sms_registered_text)
        if row.channel == "sms" and row.sms_registered_text
        else None
    )
    raw = (
        row.whatsapp_body_parameters or []
        if isinstance(row, TemplateSpec)
        else body_parameters(row.whatsapp_components)
    )
    filled = tuple(p["text"] for p in _components(raw, values)[0]["parameters"]) if raw else ()
    return Preview(template_id, row.name, row.channel, subject, text, sms, dlt, filled)


def _stored(parameters: list[str] | None) -> dict[str, Any] | None:
    """How a template keeps its body parameters (`whatsapp_components`), as typed."""
    return {"body_parameters": list(parameters)} if parameters else None


def body_parameters(stored: dict[str, Any] | None) -> list[str]:
    """The body parameters (as typed, with their tags) a template keeps."""
    return [str(text) for text in (stored or {}).get("body_parameters", [])]


def _components(parameters: list[str], values: dict[str, str]) -> list[dict[str, Any]]:
    return whatsapp_body([render(parameter, values) for parameter in parameters])


def whatsapp_components(template: MessageTemplate, values: dict[str, str]) -> list[dict[str, Any]]:
    """The template's components in the Cloud API's form, filled in for one recipient
    (domain.templates rule 3); none without body parameters."""
    return _components(body_parameters(template.whatsapp_components), values)


def check_template(spec: TemplateSpec) -> Preview:
    """`spec` rendered for the sample patient, as it would be checked when saved (the
    module's rules): an editor's preview while the template is typed. Touches no data."""
    spec = _checked(spec)
    return _rendered(UNSAVED, spec, SAMPLE)


def add_template(
    db: Database, actor: CurrentUser, spec: TemplateSpec, *, now: datetime
) -> uuid.UUID:
    """Add a template to the library (manager) after checking it (the module's rules)."""
    require(actor.role, "campaign.manage")
    spec = _checked(spec, _sample(db))
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        row = MessageTemplate(
            id=uuid.uuid4(),
            branch_id=this_branch_id(session),
            name=clean_text(spec.name),
            category=clean_text(spec.category) or "general",
            channel=spec.channel,
            purpose=spec.purpose,
            subject=spec.subject,
            body=spec.body,
            sms_dlt_template_id=spec.sms_dlt_template_id,
            sms_header=spec.sms_header,
            sms_principal_entity_id=spec.sms_principal_entity_id,
            sms_registered_text=spec.sms_registered_text,
            whatsapp_template_name=spec.whatsapp_template_name,
            whatsapp_language=spec.whatsapp_language,
            whatsapp_components=_stored(spec.whatsapp_body_parameters),
            created_at=now,
        )
        session.add(row)
        session.flush()
        uow.outbox(documents.MESSAGE_TEMPLATE, row.id, documents.message_template_json(row))
        uow.audit("template.add", "message_template", row.id, {"name": row.name})
        uow.commit()
        return row.id


def update_template(
    db: Database, actor: CurrentUser, template_id: uuid.UUID, spec: TemplateSpec, *, now: datetime
) -> None:
    """Change a template of the library (manager), checked as when added. Messages already
    made keep their text; launches and triggers from now on render the new one. Its channel
    stays: the campaigns that use it send on that channel (copy it for another)."""
    require(actor.role, "campaign.manage")
    spec = _checked(spec, _sample(db))
    with UnitOfWork(db, actor, now) as uow:
        row = get_template(uow.session, template_id)
        if row.branch_id is None:
            raise HeadOfficeTemplate(
                f"Head office manages the template {row.name} for every branch: change it on "
                "the centre (or copy it to make one of this branch's own); this branch "
                "receives the change at its next sync."
            )
        if spec.channel != row.channel:
            raise BadInput(
                f"channel: this template is for {row.channel} and its campaigns send on it; "
                "copy it to make one for another channel."
            )
        row.name = clean_text(spec.name)
        row.category = clean_text(spec.category) or "general"
        row.purpose = spec.purpose
        row.subject = spec.subject
        row.body = spec.body
        row.sms_dlt_template_id = spec.sms_dlt_template_id
        row.sms_header = spec.sms_header
        row.sms_principal_entity_id = spec.sms_principal_entity_id
        row.sms_registered_text = spec.sms_registered_text
        row.whatsapp_template_name = spec.whatsapp_template_name
        row.whatsapp_language = spec.whatsapp_language
        if spec.whatsapp_body_parameters is not None:
            row.whatsapp_components = _stored(spec.whatsapp_body_parameters)
        uow.session.flush()
        uow.outbox(documents.MESSAGE_TEMPLATE, row.id, documents.message_template_json(row))
        uow.audit("template.update", "message_template", row.id, {"name": row.name})
        uow.commit()


def list_templates(db: Database, actor: CurrentUser) -> list[TemplateRow]:
    """The library, by category and name (manager)."""
    require(actor.role, "campaign.manage")
    with db.session(write=False) as session:
        rows = session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.retired_at.is_(None))
            .order_by(MessageTemplate.category, MessageTemplate.name)
        )
        return [
            TemplateRow(
                r.id,
                r.name,
                r.category,
                r.channel,
                r.purpose,
                r.body,
                r.subject,
                r.sms_dlt_template_id,
                r.sms_header,
                r.sms_principal_entity_id,
                r.sms_registered_text,
                r.whatsapp_template_name,
                r.whatsapp_language,
                tuple(body_parameters(r.whatsapp_components)),
                r.branch_id is None,
            )
            for r in rows
        ]


def get_template(session: Session, template_id: uuid.UUID) -> MessageTemplate:
    row = session.get(MessageTemplate, template_id)
    if row is None or row.retired_at is not None:
        raise NotFound("That template is not in the library.")
    return row


def find_template(db: Database, text: str) -> uuid.UUID:
    """A template by its id (or the start of it) or its exact name."""
    with db.session(write=False) as session:
        rows = session.execute(
            select(MessageTemplate.id, MessageTemplate.name).where(
                MessageTemplate.retired_at.is_(None)
            )
        ).all()
    wanted = text.strip().lower()
    found = [i for i, name in rows if name.lower() == wanted or str(i).startswith(wanted)]
    if len(found) != 1:
        raise NotFound(f"No single template is named or numbered {text!r}.")
    return found[0]


def sample_values(session: Session) -> dict[str, str]:
    """The sample patient at this clinic: the clinic's own name and phone in place of
    SAMPLE's, so a preview (and a DLT check) reads as the clinic's messages will."""
    branch = session.get(Branch, this_branch_id(session))
    values = dict(SAMPLE)
    if branch is not None:
        values["clinic_name"] = branch.name or values["clinic_name"]
        values["clinic_phone"] = branch.phone or values["clinic_phone"]
    return values


def _sample(db: Database) -> dict[str, str]:
    with db.session(write=False) as session:
        return sample_values(session)


def tag_values(
    session: Session, patient: Patient | None, *, today: date, code: str = ""
) -> dict[str, str]:
    """The tags for `patient` (domain.message_render.TAGS); the sample at this clinic for
    None."""
    if patient is None:
        return sample_values(session)
    return TagValues(session, [patient.id], today).of(patient, code)


class TagValues:
    """The tags of many patients at once: the clinic read once, every last visit in one
    query (a launch renders thousands)."""

    def __init__(self, session: Session, patient_ids: list[uuid.UUID], today: date) -> None:
        self.branch = session.get_one(Branch, this_branch_id(session))
        self.today = today
        self.last: dict[uuid.UUID, date] = {}
        for start in range(0, len(patient_ids), 500):
            chunk = patient_ids[start : start + 500]
            rows = session.execute(
                select(InvoiceHeader.patient_id, func.max(InvoiceHeader.invoice_date))
                .where(InvoiceHeader.patient_id.in_(chunk), InvoiceHeader.status == "issued")
                .group_by(InvoiceHeader.patient_id)
            )
            for patient_id, last in rows:
                self.last[patient_id] = last

    def of(self, patient: Patient, code: str = "") -> dict[str, str]:
        name = " ".join(patient.name.split())
        last = self.last.get(patient.id)
        return {
            "first_name": name.split(" ")[0] if name else "",
            "name": name,
            "last_visit": "" if last is None else f"{last:%d %b %Y}",
            "days_since_visit": "" if last is None else str((self.today - last).days),
            "promo_code": code,
            "clinic_name": self.branch.name,
            "clinic_phone": self.branch.phone,
            "mobile": patient.mobile,
        }


def preview(
    db: Database,
    actor: CurrentUser,
    template_id: uuid.UUID,
    *,
    patient_id: uuid.UUID | None = None,
    today: date,
) -> Preview:
    """The template as `patient_id` (or the sample patient) would receive it (manager)."""
    require(actor.role, "campaign.manage")
    with db.session(write=False) as session:
        row = get_template(session, template_id)
        patient = None if patient_id is None else session.get(Patient, patient_id)
        if patient_id is not None and patient is None:
            raise NotFound("That patient is not on record.")
        values = tag_values(session, patient, today=today, code="PREVIEW10")
        return _rendered(row.id, row, values)
