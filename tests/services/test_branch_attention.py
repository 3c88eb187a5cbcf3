"""Which branches the head office should look at (services.head_office.attention) and a
branch's clock in words: plain rules over a branch's reported state, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.head_office import BranchState, attention, clock_text

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)


def state(*, pushed: timedelta | None = timedelta(minutes=5), refused=0, offset=0) -> BranchState:
    return BranchState(
        code="IND",
        branch_id=uuid.uuid4(),
        last_push_at=None if pushed is None else NOW - pushed,
        documents=10,
        pending=0,
        needs_attention=refused,
        clock_offset_s=offset,
        reported_at=NOW,
    )


@pytest.mark.parametrize(
    ("branch", "reasons"),
    [
        (state(), []),
        (state(offset=300), []),  # 5 minutes is within the tolerance
        (state(offset=-301), ["clock off"]),
        (state(pushed=None), ["never pushed"]),
        (state(pushed=timedelta(hours=23)), []),
        (state(pushed=timedelta(days=3, hours=1)), ["no push for 3 days"]),
        (state(refused=2, offset=7200), ["2 refused", "clock off"]),
    ],
)
def test_what_makes_a_branch_worth_a_look(branch, reasons):
    assert attention(branch, NOW) == reasons


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (None, "not reported"),
        (20, "on time"),
        (-600, "10 min behind"),
        (3900, "1 h 5 min ahead"),
        (-3 * 86400 - 7200, "3 days 2 h behind"),
    ],
)
def test_a_branchs_clock_in_words(offset, words):
    assert clock_text(offset) == words
