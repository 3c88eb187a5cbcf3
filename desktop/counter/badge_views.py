"""How long the counter showed each sponsored badge, and when a showing is recorded
(issue #17; domain.sponsor_billing rule 10 says what makes one billable).

The rules, as the counter meets them:

1. A sponsored badge is on show from the quote that puts it on a cart line until the quote
   that takes it off, or until the cart is emptied, saved or dropped (`show` with what is
   on show now; `clear` when the invoice is done).
2. Only time with the window focused counts: each `tick(focused)` (and each `show`) adds
   the time since the last one if the window had the focus then, and notes whether it has
   it now.
3. A showing is recorded once: as soon as it has been seen for `VIEWABLE_MS` (viewable), or,
   when it leaves sooner, as it leaves, with how long it was seen (not viewable: never
   billed, but counted, so a badge flashed past a patient is on record as such).
4. The viewer is the patient, or for a cart without one yet the cart itself: a key of its
   own until the invoice is done. Each (badge, viewer) is recorded viewable at most once a
   cart (a flash before does not stop it); that the same patient is billed once a day is
   the service's rule, not this object's.

The object holds no widget and no database: the panel hands it `record`, which runs the
service in the background, and a clock; tests call `tick` with a clock of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.sponsor_billing import VIEWABLE_MS

# record(promotion_id, viewer_key, shown_ms)
Record = Callable[[uuid.UUID, str, int], object]


@dataclass
class _Showing:
    since: datetime  # the last moment its time was counted up to
    seen_ms: int = 0


class BadgeViews:
    """The sponsored badges on show at the counter, timed while the window has the focus."""

    def __init__(self, record: Record, clock: Callable[[], datetime]) -> None:
        self._record = record
        self._clock = clock
        self._showing: dict[tuple[uuid.UUID, str], _Showing] = {}
        self._done: set[tuple[uuid.UUID, str]] = set()
        self._recorded: set[uuid.UUID] = set()
        self._focused = True
        self._cart_key = f"cart:{uuid.uuid4()}"

    @property
    def cart_key(self) -> str:
        """The viewer of a cart with no patient yet (rule 4)."""
        return self._cart_key

    def viewer(self, patient_id: uuid.UUID | None) -> str:
        """Rule 4: the patient, or this cart."""
        return str(patient_id) if patient_id is not None else self._cart_key

    def on_show(self) -> int:
        """How many badges are being timed (the panel ticks only while there are some)."""
        return len(self._showing)

    def is_showing(self, promotion_id: uuid.UUID, viewer: str) -> bool:
        """This badge is on show to `viewer` and not recorded yet (rule 3)."""
        return (promotion_id, viewer) in self._showing

    def shown_promotions(self) -> set[uuid.UUID]:
        """The sponsored badges this cart has shown, on show now or recorded."""
        return self._recorded | {pid for pid, _viewer in self._showing}

    def show(self, promotion_ids: Iterable[uuid.UUID], viewer: str, *, focused: bool) -> None:
        """Rule 1: these sponsored badges are on show now, to `viewer`; any other leaves."""
        self.tick(focused)
        now = self._clock()
        wanted = {(pid, viewer) for pid in promotion_ids} - self._done
        for key in list(self._showing):
            if key not in wanted:
                self._leave(key, now)
        for key in wanted:
            self._showing.setdefault(key, _Showing(now))

    def tick(self, focused: bool) -> None:
        """Rules 2 and 3: count the time since the last tick if the window had the focus,
        record each badge seen long enough, and note whether the window has it now."""
        now = self._clock()
        for key in list(self._showing):
            self._count(key, now)
            if self._showing[key].seen_ms >= VIEWABLE_MS:
                self._finish(key)
        self._focused = focused

    def clear(self) -> None:
        """The invoice is done: what is on show leaves (rule 3) and the next cart is a new
        viewer (rule 4)."""
        now = self._clock()
        for key in list(self._showing):
            self._leave(key, now)
        self._done.clear()
        self._recorded.clear()
        self._cart_key = f"cart:{uuid.uuid4()}"

    def _count(self, key: tuple[uuid.UUID, str], now: datetime) -> None:
        showing = self._showing[key]
        if self._focused and now > showing.since:
            showing.seen_ms += int((now - showing.since).total_seconds() * 1000)
        showing.since = max(now, showing.since)

    def _leave(self, key: tuple[uuid.UUID, str], now: datetime) -> None:
        self._count(key, now)
        self._finish(key)

    def _finish(self, key: tuple[uuid.UUID, str]) -> None:
        showing = self._showing.pop(key)
        if showing.seen_ms >= VIEWABLE_MS:
            self._done.add(key)  # a flash does not stop a later, longer showing counting
        self._recorded.add(key[0])
        promotion_id, viewer = key
        self._record(promotion_id, viewer, showing.seen_ms)
