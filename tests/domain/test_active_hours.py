"""Seed 001's boundary checklist for active hours, and the days the clocks change."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.active_hours import ActiveHours, ActiveHoursError

IST = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
MORNING = ActiveHours(True, time(6, 0), time(9, 0), "Asia/Kolkata")


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        (time(5, 59), False),
        (time(5, 59, 59), False),
        (time(6, 0), True),
        (time(9, 0), True),
        (time(9, 0, 59), True),
        (time(9, 1), False),
    ],
)
def test_the_four_boundary_times_in_kolkata(local, allowed):
    instant = datetime(2026, 3, 12, local.hour, local.minute, local.second, tzinfo=IST)
    assert MORNING.allows(instant) is allowed


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        (datetime(2026, 3, 12, 0, 29, tzinfo=UTC), False),  # 05:59 IST
        (datetime(2026, 3, 12, 0, 30, tzinfo=UTC), True),  # 06:00 IST
        (datetime(2026, 3, 12, 3, 30, tzinfo=UTC), True),  # 09:00 IST
        (datetime(2026, 3, 12, 3, 31, tzinfo=UTC), False),  # 09:01 IST
        (datetime(2026, 3, 12, 6, 30, tzinfo=UTC), False),  # 06:30 UTC is 12:00 IST
    ],
)
def test_an_instant_in_utc_is_judged_on_the_codes_ist_clock(utc, allowed):
    assert MORNING.allows(utc) is allowed


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(21, 59, False), (22, 0, True), (23, 59, True), (0, 0, True), (2, 0, True), (2, 1, False)],
)
def test_a_window_across_midnight(hour, minute, allowed):
    night = ActiveHours(True, time(22, 0), time(2, 0), "Asia/Kolkata")
    assert night.allows(datetime(2026, 3, 12, hour, minute, tzinfo=IST)) is allowed


def test_hours_off_allow_any_time():
    anytime = ActiveHours()
    assert all(
        anytime.allows(datetime(2026, 3, 12, tzinfo=UTC) + timedelta(minutes=m))
        for m in range(0, 1440, 7)
    )


def test_spring_forward_skips_a_window_inside_the_missing_hour():
    # 8 March 2026: New York clocks jump from 02:00 to 03:00.
    early = ActiveHours(True, time(2, 0), time(2, 30), "America/New_York")
    day = [datetime(2026, 3, 8, 5, 0, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 240)]
    assert not any(early.allows(instant) for instant in day)
    breakfast = ActiveHours(True, time(6, 0), time(9, 0), "America/New_York")
    assert breakfast.allows(datetime(2026, 3, 8, 6, 0, tzinfo=NEW_YORK))
    assert breakfast.allows(datetime(2026, 3, 8, 10, 0, tzinfo=UTC))  # 06:00 EDT
    assert not breakfast.allows(datetime(2026, 3, 8, 13, 1, tzinfo=UTC))  # 09:01 EDT


def test_fall_back_repeats_a_window_inside_the_doubled_hour():
    # 1 November 2026: New York clocks go back from 02:00 to 01:00.
    late = ActiveHours(True, time(1, 0), time(1, 30), "America/New_York")
    allowed = [
        instant
        for instant in (
            datetime(2026, 11, 1, 4, 0, tzinfo=UTC) + timedelta(minutes=m) for m in range(180)
        )
        if late.allows(instant)
    ]
    assert len(allowed) == 62  # 01:00-01:30 twice, both ends included
    assert (allowed[-1] - allowed[0]) == timedelta(hours=1, minutes=30)


def test_seed_shape_reads_and_writes_back():
    data = {"enabled": True, "start_time": "06:00", "end_time": "09:00", "timezone": "Asia/Kolkata"}
    assert ActiveHours.from_json(data) == MORNING
    assert MORNING.to_json() == data
    assert MORNING.describe() == "06:00-09:00 Asia/Kolkata"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"enabled": True, "start_time": "6am", "end_time": "09:00", "timezone": "UTC"},
            "start_time",
        ),
        (
            {"enabled": True, "start_time": "06:00", "end_time": "24:00", "timezone": "UTC"},
            "end_time",
        ),
        (
            {
                "enabled": True,
                "start_time": "06:00",
                "end_time": "09:00",
                "timezone": "Asia/Nowhere",
            },
            "timezone",
        ),
    ],
)
def test_bad_hours_name_their_field(data, field):
    with pytest.raises(ActiveHoursError) as caught:
        ActiveHours.from_json(data)
    assert caught.value.field == field


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError):
        MORNING.allows(datetime(2026, 3, 12, 7, 0))  # noqa: DTZ001
