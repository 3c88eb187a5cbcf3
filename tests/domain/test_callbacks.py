"""The callback rules: score, category, SLA due times in opening hours, order, statuses."""

from datetime import UTC, datetime, time, timedelta

import pytest

from domain.callbacks import (
    ALLOWED,
    CLOSED_STATUSES,
    Action,
    CallbackSettings,
    CallbackSettingsError,
    Category,
    PatientValue,
    Reason,
    Status,
    TransitionRefused,
    category_for,
    initial_due,
    next_status,
    priority_score,
    queue_key,
    sla_due,
    validate_settings,
)
from domain.opening_hours import (
    DEFAULT_OPENING_HOURS,
    BusinessClock,
    DayHours,
    OpeningHours,
    OpeningHoursError,
    hours_from_json,
    hours_to_json,
    parse_day,
    validate_opening_hours,
)

IST = "Asia/Kolkata"
CLOCK = BusinessClock(DEFAULT_OPENING_HOURS, IST)  # Mon-Sat 10:00-20:00, Sunday closed


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, given in Bengaluru time (24 Nov 2026 is a Tuesday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=CLOCK.zone).astimezone(UTC)


# ---------------------------------------------------------------------------- the score


@pytest.mark.parametrize(
    ("reason", "value", "waited", "missed", "score", "explained"),
    [
        (Reason.COMPLAINT, None, timedelta(0), 0, 30, "complaint +30"),
        (Reason.COMPLAINT, None, timedelta(hours=3), 0, 42, "complaint +30, waiting 3 h +12"),
        (Reason.BILLING_QUESTION, None, timedelta(minutes=59), 0, 20, "billing question +20"),
        (Reason.APPOINTMENT, None, timedelta(0), 0, 15, "appointment +15"),
        (Reason.FOLLOW_UP, None, timedelta(0), 0, 15, "follow-up after treatment +15"),
        (Reason.PROMOTION_ENQUIRY, None, timedelta(0), 0, 10, "promotion enquiry +10"),
        (Reason.CAMPAIGN_RESPONSE, None, timedelta(0), 0, 5, "campaign response +5"),
        (
            Reason.PROMOTION_ENQUIRY,
            PatientValue(visits=12, spent=75_000_00),
            timedelta(0),
            0,
            30,
            "promotion enquiry +10, patient value (Rs.75,000, 12 visits) +20",
        ),
        (
            Reason.APPOINTMENT,
            PatientValue(visits=4, spent=20_000_00),
            timedelta(0),
            0,
            28,
            "appointment +15, patient value (Rs.20,000, 4 visits) +13",
        ),
        (
            Reason.APPOINTMENT,
            PatientValue(visits=1, spent=4_999_00),
            timedelta(0),
            0,
            15,
            "appointment +15",
        ),
        (
            Reason.APPOINTMENT,
            None,
            timedelta(hours=2),
            2,
            33,
            "appointment +15, waiting 2 h +8, 2 missed calls +10",
        ),
        (
            Reason.CAMPAIGN_RESPONSE,
            None,
            timedelta(hours=40),
            0,
            35,
            "campaign response +5, waiting 40 h +30",
        ),
        (
            Reason.CAMPAIGN_RESPONSE,
            None,
            timedelta(0),
            9,
            20,
            "campaign response +5, 9 missed calls +15",
        ),
        (
            Reason.COMPLAINT,
            PatientValue(visits=30, spent=1_00_000_00),
            timedelta(hours=50),
            5,
            95,
            "complaint +30, patient value (Rs.1,00,000, 30 visits) +20, waiting 50 h +30, "
            "5 missed calls +15",
        ),
    ],
)
def test_the_score_adds_up_its_parts(reason, value, waited, missed, score, explained):
    result = priority_score(reason, value, waited, missed)

    assert result.value == score
    assert result.explain() == explained
    assert sum(part.points for part in result.parts) == score
    assert result.category == category_for(score)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (100, Category.URGENT),
        (60, Category.URGENT),
        (59, Category.HIGH),
        (30, Category.HIGH),
        (29, Category.MEDIUM),
        (15, Category.MEDIUM),
        (14, Category.LOW),
        (0, Category.LOW),
    ],
)
def test_categories_follow_the_score(score, category):
    assert category_for(score) is category


def test_a_complaint_starts_high_and_turns_urgent_after_about_eight_open_hours():
    assert priority_score(Reason.COMPLAINT, None, timedelta(0), 0).category is Category.HIGH
    assert priority_score(Reason.COMPLAINT, None, timedelta(hours=7), 0).category is Category.HIGH
    assert priority_score(Reason.COMPLAINT, None, timedelta(hours=8), 0).category is (
        Category.URGENT
    )


# ---------------------------------------------------------------------------- SLA in opening hours


@pytest.mark.parametrize(
    ("requested", "category", "due", "why"),
    [
        (ist(24, 11), Category.URGENT, ist(24, 12), "inside the day"),
        (ist(24, 19, 30), Category.URGENT, ist(25, 10, 30), "across closing time"),
        (ist(24, 19), Category.URGENT, ist(24, 20), "ends exactly at closing time"),
        (ist(24, 7), Category.URGENT, ist(24, 11), "before opening: counts from opening"),
        (ist(24, 22), Category.HIGH, ist(25, 14), "after closing: counts from next opening"),
        (ist(28, 19), Category.HIGH, ist(30, 13), "Saturday evening: Sunday is closed"),
        (ist(29, 12), Category.URGENT, ist(30, 11), "made on the closed Sunday"),
        (ist(24, 11), Category.MEDIUM, ist(26, 15), "24 open hours is more than two days"),
        (ist(24, 11), Category.LOW, ist(2, 13).replace(month=12), "72 open hours, one Sunday"),
    ],
)
def test_sla_due_times_count_only_opening_hours(requested, category, due, why):
    assert sla_due(requested, category, CallbackSettings(), CLOCK) == due, why


def test_edited_slas_are_used():
    settings = CallbackSettings(
        sla_minutes={
            Category.URGENT: 30,
            Category.HIGH: 90,
            Category.MEDIUM: 600,
            Category.LOW: 601,
        }
    )
    assert sla_due(ist(24, 19, 45), Category.URGENT, settings, CLOCK) == ist(25, 10, 15)
    assert sla_due(ist(24, 11), Category.HIGH, settings, CLOCK) == ist(24, 12, 30)


def test_a_preferred_later_window_moves_the_due_time():
    later = ist(27, 17)
    assert initial_due(ist(24, 11), Category.URGENT, CallbackSettings(), CLOCK, later) == later
    earlier = ist(24, 11, 5)
    assert initial_due(ist(24, 11), Category.URGENT, CallbackSettings(), CLOCK, earlier) == ist(
        24, 12
    )


@pytest.mark.parametrize(
    ("start", "end", "open_time"),
    [
        (ist(24, 11), ist(24, 14), timedelta(hours=3)),
        (ist(24, 19), ist(25, 11), timedelta(hours=2)),
        (ist(28, 19), ist(30, 10, 30), timedelta(hours=1, minutes=30)),
        (ist(29, 9), ist(29, 21), timedelta(0)),
        (ist(24, 14), ist(24, 11), timedelta(0)),
    ],
)
def test_waiting_time_counts_only_opening_hours(start, end, open_time):
    assert CLOCK.between(start, end) == open_time


def test_opening_time_does_not_depend_on_what_the_clock_was_asked_before():
    years_ago, now = ist(24, 11) - timedelta(days=800), ist(24, 11)
    fresh = BusinessClock(DEFAULT_OPENING_HOURS, IST).between(years_ago, now)
    clock = BusinessClock(DEFAULT_OPENING_HOURS, IST)
    clock.position(now)  # a queue asks about `now` first, then about each request
    assert clock.between(years_ago, now) == fresh > timedelta(days=200)


def test_opening_time_over_a_daylight_saving_change_counts_the_hours_open():
    london = BusinessClock(DEFAULT_OPENING_HOURS, "Europe/London")
    saturday = datetime(2026, 3, 28, 12, tzinfo=london.zone)  # clocks go forward on Sunday
    assert london.between(saturday, saturday + timedelta(days=2)) == timedelta(hours=8 + 2)
    # Positions remembered per quarter hour give what a clock new to each instant gives.
    instants = [saturday + timedelta(minutes=7 * n, seconds=n) for n in range(600)]
    assert all(
        london.position(later) - london.position(earlier)
        == BusinessClock(DEFAULT_OPENING_HOURS, "Europe/London").between(earlier, later)
        for earlier, later in zip(instants, instants[5:], strict=False)
    )


def test_a_branch_with_other_hours_and_another_zone():
    hours = hours_from_json(
        {
            "mon": "09:00-13:00",
            "tue": "closed",
            "wed": "09:00-13:00",
            "thu": "closed",
            "fri": "09:00-13:00",
            "sat": "closed",
            "sun": "closed",
        }
    )
    dubai = BusinessClock(hours, "Asia/Dubai")
    start = datetime(2026, 11, 23, 12, 30, tzinfo=dubai.zone)  # Monday
    assert dubai.add(start, timedelta(hours=1)) == datetime(2026, 11, 25, 9, 30, tzinfo=dubai.zone)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("10:00-20:00", DayHours(time(10), time(20))),
        (" 09:30 - 18:00 ", DayHours(time(9, 30), time(18))),
        ("closed", None),
        ("", None),
    ],
)
def test_day_hours_are_read_from_text(text, hours):
    assert parse_day(text) == hours


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ((None,) * 7, "open on at least one day"),
        ((DayHours(time(20), time(10)), *(None,) * 6), "Monday: the branch must close after"),
        ((DayHours(time(10), time(20)),) * 6, "all seven days"),
    ],
)
def test_impossible_opening_hours_are_refused(days, message):
    with pytest.raises(OpeningHoursError, match=message):
        validate_opening_hours(OpeningHours(days))


def test_opening_hours_round_trip_through_json():
    stored = hours_to_json(DEFAULT_OPENING_HOURS)
    assert stored["mon"] == "10:00-20:00" and stored["sun"] == "closed"
    assert hours_from_json(stored) == DEFAULT_OPENING_HOURS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sla_minutes": {Category.URGENT: 0}}, "at least one minute"),
        ({"sla_minutes": {Category.URGENT: 300, Category.HIGH: 240}}, "shorter than"),
        ({"max_attempts": 0}, "between 1 and 10"),
        ({"retry_minutes": -5}, "retry delay"),
    ],
)
def test_impossible_settings_are_refused(change, message):
    settings = CallbackSettings()
    values = {
        "sla_minutes": {**settings.sla_minutes, **change.get("sla_minutes", {})},
        "max_attempts": change.get("max_attempts", settings.max_attempts),
        "retry_minutes": change.get("retry_minutes", settings.retry_minutes),
    }
    with pytest.raises(CallbackSettingsError, match=message):
        validate_settings(CallbackSettings(**values))


# ---------------------------------------------------------------------------- the queue


def test_the_queue_puts_urgent_first_then_due_time_then_request_time():
    rows = [
        ("late high", Category.HIGH, ist(24, 15), ist(24, 11)),
        ("early medium", Category.MEDIUM, ist(24, 13), ist(24, 10, 30)),
        ("urgent due later", Category.URGENT, ist(24, 18), ist(24, 10)),
        ("urgent due sooner", Category.URGENT, ist(24, 12), ist(24, 11)),
        ("same due, asked second", Category.LOW, ist(24, 13), ist(24, 10, 45)),
        ("same due, asked first", Category.LOW, ist(24, 13), ist(24, 10, 40)),
    ]

    ordered = sorted(rows, key=lambda r: queue_key(r[1], r[2], r[3], r[0]))

    assert [r[0] for r in ordered] == [
        "urgent due sooner",
        "urgent due later",
        "early medium",
        "same due, asked first",
        "same due, asked second",
        "late high",
    ]


def test_a_new_request_never_pushes_an_older_one_with_the_same_due_time_back():
    older = queue_key(Category.HIGH, ist(24, 15), ist(24, 11), "b")
    newer = queue_key(Category.HIGH, ist(24, 15), ist(24, 11, 1), "a")
    assert older < newer


# ---------------------------------------------------------------------------- statuses

ALLOWED_MOVES = [
    (Status.NEW, Action.ASSIGN, Status.ASSIGNED),
    (Status.ASSIGNED, Action.ASSIGN, Status.ASSIGNED),
    (Status.NO_ANSWER, Action.ASSIGN, Status.ASSIGNED),
    (Status.RESCHEDULED, Action.ASSIGN, Status.ASSIGNED),
    (Status.ASSIGNED, Action.START, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Action.COMPLETE, Status.COMPLETED),
    (Status.IN_PROGRESS, Action.NO_ANSWER, Status.NO_ANSWER),
    *[
        (status, Action.RESCHEDULE, Status.RESCHEDULED)
        for status in (
            Status.NEW,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.NO_ANSWER,
            Status.RESCHEDULED,
        )
    ],
    *[
        (status, Action.CANCEL, Status.CANCELLED)
        for status in (
            Status.NEW,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.NO_ANSWER,
            Status.RESCHEDULED,
        )
    ],
]


@pytest.mark.parametrize(("before", "action", "after"), ALLOWED_MOVES)
def test_allowed_transitions(before, action, after):
    assert next_status(before, action, attempts=0, max_attempts=3) is after


def test_the_table_of_allowed_moves_is_complete():
    assert {(b, a) for b, a, _ in ALLOWED_MOVES} == {
        (status, action) for action, statuses in ALLOWED.items() for status in statuses
    }


REFUSED = [
    (status, action) for status in Status for action in Action if status not in ALLOWED[action]
]


@pytest.mark.parametrize(("before", "action"), REFUSED)
def test_every_other_transition_is_refused_with_a_sentence(before, action):
    with pytest.raises(TransitionRefused) as refused:
        next_status(before, action, attempts=0, max_attempts=3)
    message = str(refused.value)
    assert message.endswith(".") and message[0].isupper()
    if before in CLOSED_STATUSES:
        assert f"already {before.label.lower()}" in message
        assert "Add a new request" in message


@pytest.mark.parametrize(
    ("action", "status", "says"),
    [
        (Action.START, Status.NEW, "Assign this callback to someone before starting"),
        (Action.COMPLETE, Status.ASSIGNED, "start the call before recording how it went"),
        (Action.NO_ANSWER, Status.NO_ANSWER, "start the call before recording"),
        (Action.START, Status.IN_PROGRESS, "already in progress; record how it went"),
    ],
)
def test_refusals_say_what_to_do(action, status, says):
    with pytest.raises(TransitionRefused, match=says):
        next_status(status, action, attempts=0, max_attempts=3)


@pytest.mark.parametrize(
    ("attempts_before", "max_attempts", "after"),
    [
        (0, 3, Status.NO_ANSWER),
        (1, 3, Status.NO_ANSWER),
        (2, 3, Status.UNREACHABLE),
        (0, 1, Status.UNREACHABLE),
        (3, 5, Status.NO_ANSWER),
    ],
)
def test_the_last_allowed_unanswered_call_closes_the_request(attempts_before, max_attempts, after):
    result = next_status(
        Status.IN_PROGRESS, Action.NO_ANSWER, attempts=attempts_before, max_attempts=max_attempts
    )
    assert result is after
