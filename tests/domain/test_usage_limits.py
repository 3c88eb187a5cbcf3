"""Rules of domain.usage_limits: switching off at the limit, and coming back under it."""

import pytest

from domain.usage_limits import count_use, reactivates, under_limit


@pytest.mark.parametrize(
    ("uses", "limit", "expected"),
    [(0, None, True), (2, 3, True), (3, 3, False), (4, 3, False), (10**6, None, True)],
)
def test_under_limit(uses, limit, expected):
    assert under_limit(uses, limit) is expected


def test_the_use_that_reaches_the_limit_switches_it_off():
    counted = count_use(2, 3, +1, active=True, auto_deactivated=False)
    assert (counted.uses, counted.deactivate, counted.reactivate) == (3, True, False)


def test_a_use_below_the_limit_leaves_it_on():
    assert not count_use(1, 3, +1, active=True, auto_deactivated=False).deactivate


def test_a_code_that_does_not_auto_deactivate_stays_on_at_its_limit():
    counted = count_use(2, 3, +1, active=True, auto_deactivated=False, auto_deactivate=False)
    assert counted.uses == 3 and not counted.deactivate


def test_something_already_off_is_not_switched_off_again():
    assert not count_use(2, 3, +1, active=False, auto_deactivated=False).deactivate


def test_a_use_given_back_revives_what_the_limit_switched_off():
    counted = count_use(3, 3, -1, active=False, auto_deactivated=True)
    assert (counted.uses, counted.deactivate, counted.reactivate) == (2, False, True)


def test_a_use_given_back_does_not_revive_what_was_paused_by_hand():
    assert not count_use(3, 3, -1, active=False, auto_deactivated=False).reactivate


def test_the_count_never_goes_below_zero():
    assert count_use(0, None, -1, active=True, auto_deactivated=False).uses == 0


@pytest.mark.parametrize(
    ("uses", "limit", "auto", "expected"),
    [
        (3, 5, True, True),  # the limit was raised
        (3, None, True, True),  # the limit was removed
        (3, 3, True, False),  # still at its limit
        (1, 3, False, False),  # paused by hand: stays paused
    ],
)
def test_reactivates_only_under_the_limit_and_only_what_the_limit_did(uses, limit, auto, expected):
    assert reactivates(uses, limit, auto_deactivated=auto) is expected
