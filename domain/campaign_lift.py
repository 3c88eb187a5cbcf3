"""What a campaign changed, measured against its hold-out group (issue #16).

An attributed ROI counts every invoice a messaged patient paid within the attribution
window, as if none would have come without the message. The hold-out group (a random share
of the audience that gets nothing, domain.ab_test rule 1) says how many would have:

1. Both groups are counted as assigned (intent to treat): the messaged group is every
   recipient given a template, whether or not the message left, and each group's window
   starts when the campaign went out, so the two are compared on the same terms.
2. Without the campaign, the messaged group would have converted at the hold-out's rate
   and spent what the hold-out spent per head: expected conversions = hold-out rate x
   messaged recipients; expected revenue = hold-out revenue x messaged / hold-out
   recipients, half-up to the paisa.
3. Incremental conversions and revenue = what the messaged group did - what was expected
   (below 0 when the hold-out did better); incremental ROI = (incremental revenue - cost)
   / cost, none without a cost.
4. The lift is measurable only when the messaged group's rate is above the hold-out's and
   the two-proportion z-test (domain.ab_test) is significant at 5%; otherwise there is "no
   measurable lift", whatever the attributed ROI says.
5. Without a hold-out (none chosen, or no one in it yet) nothing can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.ab_test import ALPHA, ZTest, two_proportion_z
from domain.money import format_rupees, group_indian


@dataclass(frozen=True)
class Group:
    """One group's figures: recipients, those who converted, their revenue in paise."""

    recipients: int
    conversions: int
    revenue: int

    @property
    def rate(self) -> float:
        return self.conversions / self.recipients if self.recipients else 0.0


@dataclass(frozen=True)
class Lift:
    """The campaign against its hold-out (rules 2 to 4); money in paise."""

    messaged: Group
    holdout: Group
    cost: int
    expected_conversions: float
    expected_revenue: int
    test: ZTest

    @property
    def incremental_conversions(self) -> float:
        return self.messaged.conversions - self.expected_conversions

    @property
    def incremental_revenue(self) -> int:
        return self.messaged.revenue - self.expected_revenue

    @property
    def incremental_roi(self) -> float | None:
        return None if not self.cost else (self.incremental_revenue - self.cost) / self.cost

    @property
    def relative_lift(self) -> float | None:
        """(messaged rate - hold-out rate) / hold-out rate; none when the hold-out's is 0."""
        base = self.holdout.rate
        return None if not base else (self.messaged.rate - base) / base

    @property
    def measurable(self) -> bool:
        """Rule 4."""
        return self.messaged.rate > self.holdout.rate and self.test.p_value < ALPHA

    def sentence(self) -> str:
        """The lift in words, as the results show it."""
        rates = (
            f"messaged patients converted {self.messaged.rate:.1%}, the hold-out group "
            f"(sent nothing) {self.holdout.rate:.1%} of {group_indian(self.holdout.recipients)}"
            f" (p = {self.test.p_value:.3f})"
        )
        if not self.measurable:
            return (
                f"No measurable lift: {rates}. The attributed figures count invoices that "
                "would have come without the campaign."
            )
        roi = self.incremental_roi
        return (
            f"Lift: {rates}; {self.incremental_conversions:,.1f} conversions and "
            f"{format_rupees(self.incremental_revenue)} revenue more than without it"
            + ("" if roi is None else f", incremental ROI {roi:,.0%}")
            + "."
        )


NO_HOLDOUT = "No hold-out group: the lift cannot be measured, only attributed."


def measure(messaged: Group, holdout: Group, cost: int) -> Lift | None:
    """The campaign's lift over its hold-out (rules 2 to 4); None without one (rule 5)."""
    if holdout.recipients <= 0 or messaged.recipients <= 0:
        return None
    n_t, n_h = messaged.recipients, holdout.recipients
    expected_revenue = (2 * holdout.revenue * n_t + n_h) // (2 * n_h)
    test = two_proportion_z((messaged.conversions, holdout.conversions), (n_t, n_h))
    return Lift(messaged, holdout, cost, holdout.conversions * n_t / n_h, expected_revenue, test)
