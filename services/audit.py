"""Checking the audit log's hash chain (domain.audit_chain): is every entry as it was written?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from db.engine import Database
from db.models import AuditLog
from domain.audit_chain import AuditEntry, Break, first_break
from domain.permissions import require
from services.auth import CurrentUser


@dataclass(frozen=True)
class AuditCheck:
    """How many entries were checked and the first that breaks the chain (None: intact)."""

    entries: int
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def sentence(self) -> str:
        """The result in plain words."""
        if self.broken is None:
            return f"The audit log is intact: all {self.entries} entries are as they were written."
        b = self.broken
        return (
            f"The audit log was tampered with at entry {b.seq} (id {b.id}, "
            f"{b.at.isoformat(timespec='seconds')}, {b.action}): {b.reason}."
        )


def verify_audit(db: Database, actor: CurrentUser) -> AuditCheck:
    """Walk the whole chain in order (an admin's check)."""
    require(actor.role, "audit.verify")
    with db.session(write=False) as session:
        rows = [
            (
                AuditEntry(
                    row.seq,
                    row.id,
                    row.at,
                    row.branch_id,
                    row.user_id,
                    row.action,
                    row.entity_type,
                    row.entity_id,
                    row.details,
                ),
                row.prev_hash,
                row.row_hash,
            )
            for row in session.scalars(select(AuditLog).order_by(AuditLog.seq))
        ]
    return AuditCheck(len(rows), first_break(rows))
