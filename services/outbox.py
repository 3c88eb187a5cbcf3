"""Appending documents to the sync outbox, inside the transaction that wrote them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import SyncOutbox

DOC_VERSION = 1

# Documents per INSERT when many are queued at once (a history import's new patients).
CHUNK = 5_000


def append(
    session: Session, *, doc_type: str, doc_id: uuid.UUID, payload: dict[str, Any], now: datetime
) -> None:
    """Queue one whole document (versioned JSON, keyed by its UUID) for the centre; the
    row is inserted at once, in order, within the caller's transaction."""
    append_many(session, [(doc_type, doc_id, payload)], now=now)


def append_many(
    session: Session,
    documents: Iterable[tuple[str, uuid.UUID, dict[str, Any]]],
    *,
    now: datetime,
) -> None:
    """Queue (doc_type, doc_id, payload) documents in the order given, as `append` does."""
    rows: list[dict[str, Any]] = []
    for doc_type, doc_id, payload in documents:
        rows.append(
            {
                "doc_type": doc_type,
                "doc_id": doc_id,
                "doc_version": DOC_VERSION,
                "payload": payload,
                "created_at": now,
                "attempts": 0,
            }
        )
        if len(rows) == CHUNK:
            session.execute(insert(SyncOutbox), rows)
            rows = []
    if rows:
        session.execute(insert(SyncOutbox), rows)
