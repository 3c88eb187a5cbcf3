"""A promo code's daily active hours, evaluated in the code's own time zone.

The window is read by the minute and includes both ends: with 06:00-09:00 Asia/Kolkata,
05:59 is refused, 06:00 and 09:00 (up to 09:00:59) are accepted, 09:01 is refused. A window
whose end is before its start crosses midnight (22:00-02:00). An instant is turned into the
zone's wall-clock time, so on the days the clocks change a window holds whenever the wall
clock shows a time inside it: a window inside the skipped spring-forward hour does not occur
that day, and one inside the repeated autumn hour holds both times round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import BadInput

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ActiveHoursError(BadInput):
    """Active hours that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_clock(text: str, field: str) -> time:
    """'06:00' -> time(6, 0); refuses anything but HH:MM on a 24-hour clock."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ActiveHoursError(field, f"'{text}' is not a time like 06:00 or 21:30")
    return time(int(match[1]), int(match[2]))


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or ActiveHoursError naming the time zone field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ActiveHoursError("timezone", f"'{name}' is not a time zone name") from exc


@dataclass(frozen=True)
class ActiveHours:
    """When in the day a code may be used; `enabled=False` means at any time."""

    enabled: bool = False
    start: time = time(0, 0)
    end: time = time(23, 59)
    timezone: str = "UTC"

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ActiveHours:
        """Read seed 001's shape: {enabled, start_time, end_time, timezone}."""
        if not data:
            return cls()
        timezone = str(data.get("timezone") or "UTC")
        zone(timezone)
        return cls(
            enabled=bool(data.get("enabled", False)),
            start=parse_clock(str(data.get("start_time", "00:00")), "start_time"),
            end=parse_clock(str(data.get("end_time", "23:59")), "end_time"),
            timezone=timezone,
        )

    def to_json(self) -> dict[str, Any]:
        """Seed 001's shape."""
        return {
            "enabled": self.enabled,
            "start_time": self.start.strftime("%H:%M"),
            "end_time": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
        }

    def local_minute(self, instant: datetime) -> time:
        """The wall-clock minute in the code's zone at `instant` (aware)."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("active hours need an aware instant")
        local = instant.astimezone(zone(self.timezone))
        return time(local.hour, local.minute)

    def allows(self, instant: datetime) -> bool:
        """True when the code may be used at `instant`."""
        if not self.enabled:
            return True
        minute = self.local_minute(instant)
        if self.start <= self.end:
            return self.start <= minute <= self.end
        return minute >= self.start or minute <= self.end

    def describe(self) -> str:
        """'06:00-09:00 Asia/Kolkata', or 'any time'."""
        if not self.enabled:
            return "any time"
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"
