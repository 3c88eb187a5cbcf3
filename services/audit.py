"""Writing the audit log: who did what, when. Called inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import AuditLog


def record(
    session: Session,
    *,
    at: datetime,
    user_id: uuid.UUID | None,
    branch_id: uuid.UUID | None,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry in the session's open transaction (an INSERT, not a pending
    object: the entry is never read back, and the unit of work's bookkeeping costs more
    than the write on the counter's save path)."""
    session.execute(
        insert(AuditLog),
        [
            {
                "id": uuid.uuid4(),
                "at": at,
                "user_id": user_id,
                "branch_id": branch_id,
                "action": action,
                "entity_type": entity_type,
                "entity_id": None if entity_id is None else str(entity_id),
                "details": details,
            }
        ],
    )
