"""The unit of work: one write transaction, with its audit and outbox rows inside it.

Every service that writes does it this way (cosmicpython's pattern: roll back unless the
block said commit):

    with UnitOfWork(db, actor, now) as uow:
        ...                                  # reads and writes through uow.session
        uow.audit("invoice.save", "invoice", invoice.id, {...})
        uow.outbox(documents.INVOICE, invoice.id, documents.invoice_json(document))
        uow.commit()

The transaction starts with BEGIN IMMEDIATE (two counters queue on the write lock rather
than failing half-way). The audit entries and outbox documents are written at `commit`, in
that same transaction, after everything else the block wrote: either all of it is saved or
none of it. Each audit entry is chained to the one before it (domain.audit_chain): the
last entry's hash is read inside the write lock BEGIN IMMEDIATE holds, so two desks never
chain onto the same entry. A block that leaves without `commit` (a refusal raised, a return forgotten)
writes nothing. A service that sends a document twice in one unit (a request assigned,
then started) queues the last version once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, SessionTransaction

from db.engine import Database, json_dumps, json_loads
from db.fast_insert import insert_rows
from db.fast_select import fetch_one, stamp_reads
from db.models import AuditLog, SyncOutbox, User
from domain.audit_chain import GENESIS, AuditEntry, entry_hash
from domain.roles import PermissionDenied

if TYPE_CHECKING:
    from services.auth import CurrentUser

DOC_VERSION = 1

# Rows per INSERT when many documents are queued at once (a history import's new patients).
CHUNK = 5_000


class UnitOfWork:
    """One write transaction for `actor` at `now`; see the module's docstring.

    `actor` is None only while a database is being set up (there is nobody to sign in yet);
    `branch_id` then names the branch the audit entries belong to.

    `connection`, when given, is the one to write on (a history import publishes the rows
    it staged in that connection's TEMP tables); it is then used as a desk's write session
    would be: BEGIN IMMEDIATE, in the write queue.

    `recorded_at` is the real clock when `now` is not (an admin dating a record otherwise,
    issue #13): the audit entries then carry the real time, and the date given in their
    details as "dated". The documents themselves are written at `now`.
    """

    session: Session

    def __init__(
        self,
        db: Database,
        actor: CurrentUser | None,
        now: datetime,
        *,
        branch_id: uuid.UUID | None = None,
        recorded_at: datetime | None = None,
        connection: Connection | None = None,
    ) -> None:
        if now.tzinfo is None or (recorded_at is not None and recorded_at.tzinfo is None):
            raise ValueError("A unit of work needs an aware instant.")
        self._recorded_at = recorded_at
        self._connection = connection
        self._db = db
        self.actor = actor
        self.now = now
        self.branch_id = branch_id if branch_id is not None else getattr(actor, "branch_id", None)
        self._audits: list[dict[str, Any]] = []
        self._documents: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        self._transaction: SessionTransaction | None = None
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        if self._connection is None:
            self.session = self._db.session(write=True)
        else:
            bind = self._connection.execution_options(
                sqlite_begin="IMMEDIATE", write_queue=self._db.write_queue
            )
            self.session = Session(bind=bind, expire_on_commit=False)
        self._transaction = self.session.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self._transaction is not None:
                self._transaction.rollback()
        finally:
            self.session.close()

    # ------------------------------------------------------------------------ recording

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: object | None = None,
        details: dict[str, Any] | None = None,
        *,
        branch_id: uuid.UUID | None = None,
    ) -> None:
        """Who did what, when (the real time, see `recorded_at`): written at commit, in this
        transaction."""
        if self._recorded_at is not None and self._recorded_at != self.now:
            details = {**(details or {}), "dated": self.now.isoformat()}
        self._audits.append(
            {
                "id": uuid.uuid4(),
                "at": self.now if self._recorded_at is None else self._recorded_at,
                "user_id": None if self.actor is None else self.actor.id,
                "branch_id": branch_id if branch_id is not None else self.branch_id,
                "action": action,
                "entity_type": entity_type,
                "entity_id": None if entity_id is None else str(entity_id),
                "details": details,
            }
        )

    def outbox(self, doc_type: str, doc_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """Queue the whole document for the centre (its payload from services.documents);
        written at commit, in this transaction, in the order first queued."""
        self._documents[(doc_type, doc_id)] = payload

    def outbox_many(self, documents: list[tuple[str, uuid.UUID, dict[str, Any]]]) -> None:
        """Queue many documents at once, as `outbox` does for one."""
        for doc_type, doc_id, payload in documents:
            self._documents[(doc_type, doc_id)] = payload

    def actor_changed(self, actor: CurrentUser) -> None:
        """This unit changes its own actor (an admin giving themselves another role):
        `actor` as they are after it, for the check at commit."""
        self.actor = actor

    # ------------------------------------------------------------------------ ending

    def _chained(self, session: Session) -> list[dict[str, Any]]:
        """The audit entries with their place in the chain: seq, prev_hash, row_hash."""
        last = fetch_one(session, _CHAIN_TAIL)
        seq, prev = (0, GENESIS) if last is None else (last.seq, last.row_hash)
        rows = []
        for audit in self._audits:
            seq += 1
            # Hash the details as they will read back (amounts as exact strings).
            details = audit["details"]
            if details is not None and not _reads_back_as_is(details):
                details = json_loads(json_dumps(details))
            row = {**audit, "details": details, "seq": seq, "prev_hash": prev}
            row["row_hash"] = prev = entry_hash(
                prev, AuditEntry(**audit | {"details": details, "seq": seq})
            )
            rows.append(row)
        return rows

    def commit(self) -> None:
        """Write the audit entries and outbox documents, then commit everything."""
        if self._transaction is None:
            raise RuntimeError("commit() outside the unit of work's block")
        if self._committed:
            raise RuntimeError("This unit of work is already committed.")
        session = self.session
        if self.actor is not None:
            _still_on_the_staff(session, self.actor)
        if self._documents:
            rows = [
                {
                    "doc_type": doc_type,
                    "doc_id": doc_id,
                    "doc_version": DOC_VERSION,
                    "payload": payload,
                    "created_at": self.now,
                    "attempts": 0,
                }
                for (doc_type, doc_id), payload in self._documents.items()
            ]
            for start in range(0, len(rows), CHUNK):
                insert_rows(session, SyncOutbox.__table__, rows[start : start + CHUNK])
        if self._audits:
            insert_rows(session, AuditLog.__table__, self._chained(session))
        kept = stamp_reads(session)  # what db.fast_select.remember_reads kept
        self._transaction.commit()
        kept()
        self._committed = True


def _reads_back_as_is(value: Any) -> bool:
    """Whether JSON gives `value` back equal and of the same types: text, whole numbers,
    booleans, None, and lists and text-keyed dicts of them (no Decimal, float, tuple,
    UUID or date, which come back as something else)."""
    if value is None or isinstance(value, str | int):
        return True
    if isinstance(value, list):
        return all(_reads_back_as_is(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _reads_back_as_is(item) for key, item in value.items())
    return False


# Asked at every commit, so built once (an expression costs more to build than to run).
_CHAIN_TAIL = select(AuditLog.seq, AuditLog.row_hash).order_by(AuditLog.seq.desc()).limit(1)
_ROLE_NOW = select(User.role).where(
    User.id == bindparam("user"), User.is_active, User.retired_at.is_(None)
)


def _still_on_the_staff(session: Session, actor: CurrentUser) -> None:
    """A user retired at another desk since signing in saves nothing more (issue #13), nor
    one whose role was changed there (a manager made front desk keeps no manager's rights
    until signing out). It runs inside the write lock, so no change slips in between check
    and commit. A unit changing its own actor's role says so (UnitOfWork.actor_changed)."""
    row = fetch_one(session, _ROLE_NOW, {"user": actor.id})
    role = None if row is None else row.role
    if role is None:
        raise PermissionDenied(
            f"{actor.full_name} is no longer on the staff, so nothing was saved; "
            "ask someone who is to sign in."
        )
    if role != actor.role.value:
        raise PermissionDenied(
            f"{actor.full_name}'s role was changed at another desk since signing in, so "
            "nothing was saved; sign out and in again."
        )
