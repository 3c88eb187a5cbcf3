"""A branch's opening hours, and time counted only while it is open.

Callback SLAs run in opening hours: a request made at 19:30 with one hour to go, in a
branch that closes at 20:00 and opens at 10:00, is due at 10:30 the next open day. The
hours are local wall-clock times in the branch's time zone; a day may be closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import BadInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# No SLA reaches this far; a schedule that finds no open time within it is broken.
_MAX_DAYS = 3660
# Opening "time" of a closed day: never reached, so its position stays where the day began.
_NEVER = datetime.max.replace(tzinfo=UTC)


class OpeningHoursError(BadInput):
    """Opening hours that cannot be saved; the message says what to fix and `field` names
    the day ("hours_mon".."hours_sun"), or is "hours" for the week as a whole."""

    def __init__(self, message: str, field: str = "hours") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DayHours:
    """One weekday's hours: open from `opens` until `closes` (local time, same day)."""

    opens: time
    closes: time


@dataclass(frozen=True)
class OpeningHours:
    """Hours for Monday..Sunday (index 0..6); None is a closed day."""

    days: tuple[DayHours | None, ...]

    def for_weekday(self, weekday: int) -> DayHours | None:
        return self.days[weekday]


DEFAULT_OPENING_HOURS = OpeningHours(
    days=(*(DayHours(time(10), time(20)) for _ in range(6)), None),
)


def _parse_time(text: str, day: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise OpeningHoursError(f"{day}: '{text}' is not a time like 10:00") from exc


def parse_day(text: str, day: str = "That day") -> DayHours | None:
    """'10:00-20:00' -> DayHours; 'closed' (or empty) -> None."""
    value = text.strip().lower()
    if value in ("", "closed", "-"):
        return None
    opens, sep, closes = value.partition("-")
    if not sep:
        raise OpeningHoursError(f"{day}: write the hours as 10:00-20:00, or 'closed'")
    return DayHours(_parse_time(opens, day), _parse_time(closes, day))


def format_day(hours: DayHours | None) -> str:
    """DayHours -> '10:00-20:00'; None -> 'closed'."""
    if hours is None:
        return "closed"
    return f"{hours.opens:%H:%M}-{hours.closes:%H:%M}"


def validate_opening_hours(hours: OpeningHours) -> OpeningHours:
    """Seven days, each closing after it opens, and at least one open day."""
    if len(hours.days) != 7:
        raise OpeningHoursError("Give hours for all seven days, Monday to Sunday")
    for key, name, day in zip(WEEKDAYS, WEEKDAY_NAMES, hours.days, strict=True):
        if day is not None and day.closes <= day.opens:
            raise OpeningHoursError(
                f"{name}: the branch must close after it opens ({format_day(day)})", f"hours_{key}"
            )
    if all(day is None for day in hours.days):
        raise OpeningHoursError("The branch must be open on at least one day of the week")
    return hours


def hours_to_json(hours: OpeningHours) -> dict[str, str]:
    """{'mon': '10:00-20:00', ..., 'sun': 'closed'}, as stored in the settings."""
    return {key: format_day(day) for key, day in zip(WEEKDAYS, hours.days, strict=True)}


def hours_from_json(data: dict[str, str]) -> OpeningHours:
    """The inverse of hours_to_json; a missing day is closed."""
    return validate_opening_hours(
        OpeningHours(
            tuple(
                parse_day(data.get(key, "closed"), name)
                for key, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)
            )
        )
    )


class BusinessClock:
    """Counts time while a branch is open, in its time zone.

    Each local day's open interval is worked out once (as UTC instants, so a daylight
    saving change is respected) and kept, so counting over thousands of requests stays fast.
    """

    def __init__(self, hours: OpeningHours, timezone: str) -> None:
        self.hours = validate_opening_hours(hours)
        self.zone = ZoneInfo(timezone)
        self._intervals: dict[date, tuple[datetime, datetime] | None] = {}
        self._dates: dict[int, date] = {}
        self._first: date = date.max
        self._last: date = date.min
        self._totals: dict[date, timedelta] = {}
        self._quarters: dict[int, tuple[datetime, datetime, timedelta, timedelta]] = {}

    def interval(self, day: date) -> tuple[datetime, datetime] | None:
        """When the branch is open on local date `day` (UTC instants), or None if closed."""
        if day not in self._intervals:
            hours = self.hours.for_weekday(day.weekday())
            self._intervals[day] = (
                None
                if hours is None
                else (
                    datetime.combine(day, hours.opens, self.zone).astimezone(UTC),
                    datetime.combine(day, hours.closes, self.zone).astimezone(UTC),
                )
            )
        return self._intervals[day]

    def local_date(self, instant: datetime) -> date:
        # Zone offsets and their changes fall on quarter hours, so the local date is the same
        # all through a quarter hour: remember it per quarter (converting is the slow part).
        quarter = int(instant.timestamp() // 900)
        day = self._dates.get(quarter)
        if day is None:
            day = self._dates[quarter] = instant.astimezone(self.zone).date()
        return day

    def is_open(self, instant: datetime) -> bool:
        span = self.interval(self.local_date(instant))
        return span is not None and span[0] <= instant < span[1]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of opening time after `start` (counting starts at the next
        opening when `start` is outside the hours). Ends exactly at closing time when the
        duration runs out then."""
        remaining = duration
        day = self.local_date(start)
        for _ in range(_MAX_DAYS):
            span = self.interval(day)
            if span is not None:
                begin = max(start, span[0])
                if begin < span[1]:
                    available = span[1] - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise OpeningHoursError("No opening time within ten years; check the opening hours")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Opening time from `start` to `end` (zero when `end` is not after `start`)."""
        if end <= start:
            return timedelta(0)
        return self.position(end) - self.position(start)

    def position(self, instant: datetime) -> timedelta:
        """Opening time from a fixed origin up to `instant`: the difference of two positions
        is the opening time between them (for many requests against one `now`)."""
        # Everything but the instant itself is the same all through a quarter hour (see
        # local_date): the day's opening, closing and positions there, worked out once.
        quarter = int(instant.timestamp() // 900)
        spot = self._quarters.get(quarter)
        if spot is None:
            spot = self._quarters[quarter] = self._spot(instant)
        opens, closes, at_opening, at_closing = spot
        if instant <= opens:
            return at_opening
        if instant >= closes:
            return at_closing
        return at_opening + (instant - opens)

    def _spot(self, instant: datetime) -> tuple[datetime, datetime, timedelta, timedelta]:
        day = self.local_date(instant)
        before = self._open_before(day)
        span = self.interval(day)
        if span is None:
            return _NEVER, _NEVER, before, before
        return span[0], span[1], before, before + (span[1] - span[0])

    def _open_before(self, day: date) -> timedelta:
        # A running total of opening time per day, from the first day asked about (the
        # origin of every position, so it never moves), extended a day at a time either way
        # as other days are asked about: a queue of thousands adds up each day once.
        if not self._totals:
            self._first = self._last = day
            self._totals = {day: timedelta(0)}
        while self._first > day:
            before = self._first - timedelta(days=1)
            span = self.interval(before)
            total = self._totals[self._first] - (span[1] - span[0] if span else timedelta(0))
            self._first = before
            self._totals[before] = total
        while self._last < day:
            span = self.interval(self._last)
            total = self._totals[self._last] + (span[1] - span[0] if span else timedelta(0))
            self._last += timedelta(days=1)
            self._totals[self._last] = total
        return self._totals[day]
