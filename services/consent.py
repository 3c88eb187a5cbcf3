"""The consent ledger and do-not-contact (issue #16; the rules: domain.consent).

Consent events are only ever added (`consent_ledger`); the latest per patient, channel and
purpose is the state the send gate reads (services.campaign_sender). Granting or
withdrawing promotional consent also sets the patient's `consent_<channel>` flag, which the
patient form and the patient document show. Do-not-contact rows are lifted, never deleted.

`import_replies` reads a provider's export of replies (and bounces) as a CSV file, checked
in full before anything is written, as the history import is (services.history_import):
a bad row stops it with its line and the reason. STOP and the other opt-out words withdraw
consent the same day, at the reply's own time.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Branch,
    CampaignExecution,
    CampaignResponse,
    ConsentLedger,
    DoNotContact,
    Patient,
)
from domain import consent as rules
from domain.bounds import clean_text
from domain.consent import CHANNELS, DNC_REASONS, PURPOSES, SOURCES, ReplyKind
from domain.errors import FieldError
from domain.patients import PatientDetailsError, normalise_mobile
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.branch import get_branch
from services.errors import ServiceError
from services.uow import UnitOfWork

MAX_BODY = 1_000
MAX_IMPORT_ROWS = 200_000
IMPORT_COLUMNS = ("received_at", "channel", "sender", "body")
OPTIONAL_COLUMNS = ("kind", "provider_id")


class ConsentError(FieldError):
    """A consent that cannot be recorded; `field` names the input to fix."""


@dataclass(frozen=True)
class ConsentEvent:
    """One event of the ledger, as the patient page and the CLI show it."""

    id: uuid.UUID
    channel: str
    purpose: str
    action: str
    notice: str
    source: str
    at: datetime
    recorded_by: uuid.UUID | None


@dataclass(frozen=True)
class ChannelState:
    """A patient's standing on one channel: consent per purpose (the latest event or
    None) and the do-not-contact reason (None when the channel is open)."""

    channel: str
    promotional: ConsentEvent | None
    service: ConsentEvent | None
    do_not_contact: str | None
    do_not_contact_at: datetime | None

    @property
    def may_promote(self) -> bool:
        return (
            self.do_not_contact is None
            and self.promotional is not None
            and self.promotional.action == "granted"
        )


def _check(channel: str, purpose: str, source: str) -> None:
    if channel not in CHANNELS:
        raise ConsentError("channel", f"The channel is one of {', '.join(CHANNELS)}.")
    if purpose not in PURPOSES:
        raise ConsentError("purpose", f"The purpose is {' or '.join(PURPOSES)}.")
    if source not in SOURCES:
        raise ConsentError("source", f"The source is one of {', '.join(SOURCES)}.")


def _event(row: ConsentLedger) -> ConsentEvent:
    return ConsentEvent(
        row.id,
        row.channel,
        row.purpose,
        row.action,
        row.notice,
        row.source,
        row.at,
        row.recorded_by,
    )


def _patient(session: Session, patient_id: uuid.UUID) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None or patient.retired_at is not None:
        raise ServiceError("There is no such patient.")
    if patient.is_walk_in:
        raise ServiceError(
            "The walk-in customer stands for everyone not registered: register the patient "
            "to record their consent."
        )
    return patient


def _append(
    uow: UnitOfWork,
    patient: Patient,
    channel: str,
    purpose: str,
    action: str,
    *,
    source: str,
    notice: str,
    at: datetime,
) -> ConsentLedger:
    """One ledger event, the patient's flag kept in step, an unsubscribe lifted by a grant
    (domain.consent rule 4); queued for the centre."""
    row = ConsentLedger(
        id=uuid.uuid4(),
        branch_id=uow.branch_id or patient.branch_id,
        patient_id=patient.id,
        channel=channel,
        purpose=purpose,
        action=action,
        notice=notice,
        source=source,
        at=at,
        recorded_by=None if uow.actor is None else uow.actor.id,
    )
    uow.session.add(row)
    if purpose == "promotional":
        flag = f"consent_{channel}"
        if getattr(patient, flag) != (action == "granted"):
            setattr(patient, flag, action == "granted")
            patient.updated_at = uow.now
            uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
    if action == "granted":
        for dnc in _open_blocks(uow.session, patient.id, channel):
            if rules.lifted_by_grant(dnc.reason):
                dnc.lifted_at = at
                uow.outbox(documents.DO_NOT_CONTACT, dnc.id, documents.campaign_row_json(dnc))
    uow.session.flush()
    uow.outbox(documents.CONSENT_EVENT, row.id, documents.campaign_row_json(row))
    return row


def form_consent_events(uow: UnitOfWork, patient: Patient, before: dict[str, bool]) -> None:
    """Ledger events for the consent boxes the patient form ticked or unticked (`before`:
    channel -> the box as it was), inside the form's own unit of work; the notice is the
    branch's standard one."""
    branch = uow.session.get(Branch, patient.branch_id)
    clinic = branch.name if branch is not None else "The clinic"
    for channel in CHANNELS:
        ticked = bool(getattr(patient, f"consent_{channel}"))
        if ticked != before.get(channel, False):
            _append(
                uow,
                patient,
                channel,
                "promotional",
                "granted" if ticked else "withdrawn",
                source="form",
                notice=rules.notice("promotional", channel, clinic),
                at=uow.now,
            )


def _open_blocks(session: Session, patient_id: uuid.UUID, channel: str) -> list[DoNotContact]:
    return list(
        session.scalars(
            select(DoNotContact).where(
                DoNotContact.patient_id == patient_id,
                DoNotContact.channel == channel,
                DoNotContact.lifted_at.is_(None),
            )
        )
    )


def record_consent(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    channel: str,
    *,
    granted: bool,
    purpose: str = "promotional",
    source: str = "counter",
    notice: str | None = None,
    now: datetime,
) -> ConsentEvent:
    """Grant or withdraw consent (any signed-in user: the counter records what the patient
    says; rule 2). `notice` defaults to the branch's standard notice for the purpose."""
    require(actor.role, "patient.edit")
    _check(channel, purpose, source)
    shown = (
        notice
        if notice is not None
        else rules.notice(purpose, channel, get_branch(db).details.name)
    )
    action = "granted" if granted else "withdrawn"
    with UnitOfWork(db, actor, now) as uow:
        patient = _patient(uow.session, patient_id)
        row = _append(uow, patient, channel, purpose, action, source=source, notice=shown, at=now)
        uow.audit(
            f"consent.{action}",
            "patient",
            patient.id,
            {"channel": channel, "purpose": purpose, "source": source},
        )
        uow.commit()
        return _event(row)


def set_do_not_contact(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    channel: str,
    *,
    blocked: bool,
    reason: str = "manual",
    comment: str = "",
    now: datetime,
) -> ChannelState:
    """Put a channel on do-not-contact for a patient, or lift every block on it."""
    require(actor.role, "patient.edit")
    _check(channel, "promotional", "counter")
    if reason not in DNC_REASONS:
        raise ConsentError("reason", f"The reason is one of {', '.join(DNC_REASONS)}.")
    with UnitOfWork(db, actor, now) as uow:
        patient = _patient(uow.session, patient_id)
        open_rows = _open_blocks(uow.session, patient.id, channel)
        changed = bool(open_rows) != blocked
        if blocked and changed:
            _block(uow, patient, channel, reason, clean_text(comment)[:500], now)
        elif changed:
            for row in open_rows:
                row.lifted_at = now
                uow.outbox(documents.DO_NOT_CONTACT, row.id, documents.campaign_row_json(row))
        if changed:
            uow.audit(
                "consent.do_not_contact" if blocked else "consent.contact_allowed",
                "patient",
                patient.id,
                {"channel": channel, "reason": reason if blocked else None},
            )
            uow.commit()
    return {s.channel: s for s in consent_state(db, patient_id)}[channel]


def promotional_event(session: Session, patient: Patient, channel: str) -> ConsentEvent | None:
    """The patient's promotional consent on `channel`: the latest ledger event when it
    agrees with the patient's flag (which every event here keeps in step), else the
    patient form's tick or untick, as of the patient's last change (a box ticked at
    registration is a consent given on the form); None when never given."""
    row = session.scalars(
        select(ConsentLedger)
        .where(
            ConsentLedger.patient_id == patient.id,
            ConsentLedger.channel == channel,
            ConsentLedger.purpose == "promotional",
        )
        .order_by(ConsentLedger.at.desc(), ConsentLedger.action.desc())
        .limit(1)
    ).first()
    flag = bool(getattr(patient, f"consent_{channel}"))
    if row is not None and (row.action == "granted") == flag:
        return _event(row)
    if row is None and not flag:
        return None
    return ConsentEvent(
        patient.id,
        channel,
        "promotional",
        "granted" if flag else "withdrawn",
        "The patient form's consent box.",
        "form",
        patient.updated_at,
        None,
    )


def service_action(session: Session, patient_id: uuid.UUID, channel: str) -> str | None:
    """The latest service-message consent action on `channel`, or None."""
    return session.scalar(
        select(ConsentLedger.action)
        .where(
            ConsentLedger.patient_id == patient_id,
            ConsentLedger.channel == channel,
            ConsentLedger.purpose == "service",
        )
        .order_by(ConsentLedger.at.desc(), ConsentLedger.action.desc())
        .limit(1)
    )


def consent_state(db: Database, patient_id: uuid.UUID) -> list[ChannelState]:
    """The patient's standing on each channel (for the patient page and the CLI)."""
    with db.session(write=False) as session:
        patient = session.get_one(Patient, patient_id)
        service_rows = session.scalars(
            select(ConsentLedger)
            .where(ConsentLedger.patient_id == patient_id, ConsentLedger.purpose == "service")
            .order_by(ConsentLedger.at, ConsentLedger.action)
        ).all()
        service = {row.channel: _event(row) for row in service_rows}  # the last one stays
        promotional = {c: promotional_event(session, patient, c) for c in CHANNELS}
        blocks = session.execute(
            select(DoNotContact.channel, DoNotContact.reason, DoNotContact.at)
            .where(DoNotContact.patient_id == patient_id, DoNotContact.lifted_at.is_(None))
            .order_by(DoNotContact.at)
        ).all()
    blocked = {row.channel: (row.reason, row.at) for row in blocks}
    return [
        ChannelState(
            channel,
            promotional[channel],
            service.get(channel),
            *blocked.get(channel, (None, None)),
        )
        for channel in CHANNELS
    ]


def consent_history(db: Database, patient_id: uuid.UUID) -> list[ConsentEvent]:
    """Every consent event of the patient, newest first."""
    with db.session(write=False) as session:
        rows = session.scalars(
            select(ConsentLedger)
            .where(ConsentLedger.patient_id == patient_id)
            .order_by(ConsentLedger.at.desc(), ConsentLedger.action.desc())
        ).all()
        return [_event(row) for row in rows]


# ------------------------------------------------------------------------------ replies


class ReplyImportError(ServiceError):
    """A reply file that cannot be imported; nothing of it was written."""


@dataclass(frozen=True)
class Reply:
    line: int
    received_at: datetime
    channel: str
    sender: str
    body: str
    kind: str
    provider_id: str


@dataclass(frozen=True)
class ReplyImportResult:
    """What an import did: rows read, opt-outs and opt-ins applied, plain replies kept,
    bounces, senders no patient has, and rows already imported before."""

    rows: int
    opt_outs: int
    opt_ins: int
    replies: int
    bounces: int
    unmatched: int
    already_imported: int

    def sentence(self) -> str:
        return (
            f"Read {self.rows} row(s): {self.opt_outs} opt-out(s) and {self.opt_ins} opt-in(s) "
            f"applied, {self.replies} repl(ies) kept, {self.bounces} bounce(s); "
            f"{self.unmatched} from senders no patient has; "
            f"{self.already_imported} imported before."
        )


def _bad(line: int, text: str) -> ReplyImportError:
    return ReplyImportError(f"Line {line}: {text}. Nothing was imported.")


def _instant(line: int, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _bad(
            line, f"received_at {text[:40]!r} is not a time like 2026-11-24T21:30+05:30"
        ) from None
    if moment.tzinfo is None:
        raise _bad(line, "received_at needs its offset, like +05:30")
    return moment.astimezone(UTC)


def _sender(line: int, channel: str, text: str) -> str:
    value = clean_text(text).lower()
    if channel == "email":
        if "@" not in value or len(value) > 254:
            raise _bad(line, f"sender {text[:40]!r} is not an e-mail address")
        return value
    try:
        return normalise_mobile(value)
    except PatientDetailsError:
        raise _bad(line, f"sender {text[:40]!r} is not an Indian mobile number") from None


def read_replies(source: Path) -> list[Reply]:
    """The rows of a reply export, checked in full (a bad row raises with its line)."""
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in IMPORT_COLUMNS if name not in header]
            if missing:
                raise _bad(
                    1,
                    f"the header lacks {', '.join(missing)} (it needs {', '.join(IMPORT_COLUMNS)})",
                )
            if len(set(header)) != len(header):
                raise _bad(1, "the header names a column twice")
            at = {
                name: header.index(name)
                for name in (*IMPORT_COLUMNS, *OPTIONAL_COLUMNS)
                if name in header
            }
            replies = [
                _reply(number, cells, at)
                for number, cells in enumerate(reader, start=2)
                if any(c.strip() for c in cells)
            ]
    except UnicodeDecodeError:
        raise ReplyImportError(
            "The file is not UTF-8 text; save it as 'CSV UTF-8'. Nothing was imported."
        ) from None
    except csv.Error as exc:
        raise ReplyImportError(
            f"The file is not a CSV file ({exc}). Nothing was imported."
        ) from None
    except OSError as exc:
        raise ReplyImportError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    if len(replies) > MAX_IMPORT_ROWS:
        raise ReplyImportError(
            f"The file has more than {MAX_IMPORT_ROWS:,} rows; split it. Nothing was imported."
        )
    return replies


def _reply(line: int, cells: list[str], at: dict[str, int]) -> Reply:
    def cell(name: str) -> str:
        position = at.get(name)
        return cells[position] if position is not None and position < len(cells) else ""

    if len(cells) > len(at) + 20:
        raise _bad(line, "the row has far more cells than the header")
    channel = clean_text(cell("channel")).lower()
    if channel not in CHANNELS:
        raise _bad(line, f"channel {channel[:20]!r} is not one of {', '.join(CHANNELS)}")
    kind = clean_text(cell("kind")).lower() or "reply"
    if kind not in ("reply", "bounce"):
        raise _bad(line, f"kind {kind[:20]!r} is reply or bounce")
    return Reply(
        line=line,
        received_at=_instant(line, cell("received_at")),
        channel=channel,
        sender=_sender(line, channel, cell("sender")),
        body=clean_text(cell("body"))[:MAX_BODY],
        kind=kind,
        provider_id=clean_text(cell("provider_id"))[:100],
    )


def import_replies(
    db: Database, actor: CurrentUser, source: Path, *, now: datetime
) -> ReplyImportResult:
    """Import a provider's export of replies and bounces (manager): each row kept as a
    campaign response; opt-outs withdraw consent and unsubscribe the channel at the reply's
    time, opt-ins grant it again, bounces block the channel (domain.consent rules 3 to 5).
    A row whose provider id was imported before is skipped, so a file imported twice adds
    nothing. All or nothing, in one unit of work."""
    require(actor.role, "campaign.manage")
    replies = read_replies(source)
    counts = dict.fromkeys(("opt_outs", "opt_ins", "replies", "bounces", "unmatched", "already"), 0)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        seen = _imported_ids(session, [r.provider_id for r in replies if r.provider_id])
        for reply in replies:
            if reply.provider_id and (reply.channel, reply.provider_id) in seen:
                counts["already"] += 1
                continue
            if reply.provider_id:
                seen.add((reply.channel, reply.provider_id))
            patients = _patients_of(session, reply)
            kind = ReplyKind.REPLY if reply.kind == "bounce" else rules.classify_reply(reply.body)
            response_kind = {"bounce": "bounce"}.get(
                reply.kind, "opt_out" if kind is ReplyKind.OPT_OUT else "reply"
            )
            execution = _last_execution(session, [p.id for p in patients], reply)
            response = CampaignResponse(
                id=uuid.uuid4(),
                branch_id=uow.branch_id,
                execution_id=None if execution is None else execution.id,
                patient_id=patients[0].id if len(patients) == 1 else None,
                channel=reply.channel,
                sender=reply.sender,
                body=reply.body,
                kind=response_kind,
                provider_id=reply.provider_id or None,
                received_at=reply.received_at,
            )
            session.add(response)
            session.flush()
            uow.outbox(
                documents.CAMPAIGN_RESPONSE, response.id, documents.campaign_row_json(response)
            )
            if not patients:
                counts["unmatched"] += 1
                continue
            if execution is not None and execution.status in ("sent", "delivered", "unknown"):
                execution.status = (
                    "opted_out"
                    if kind is ReplyKind.OPT_OUT
                    else ("failed" if reply.kind == "bounce" else "replied")
                )
                execution.updated_at = now
                uow.outbox(
                    documents.CAMPAIGN_EXECUTION,
                    execution.id,
                    documents.campaign_execution_json(execution),
                )
            for patient in patients:  # a family sharing the mobile: each of them
                _apply(uow, patient, reply, kind)
            key = (
                "bounces"
                if reply.kind == "bounce"
                else {ReplyKind.OPT_OUT: "opt_outs", ReplyKind.OPT_IN: "opt_ins"}.get(
                    kind, "replies"
                )
            )
            counts[key] += 1
        result = ReplyImportResult(
            len(replies),
            counts["opt_outs"],
            counts["opt_ins"],
            counts["replies"],
            counts["bounces"],
            counts["unmatched"],
            counts["already"],
        )
        uow.audit(
            "consent.import_replies", "branch", uow.branch_id, {"file": source.name, **vars(result)}
        )
        uow.commit()
    return result


def _imported_ids(session: Session, provider_ids: list[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(provider_ids), 500):
        chunk = provider_ids[start : start + 500]
        found |= {
            (row.channel, row.provider_id)
            for row in session.execute(
                select(CampaignResponse.channel, CampaignResponse.provider_id).where(
                    CampaignResponse.provider_id.in_(chunk)
                )
            )
        }
    return found


def _patients_of(session: Session, reply: Reply) -> list[Patient]:
    column = Patient.email if reply.channel == "email" else Patient.mobile
    return list(
        session.scalars(select(Patient).where(column == reply.sender, Patient.retired_at.is_(None)))
    )


def _last_execution(
    session: Session, patient_ids: Iterable[uuid.UUID], reply: Reply
) -> CampaignExecution | None:
    ids = list(patient_ids)
    if not ids:
        return None
    return session.scalars(
        select(CampaignExecution)
        .where(
            CampaignExecution.patient_id.in_(ids),
            CampaignExecution.channel == reply.channel,
            CampaignExecution.sent_at.is_not(None),
            CampaignExecution.sent_at <= reply.received_at,
        )
        .order_by(CampaignExecution.sent_at.desc())
        .limit(1)
    ).first()


def _apply(uow: UnitOfWork, patient: Patient, reply: Reply, kind: ReplyKind) -> None:
    said = f"Replied {reply.body[:60]!r} by {rules.CHANNEL_WORDS[reply.channel]}"
    if reply.kind == "bounce":
        _block(uow, patient, reply.channel, "bounced", reply.body[:200], reply.received_at)
    elif kind is ReplyKind.OPT_OUT:
        _append(
            uow,
            patient,
            reply.channel,
            "promotional",
            "withdrawn",
            source="reply",
            notice=said,
            at=reply.received_at,
        )
        _block(uow, patient, reply.channel, "unsubscribed", said, reply.received_at)
    elif kind is ReplyKind.OPT_IN:
        _append(
            uow,
            patient,
            reply.channel,
            "promotional",
            "granted",
            source="reply",
            notice=said,
            at=reply.received_at,
        )


def _block(
    uow: UnitOfWork, patient: Patient, channel: str, reason: str, comment: str, at: datetime
) -> None:
    if any(row.reason == reason for row in _open_blocks(uow.session, patient.id, channel)):
        return
    row = DoNotContact(
        id=uuid.uuid4(),
        branch_id=uow.branch_id or patient.branch_id,
        patient_id=patient.id,
        channel=channel,
        reason=reason,
        comment=comment,
        at=at,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.outbox(documents.DO_NOT_CONTACT, row.id, documents.campaign_row_json(row))
