"""Finding and registering patients at the counter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import InvoiceHeader, Patient
from db.search import search_patients
from domain.patients import (
    NewPatient,
    PatientDetailsError,
    normalise_mobile,
    validate_new_patient,
)
from services import documents
from services.auth import CurrentUser
from services.errors import NotFound
from services.uow import UnitOfWork


@dataclass(frozen=True)
class PatientMatch:
    """A patient as the type-ahead shows them."""

    id: uuid.UUID
    name: str
    mobile: str
    visits: int
    last_visit: date | None


def _with_history(session: Session, rows: list[tuple[uuid.UUID, str, str]]) -> list[PatientMatch]:
    ids = [row[0] for row in rows]
    history = {
        patient_id: (visits, last)
        for patient_id, visits, last in session.execute(
            select(
                InvoiceHeader.patient_id,
                func.count(InvoiceHeader.id),
                func.max(InvoiceHeader.invoice_date),
            )
            .where(InvoiceHeader.patient_id.in_(ids), InvoiceHeader.status == "issued")
            .group_by(InvoiceHeader.patient_id)
        )
    }
    return [
        PatientMatch(pid, name, mobile, *history.get(pid, (0, None))) for pid, name, mobile in rows
    ]


def find_patients(db: Database, text: str, *, limit: int = 8) -> list[PatientMatch]:
    """Patients whose name or mobile words start with every word typed, with their visits."""
    with db.session(write=False) as session:
        rows = [
            (uuid.UUID(row["id"]), row["name"], row["mobile"])
            for row in search_patients(session, text, limit)
        ]
        return _with_history(session, rows)


def get_patient(db: Database, patient_id: uuid.UUID) -> PatientMatch:
    """One patient with their visit count and last visit."""
    with db.session(write=False) as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.retired_at is not None:
            raise NotFound("That patient is not on record.")
        return _with_history(session, [(patient.id, patient.name, patient.mobile)])[0]


def resolve_patient(db: Database, text: str) -> PatientMatch:
    """The patient named by a patient id or a mobile number (for the command line)."""
    key = text.strip()
    try:
        return get_patient(db, uuid.UUID(key))
    except ValueError:
        pass
    try:
        mobile = normalise_mobile(key)
    except PatientDetailsError as exc:
        raise NotFound(f"'{text}' is neither a patient id nor a mobile number.") from exc
    with db.session(write=False) as session:
        rows = session.execute(
            select(Patient.id, Patient.name, Patient.mobile).where(
                Patient.mobile == mobile, Patient.retired_at.is_(None)
            )
        ).all()
        if not rows:
            raise NotFound(f"No patient has the mobile {mobile}.")
        if len(rows) > 1:
            raise NotFound(f"{len(rows)} patients share the mobile {mobile}; give the patient id.")
        patient_id, name, mobile_on_record = rows[0]
        return _with_history(session, [(patient_id, name, mobile_on_record)])[0]


def add_patient(
    db: Database, actor: CurrentUser, details: NewPatient, *, now: datetime, today: date
) -> PatientMatch:
    """Register a patient (any signed-in user); raises PatientDetailsError for bad input."""
    clean = validate_new_patient(details, today=today)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        patient = Patient(
            branch_id=actor.branch_id,
            name=clean.name,
            mobile=clean.mobile,
            email=clean.email or None,
            birth_date=clean.birth_date,
            gender=clean.gender or None,
            consent_sms=clean.consent_sms,
            consent_email=clean.consent_email,
            consent_whatsapp=clean.consent_whatsapp,
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        session.flush()
        uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
        uow.audit("patient.add", "patient", patient.id)
        uow.commit()
        return PatientMatch(patient.id, patient.name, patient.mobile, 0, None)
