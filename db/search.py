"""Patient type-ahead over the FTS5 index that migration 0002 builds with sqlite-utils."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from sqlalchemy import text as sa_text
from sqlalchemy.orm import Session

_TOKEN = re.compile(r"[0-9A-Za-z\u0080-\uffff]+")


def fts_prefix_query(text: str) -> str | None:
    """'meera 9845' -> '"meera"* "9845"*' (every word a prefix); None when nothing to search."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    return " ".join(f'"{token}"*' for token in tokens)


def _sqlite(session: Session) -> Any:
    # Imported here: sqlite-utils pulls in numpy, which the app's start-up does not need.
    import sqlite_utils

    raw = session.connection().connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return sqlite_utils.Database(raw)


# Ranking sorts every match; below this many characters a word matches too many patients
# for the order to mean anything, so the first matches in index order are shown instead.
RANK_FROM_CHARS = 3

_SEARCH = """
SELECT patients.id, patients.name, patients.mobile
FROM patients_fts JOIN patients ON patients.rowid = patients_fts.rowid
WHERE patients_fts MATCH :query AND patients.retired_at IS NULL
{order}
LIMIT :limit
"""


def search_patients(session: Session, text: str, limit: int) -> list[dict[str, Any]]:
    """Rows of active patients whose name or mobile words start with every typed word;
    best matches first once every word is long enough to rank."""
    query = fts_prefix_query(text)
    if query is None:
        return []
    ranked = min(len(token) for token in _TOKEN.findall(text)) >= RANK_FROM_CHARS
    sql = _SEARCH.format(order="ORDER BY patients_fts.rank" if ranked else "")
    rows = session.execute(sa_text(sql), {"query": query, "limit": limit}).mappings()
    return [dict(row) for row in rows]


def rebuild_patient_index(session: Session) -> None:
    """Rebuild the index from the patients table (needed after a VACUUM changes rowids)."""
    _sqlite(session).table("patients").rebuild_fts()
