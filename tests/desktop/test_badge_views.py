"""The counter's timing of sponsored badges without widgets (desktop.counter.badge_views):
what is recorded, when, and with how long it was seen."""

from __future__ import annotations

import uuid
from datetime import timedelta

from desktop.counter.badge_views import BadgeViews
from tests.desktop.helpers import NOW

GLOW = uuid.uuid4()
PEEL = uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now

    def advance(self, ms: int) -> None:
        self.now += timedelta(milliseconds=ms)


def views():
    clock, recorded = Clock(), []
    return BadgeViews(lambda *args: recorded.append(args), clock), clock, recorded


def test_half_a_second_on_show_is_recorded_as_it_leaves_not_viewable():
    badges, clock, recorded = views()
    badges.show({GLOW}, "patient-1", focused=True)
    clock.advance(500)
    badges.tick(True)
    assert recorded == []
    badges.show(set(), "patient-1", focused=True)
    assert recorded == [(GLOW, "patient-1", 500)]


def test_a_badge_is_recorded_once_when_seen_for_a_second():
    badges, clock, recorded = views()
    badges.show({GLOW}, "patient-1", focused=True)
    for _ in range(6):
        clock.advance(200)
        badges.tick(True)
    assert recorded == [(GLOW, "patient-1", 1000)]
    assert badges.on_show() == 0
    # Priced again, the same badge to the same patient is not recorded a second time.
    badges.show({GLOW}, "patient-1", focused=True)
    clock.advance(2000)
    badges.tick(True)
    assert recorded == [(GLOW, "patient-1", 1000)]


def test_time_without_the_focus_does_not_count():
    badges, clock, recorded = views()
    badges.show({GLOW}, "patient-1", focused=False)
    clock.advance(5000)
    badges.tick(True)  # the window gets the focus now: the five seconds before do not count
    clock.advance(600)
    badges.tick(False)
    clock.advance(5000)
    badges.tick(False)
    assert recorded == []
    clock.advance(400)
    badges.tick(True)  # 400 ms more unfocused: still 600 ms seen
    clock.advance(400)
    badges.tick(True)
    assert recorded == [(GLOW, "patient-1", 1000)]


def test_a_cart_without_a_patient_is_its_own_viewer_until_the_invoice_is_done():
    badges, clock, recorded = views()
    first = badges.viewer(None)
    assert first.startswith("cart:") and badges.viewer(None) == first
    badges.show({GLOW, PEEL}, first, focused=True)
    clock.advance(300)
    badges.clear()
    assert sorted(recorded) == sorted([(GLOW, first, 300), (PEEL, first, 300)])
    assert badges.viewer(None) != first
    patient = uuid.uuid4()
    assert badges.viewer(patient) == str(patient)


def test_a_new_viewer_ends_the_showing_to_the_cart():
    badges, clock, recorded = views()
    cart = badges.viewer(None)
    badges.show({GLOW}, cart, focused=True)
    clock.advance(700)
    badges.show({GLOW}, "patient-1", focused=True)
    assert recorded == [(GLOW, cart, 700)]
    assert badges.shown_promotions() == {GLOW}
