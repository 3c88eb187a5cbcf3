"""Appending documents to the sync outbox, inside the transaction that wrote them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import SyncOutbox

DOC_VERSION = 1


def append(
    session: Session, *, doc_type: str, doc_id: uuid.UUID, payload: dict[str, Any], now: datetime
) -> None:
    """Queue one whole document (versioned JSON, keyed by its UUID) for the centre; the
    row is inserted at once, in order, within the caller's transaction."""
    session.execute(
        insert(SyncOutbox),
        [
            {
                "doc_type": doc_type,
                "doc_id": doc_id,
                "doc_version": DOC_VERSION,
                "payload": payload,
                "created_at": now,
                "attempts": 0,
            }
        ],
    )
