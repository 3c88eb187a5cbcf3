"""The audit log's hash chain: each entry carries a SHA-256 over its content and the previous
entry's hash, so an entry altered, removed or slipped in breaks the chain at that entry.

One chain per database (an installation is one branch's file), in `seq` order: 1, 2, 3...
The first entry's previous hash is GENESIS. An entry's hash is

    sha256(prev_hash + "\\n" + canonical(entry))

where `canonical` is compact JSON with sorted keys (UTF-8, not ASCII-escaped) of the entry's
seq, id, instant (UTC, ISO 8601 with microseconds), branch, user, action, entity type and id,
and details (every number that is not an integer as a normalised decimal string, so a
float and a Decimal read of the same JSON hash alike).
Removing the newest entries leaves a shorter chain that still verifies: the count a verify
reports (and, later, the chain the centre holds) is what shows a truncation.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """An audit entry as the chain sees it."""

    seq: int
    id: uuid.UUID
    at: datetime
    branch_id: uuid.UUID | None
    user_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any] | None


def _plain(value: object) -> object:
    """Details with every non-integer number as a normalised decimal string: a driver that
    reads JSON numbers as floats and one that reads them as Decimal hash the same."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


def canonical(entry: AuditEntry) -> str:
    """The entry's content as one canonical string (see the module's docstring)."""
    if entry.at.tzinfo is None:
        raise ValueError("An audit entry needs an aware instant.")
    document = {
        "seq": entry.seq,
        "id": str(entry.id),
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "branch_id": None if entry.branch_id is None else str(entry.branch_id),
        "user_id": None if entry.user_id is None else str(entry.user_id),
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "details": _plain(entry.details),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash an entry carries, given the hash of the entry before it."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(entry)}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold, and why."""

    seq: int
    id: uuid.UUID
    at: datetime
    action: str
    reason: str


def first_break(rows: list[tuple[AuditEntry, str, str]]) -> Break | None:
    """Walk (entry, prev_hash, row_hash) in seq order; the first entry that breaks the chain."""
    expected_prev, expected_seq = GENESIS, 1
    for entry, prev_hash, row_hash in rows:
        reason = None
        if entry.seq != expected_seq:
            reason = f"entry number {expected_seq} is missing"
        elif prev_hash != expected_prev:
            reason = "it does not follow the entry before it (one was removed or changed)"
        elif row_hash != entry_hash(prev_hash, entry):
            reason = "its content was changed after it was written"
        if reason is not None:
            return Break(entry.seq, entry.id, entry.at, entry.action, reason)
        expected_prev, expected_seq = row_hash, entry.seq + 1
    return None
