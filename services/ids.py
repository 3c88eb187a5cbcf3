"""Rows named by their id as a person types it: whole, or its first characters (as the
lists print them)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from db.engine import Database
from services.errors import NotFound

# The fewest characters of an id that name a row.
SHORTEST = 6


def resolve_id(
    db: Database, column: InstrumentedAttribute[uuid.UUID], text: str, *, what: str, hint: str
) -> uuid.UUID:
    """The id in `column` that `text` names (whole, or at least its first six characters,
    dashes ignored). `what` is the row's name ("callback"), `hint` where ids are listed."""
    key = text.strip().lower().replace("-", "")
    if len(key) == 32:
        try:
            return uuid.UUID(key)
        except ValueError:
            pass
    if len(key) < SHORTEST or any(c not in "0123456789abcdef" for c in key):
        raise NotFound(f"'{text}' is not a {what} id; copy it from {hint}.")
    with db.session(write=False) as session:
        matches = [i for i in session.scalars(select(column)) if i.hex.startswith(key)]
    if len(matches) != 1:
        raise NotFound(
            f"No {what} id starts with '{key}'."
            if not matches
            else f"{len(matches)} {what}s start with '{key}'; give more of the id."
        )
    return matches[0]
