"""The send gate's rules (domain.send_gate), one table row per case, and a property of the
promotional window: a held message always waits for the window's next opening."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.send_gate import (
    INDIA,
    TRAI_WINDOW,
    Candidate,
    Outcome,
    SendingRules,
    check,
    window_opens,
)

IST = ZoneInfo("Asia/Kolkata")
REGISTERED = "Dear {#var#}, your visit to Glow Clinic is due. Call {#numeric#} -GLOWCL"
TEXT = "Dear Meera, your visit to Glow Clinic is due. Call 08041234567 -GLOWCL"


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


def sms(**changes: object) -> Candidate:
    base: dict[str, object] = {
        "channel": "sms",
        "purpose": "promotional",
        "consent": "granted",
        "do_not_contact": None,
        "text": TEXT,
        "registered_text": REGISTERED,
    }
    return Candidate(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidate", "at", "outcome", "reason"),
    [
        (sms(), ist(24, 11), Outcome.SEND, ""),
        (sms(do_not_contact="bounced"), ist(24, 11), Outcome.SKIP, "do not contact by sms"),
        (
            sms(do_not_contact="unsubscribed", purpose="service"),
            ist(24, 11),
            Outcome.SKIP,
            "do not",
        ),
        (sms(consent=None), ist(24, 11), Outcome.SKIP, "no consent for promotional sms"),
        (sms(consent="withdrawn"), ist(24, 11), Outcome.SKIP, "consent withdrawn"),
        (sms(consent=None, purpose="service"), ist(24, 23), Outcome.SEND, ""),
        (sms(consent="withdrawn", purpose="service"), ist(24, 11), Outcome.SKIP, "withdrawn"),
        (sms(text=TEXT + " Reply YES"), ist(24, 11), Outcome.REFUSE, "does not match its DLT"),
        (sms(registered_text=None), ist(24, 11), Outcome.REFUSE, "no DLT-registered text"),
        # A mismatch is refused at once, not held until morning.
        (sms(text="Hello"), ist(24, 22), Outcome.REFUSE, "DLT"),
        (sms(), ist(24, 21, 30), Outcome.HOLD, "outside the promotional window"),
        (sms(), ist(24, 9, 59), Outcome.HOLD, "outside"),
        (sms(), ist(24, 21, 0), Outcome.HOLD, "outside"),
        (sms(), ist(24, 10, 0), Outcome.SEND, ""),
    ],
)
def test_the_gate_decides_each_case(candidate, at, outcome, reason):
    verdict = check(candidate, SendingRules(), at, IST)
    assert verdict.outcome is outcome
    assert reason in verdict.reason


def test_a_promotional_sms_due_at_half_past_nine_at_night_waits_for_ten_the_next_morning():
    verdict = check(sms(), SendingRules(), ist(24, 21, 30), IST)
    assert verdict.until == ist(25, 10)


def test_the_sms_window_is_india_time_whatever_the_branch_zone():
    dubai = ZoneInfo("Asia/Dubai")
    at = datetime(2026, 11, 24, 8, 0, tzinfo=dubai)  # 09:30 in India
    verdict = check(sms(), SendingRules(), at, dubai)
    assert verdict.until == ist(24, 10)


def test_other_channels_keep_the_branch_window_and_may_have_none():
    email = sms(channel="email", registered_text=None)
    late = SendingRules(windows={"email": (time(8), time(22))})
    assert check(email, late, ist(24, 21, 30), IST).outcome is Outcome.SEND
    assert check(email, late, ist(24, 22, 30), IST).until == ist(25, 8)
    assert check(email, SendingRules(windows={}), ist(24, 3), IST).outcome is Outcome.SEND


@pytest.mark.parametrize(
    ("sent_days_ago", "outcome"),
    [((), Outcome.SEND), ((1,), Outcome.SEND), ((1, 6), Outcome.SKIP), ((1, 7), Outcome.SEND)],
)
def test_the_frequency_cap_counts_promotional_messages_in_the_last_seven_days(
    sent_days_ago, outcome
):
    at = ist(24, 11)
    recent = [at - timedelta(days=days) for days in sent_days_ago]
    verdict = check(sms(recent_promotional=recent), SendingRules(), at, IST)
    assert verdict.outcome is outcome
    if outcome is Outcome.SKIP:
        assert verdict.reason == "over the frequency cap (2 in 7 days)"


def test_the_cap_is_a_branch_setting_and_service_messages_do_not_count_against_it():
    at = ist(24, 11)
    recent = [at - timedelta(hours=1)]
    assert check(sms(recent_promotional=recent), SendingRules(cap_messages=1), at, IST).outcome is (
        Outcome.SKIP
    )
    service = sms(recent_promotional=recent * 5, purpose="service")
    assert check(service, SendingRules(cap_messages=1), at, IST).outcome is Outcome.SEND


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_a_held_message_waits_for_the_next_opening_of_the_window(at):
    opens = window_opens(at, TRAI_WINDOW, INDIA)
    local = at.astimezone(INDIA).time()
    if opens is None:
        assert time(10) <= local < time(21)
        return
    assert opens > at
    assert opens.astimezone(INDIA).time() == time(10)
    assert opens - at <= timedelta(hours=13)
