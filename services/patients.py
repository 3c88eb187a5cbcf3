"""Patients: finding them (by name, or by the mobile as people type it), registering,
editing, merging two records of one person, and the patient page (issue #12)."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    CallbackRequest,
    InvoiceHeader,
    Patient,
    PromotionCampaign,
    PromotionUsageLog,
)
from db.search import search_patients
from domain.patients import (
    NewPatient,
    PatientDetailsError,
    normalise_mobile,
    validate_new_patient,
)
from domain.permissions import require
from services import consent, documents
from services.auth import CurrentUser
from services.errors import NotFound, ServiceError
from services.payment_settings import MethodSetting, read_payment_settings
from services.payments import Account, read_account
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


Triple = tuple[uuid.UUID, str, str]  # id, name, mobile
_PHONE_LIKE = re.compile(r"^[\d\s+()./-]+$")
# Typed digits that may be the end of a mobile: its last four or five, or more.
_TAIL_DIGITS = range(4, 10)


def find_patients(db: Database, text: str, *, limit: int = 8) -> list[PatientMatch]:
    """Patients whose name or mobile words start with every word typed, with their visits.

    A mobile is found however it is typed: '+91 79929 05876', '079929-05876' or
    '7992905876' find its patients; four to nine digits find mobiles that start or end with
    them (the last four or five digits, as people read them out)."""
    key = text.strip()
    with db.session(write=False) as session:
        if key and _PHONE_LIKE.match(key):
            digits = re.sub(r"\D", "", key)
            try:
                mobile = normalise_mobile(key)
            except PatientDetailsError:
                mobile = None
            if mobile is not None:
                rows = session.execute(
                    select(Patient.id, Patient.name, Patient.mobile)
                    .where(Patient.mobile == mobile, Patient.retired_at.is_(None))
                    .order_by(Patient.name)
                    .limit(limit)
                ).all()
                return _with_history(session, [(r[0], r[1], r[2]) for r in rows])
            if len(digits) in _TAIL_DIGITS:
                starts: list[Triple] = [
                    (uuid.UUID(row["id"]), row["name"], row["mobile"])
                    for row in search_patients(session, digits, limit)
                ]
                ends = session.execute(
                    select(Patient.id, Patient.name, Patient.mobile)
                    .where(Patient.mobile.like(f"%{digits}"), Patient.retired_at.is_(None))
                    .order_by(Patient.name)
                    .limit(limit)
                ).all()
                seen: set[uuid.UUID] = set()
                found: list[Triple] = []
                for row in [*((r[0], r[1], r[2]) for r in ends), *starts]:
                    if row[0] not in seen:
                        seen.add(row[0])
                        found.append(row)
                return _with_history(session, found[:limit])
        matched: list[Triple] = [
            (uuid.UUID(row["id"]), row["name"], row["mobile"])
            for row in search_patients(session, key, limit)
        ]
        return _with_history(session, matched)


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


class MobileOnFile(ServiceError):
    """The mobile is already a patient's: the person chooses that patient, or adds this one
    as family sharing it. `matches` are the patients who have it."""

    def __init__(self, mobile: str, matches: list[PatientMatch]) -> None:
        names = " and ".join(m.name for m in matches[:3])
        owner = f"{names}'s" if len(matches) == 1 else f"the mobile of {names}"
        super().__init__(
            f"{mobile} is {owner}; same family? Pick them, or add the new patient anyway."
        )
        self.mobile = mobile
        self.matches = matches


def _same_mobile(
    session: Session, mobile: str, other_than: uuid.UUID | None = None
) -> list[PatientMatch]:
    query = select(Patient.id, Patient.name, Patient.mobile).where(
        Patient.mobile == mobile, Patient.retired_at.is_(None)
    )
    if other_than is not None:
        query = query.where(Patient.id != other_than)
    rows = session.execute(query.order_by(Patient.name))
    return _with_history(session, [(r[0], r[1], r[2]) for r in rows])


def add_patient(
    db: Database,
    actor: CurrentUser,
    details: NewPatient,
    *,
    now: datetime,
    today: date,
    shared_mobile: bool = False,
) -> PatientMatch:
    """Register a patient (any signed-in user); raises PatientDetailsError for bad input,
    and MobileOnFile when the mobile is already a patient's unless `shared_mobile` (family
    members may share one)."""
    clean = validate_new_patient(details, today=today)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        others = _same_mobile(session, clean.mobile)
        if others and not shared_mobile:
            raise MobileOnFile(clean.mobile, others)
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
            gstin=clean.gstin,
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        session.flush()
        uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
        consent.form_consent_events(uow, patient, {})
        uow.audit("patient.add", "patient", patient.id)
        uow.commit()
        return PatientMatch(patient.id, patient.name, patient.mobile, 0, None)


# ---------------------------------------------------------------------------- editing


def patient_details(db: Database, patient_id: uuid.UUID) -> NewPatient:
    """A patient's details and consents as the edit form shows them."""
    with db.session(write=False) as session:
        return patient_details_of(_patient(session, patient_id))


def _patient(session: Session, patient_id: uuid.UUID) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None or patient.retired_at is not None:
        raise NotFound("That patient is not on record.")
    return patient


def update_patient(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    details: NewPatient,
    *,
    now: datetime,
    today: date,
    shared_mobile: bool = False,
) -> PatientMatch:
    """Change a patient's details and consents (any signed-in user); audited with what
    changed. A new mobile that another patient has raises MobileOnFile unless
    `shared_mobile`."""
    clean = validate_new_patient(details, today=today)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        patient = _patient(session, patient_id)
        if clean.mobile != patient.mobile and not shared_mobile:
            others = _same_mobile(session, clean.mobile, other_than=patient.id)
            if others:
                raise MobileOnFile(clean.mobile, others)
        before = asdict(patient_details_of(patient))
        patient.name = clean.name
        patient.mobile = clean.mobile
        patient.email = clean.email or None
        patient.birth_date = clean.birth_date
        patient.gender = clean.gender or None
        patient.consent_sms = clean.consent_sms
        patient.consent_email = clean.consent_email
        patient.consent_whatsapp = clean.consent_whatsapp
        patient.gstin = clean.gstin
        patient.updated_at = now
        after = asdict(patient_details_of(patient))
        changed = {
            field: {"from": _plain(before[field]), "to": _plain(after[field])}
            for field in before
            if before[field] != after[field]
        }
        if not changed:
            # Nothing to record or send: the block ends without committing.
            return get_patient_in(session, patient.id)
        session.flush()
        uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
        consent.form_consent_events(
            uow, patient, {c: before[f"consent_{c}"] for c in ("sms", "email", "whatsapp")}
        )
        uow.audit("patient.edit", "patient", patient.id, changed)
        uow.commit()
        return get_patient_in(session, patient.id)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def patient_details_of(patient: Patient) -> NewPatient:
    return NewPatient(
        name=patient.name,
        mobile=patient.mobile,
        email=patient.email or "",
        birth_date=patient.birth_date,
        gender=patient.gender or "",
        consent_sms=patient.consent_sms,
        consent_email=patient.consent_email,
        consent_whatsapp=patient.consent_whatsapp,
        gstin=patient.gstin,
    )


def get_patient_in(session: Session, patient_id: uuid.UUID) -> PatientMatch:
    patient = _patient(session, patient_id)
    return _with_history(session, [(patient.id, patient.name, patient.mobile)])[0]


@dataclass(frozen=True)
class Merge:
    """What `merge_patients` moved onto the patient kept."""

    kept: PatientMatch
    invoices: int
    uses: int
    callbacks: int


def merge_patients(
    db: Database, actor: CurrentUser, keep_id: uuid.UUID, merge_id: uuid.UUID, *, now: datetime
) -> Merge:
    """Two records of one person become one (manager): the merged record's invoices,
    promotion uses and callbacks move to the one kept, and the merged record is retired,
    not deleted. Audited, and both records go to the centre."""
    require(actor.role, "patient.merge")
    if keep_id == merge_id:
        raise PatientError("Pick two different patients to merge.")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        kept, merged = _patient(session, keep_id), _patient(session, merge_id)
        moved = {}
        for model in (InvoiceHeader, PromotionUsageLog, CallbackRequest):
            changed = session.execute(
                update(model)
                .where(model.patient_id == merged.id)
                .values(patient_id=kept.id)
                .execution_options(synchronize_session=False)
            )
            moved[model.__tablename__] = getattr(changed, "rowcount", 0)
        merged.retired_at = now
        merged.updated_at = now
        session.flush()
        for patient in (kept, merged):
            uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
        uow.outbox(
            documents.PATIENT_MERGE,
            merged.id,
            {"kept": str(kept.id), "merged": str(merged.id), "at": now.isoformat(), **moved},
        )
        uow.audit(
            "patient.merge",
            "patient",
            kept.id,
            {"merged": str(merged.id), "merged_name": merged.name, **moved},
        )
        result = Merge(
            get_patient_in(session, kept.id),
            moved["invoice_header"],
            moved["promotion_usage_log"],
            moved["callback_requests"],
        )
        uow.commit()
        return result


class PatientError(ServiceError):
    """A change to patients that cannot be made."""


# ---------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class PatientInvoice:
    number: str
    invoice_date: date
    payable: int
    status: str


@dataclass(frozen=True)
class PatientPromotion:
    campaign_code: str
    used_at: datetime
    discount: int
    invoice_number: str


@dataclass(frozen=True)
class PatientCallback:
    requested_at: datetime
    reason: str
    status: str
    outcome: str | None


@dataclass(frozen=True)
class PatientPage:
    """Everything the patient page shows (amounts in paise)."""

    match: PatientMatch
    details: NewPatient
    created_at: datetime
    invoices: tuple[PatientInvoice, ...]
    spent: int
    promotions: tuple[PatientPromotion, ...]
    callbacks: tuple[PatientCallback, ...]
    # Dues and advances (issue #11): the account, and the ways the branch takes money.
    account: Account | None = None
    walk_in: bool = False
    payment_methods: tuple[MethodSetting, ...] = ()


def patient_page(db: Database, patient_id: uuid.UUID) -> PatientPage:
    """A patient's details, consents, invoices, promotions used, callbacks, and their
    account: dues, advance, balance and credit limit."""
    with db.session(write=False) as session:
        patient = _patient(session, patient_id)
        invoices = tuple(
            PatientInvoice(number, day, payable, status)
            for number, day, payable, status in session.execute(
                select(
                    InvoiceHeader.invoice_number,
                    InvoiceHeader.invoice_date,
                    InvoiceHeader.total_amount,
                    InvoiceHeader.status,
                )
                .where(InvoiceHeader.patient_id == patient.id)
                .order_by(InvoiceHeader.invoice_date.desc(), InvoiceHeader.created_at.desc())
            )
        )
        promotions = tuple(
            PatientPromotion(code, at, amount, number)
            for code, at, amount, number in session.execute(
                select(
                    PromotionCampaign.campaign_code,
                    PromotionUsageLog.usage_date,
                    PromotionUsageLog.discount_amount,
                    InvoiceHeader.invoice_number,
                )
                .join(PromotionCampaign, PromotionCampaign.id == PromotionUsageLog.campaign_id)
                .join(InvoiceHeader, InvoiceHeader.id == PromotionUsageLog.invoice_id)
                .where(
                    PromotionUsageLog.patient_id == patient.id,
                    PromotionUsageLog.reversed_at.is_(None),
                )
                .order_by(PromotionUsageLog.usage_date.desc())
            )
        )
        callbacks = tuple(
            PatientCallback(at, reason, status, outcome)
            for at, reason, status, outcome in session.execute(
                select(
                    CallbackRequest.requested_at,
                    CallbackRequest.reason,
                    CallbackRequest.status,
                    CallbackRequest.outcome,
                )
                .where(CallbackRequest.patient_id == patient.id)
                .order_by(CallbackRequest.requested_at.desc())
            )
        )
        return PatientPage(
            get_patient_in(session, patient.id),
            patient_details_of(patient),
            patient.created_at,
            invoices,
            sum(i.payable for i in invoices if i.status == "issued"),
            promotions,
            callbacks,
            account=read_account(session, patient.id),
            walk_in=patient.is_walk_in,
            payment_methods=read_payment_settings(session).offered,
        )


# ---------------------------------------------------------------------------- walk-in

WALK_IN_NAME = "Walk-in customer"


def walk_in_patient(db: Database, actor: CurrentUser, *, now: datetime) -> PatientMatch:
    """The branch's one walk-in customer (a product sold to someone not registered),
    created the first time it is asked for. Nothing goes on its account."""
    with db.session(write=False) as session:
        found = session.scalar(
            select(Patient).where(Patient.is_walk_in, Patient.retired_at.is_(None)).limit(1)
        )
        if found is not None:
            return PatientMatch(found.id, found.name, found.mobile, 0, None)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        found = session.scalar(select(Patient).where(Patient.is_walk_in).limit(1))
        if found is None:
            found = Patient(
                branch_id=actor.branch_id,
                name=WALK_IN_NAME,
                mobile="",
                is_walk_in=True,
                created_at=now,
                updated_at=now,
            )
            session.add(found)
            session.flush()
            uow.outbox(documents.PATIENT, found.id, documents.patient_json(found))
            uow.audit("patient.walk_in", "patient", found.id)
        uow.commit()
        return PatientMatch(found.id, found.name, found.mobile, 0, None)
