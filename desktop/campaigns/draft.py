"""The campaign builder's state, without widgets: what has been chosen at each step, what
each step still lacks (in a sentence), and the specs the services take.

The steps, in order (UI.md's Campaigns): Basics (name, channel and the channels to fall back
on, purpose), Audience (a dashboard segment or everyone, then filters), Content (one
template, or two for an A/B test, with a hold-out group; a template for each channel fallen
back on, the same for both), Schedule (when launched or at a time; an optional trigger), Budget
(budget, the cost of a message on each channel used, the promotion that measures
conversions) and Review. A step may
be left only when it lacks nothing (`refusal(step)` is None); the builder dialog shows the
refusal and stays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any

from services.campaigns.audiences import AudienceCount
from services.campaigns.triggers import TriggerSpec

CHANNEL_NAMES = {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp", "preview": "Preview"}
# The channels a campaign or a new template is for: a patient agrees to SMS, WhatsApp or
# e-mail; "preview" is a way of sending (Settings > Channels), not one a patient consents to.
MESSAGE_CHANNELS = {key: CHANNEL_NAMES[key] for key in ("email", "sms", "whatsapp")}


def channel_text(channels: str) -> str:
    """A campaign's channels ('whatsapp+sms', the first that reaches a patient) in words."""
    return ", then ".join(CHANNEL_NAMES.get(c, c) for c in channels.split("+"))


def channel_short(channels: str) -> str:
    """The same for a narrow column: the first channel and how many fall back after it."""
    first, *rest = channels.split("+")
    return CHANNEL_NAMES.get(first, first) + (f" +{len(rest)}" if rest else "")


PURPOSE_NAMES = {"promotional": "Promotional (offers)", "service": "Service (reminders)"}
# The triggers the builder offers: kind -> what the manager reads.
TRIGGER_NAMES = {
    "birthday": "On the patient's birthday",
    "no_visit_days": "When the last visit is N days old",
    "invoice_saved": "After an invoice is saved",
    "promotion_expiring": "N days before the linked promotion ends",
    "callback_completed": "After a callback is completed",
}
ACTION_NAMES = {"send_template": "Send the message", "create_callback": "Add a callback"}


class Step(IntEnum):
    BASICS = 0
    AUDIENCE = 1
    CONTENT = 2
    SCHEDULE = 3
    BUDGET = 4
    REVIEW = 5


STEP_TITLES = ("Basics", "Audience", "Content", "Schedule", "Budget", "Review")


def _rupees(text: str) -> Decimal | None:
    """A typed amount in rupees ('' is 0), or None when it is not one."""
    cleaned = text.replace(",", "").strip() or "0"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


@dataclass
class CampaignDraft:
    """Everything chosen so far; the dialog writes its fields, the steps read them."""

    name: str = ""
    objective: str = ""
    channel: str = "email"
    # Further channels in order, for those the first cannot reach (a fallback), and the
    # template each sends: one for every variant, so the A/B test compares the first's.
    fallback_channels: list[str] = field(default_factory=list)
    fallback_templates: dict[str, uuid.UUID | None] = field(default_factory=dict)
    purpose: str = "promotional"
    # The audience: a segment ('' for everyone) narrowed by the filters that are on (None off).
    segment: str = ""
    last_visit_older_than_days: int | None = None
    birthday_within_days: int | None = None
    visited_item: str | None = None
    spent_more_than: str | None = None
    # Parts of an audience the builder has no field for, kept as given (a hand-picked list,
    # a promotion used, the campaign whose recipients are left out), and what to call them.
    kept_audience: dict[str, Any] = field(default_factory=dict)
    kept_words: str = ""
    # The content: template ids; B set for an A/B test.
    template_a: uuid.UUID | None = None
    template_b: uuid.UUID | None = None
    holdout_percent: int = 0
    minimum_per_arm: int = 100
    # The schedule: None sends when launched.
    send_at: datetime | None = None
    trigger_kind: str = ""
    trigger_action: str = "send_template"
    trigger_days: int = 30
    trigger_delay_minutes: int = 0
    # The budget, in rupees as typed, and the cost of a message on each channel (channel ->
    # rupees as typed; a channel not typed costs 0). Only the channels used count.
    budget: str = ""
    costs: dict[str, str] = field(default_factory=dict)
    promotion_code: str = ""
    personal_codes: bool = False
    attribution_days: int = 30
    # The last live count of the audience (None until one is read).
    count: AudienceCount | None = None
    template_names: dict[uuid.UUID, str] = field(default_factory=dict)

    # -- the steps -------------------------------------------------------------------------

    def refusal(self, step: Step) -> str | None:
        """Why the builder cannot leave `step` yet (None: it can)."""
        if step == Step.BASICS:
            if not self.name.strip():
                return "Give the campaign a name."
            if self.channel not in MESSAGE_CHANNELS:
                return "Choose the channel it is sent on."
            seen = [self.channel]
            for channel in self.fallback_channels:
                if channel in seen:
                    name = CHANNEL_NAMES.get(channel, channel)
                    return f"{name} is in the order already: choose another channel, or none."
                seen.append(channel)
        if step == Step.AUDIENCE:
            if self.visited_item is not None and not self.visited_item.strip():
                return "Visited: type the item's code, or untick the filter."
            if self.spent_more_than is not None and _rupees(self.spent_more_than) is None:
                return "Spent more than: type an amount in rupees, like 5000."
            if self.count is not None and self.count.reachable == 0:
                return "Nobody in this audience can be reached on this channel: widen it."
        if step == Step.CONTENT:
            if self.template_a is None:
                return "Choose the message's template (add one in the Templates tab)."
            if self.template_b is not None and self.template_b == self.template_a:
                return "An A/B test compares two different templates: choose another for B."
            for channel in self.fallback_channels:
                if self.fallback_templates.get(channel) is None:
                    return (
                        f"Choose the {CHANNEL_NAMES.get(channel, channel)} template for those "
                        "the channels before cannot reach (add one in the Templates tab)."
                    )
        if step == Step.SCHEDULE:
            if self.trigger_kind and self.trigger_kind not in TRIGGER_NAMES:
                return "Choose a trigger from the list."
            if self.trigger_kind == "promotion_expiring" and not self.promotion_code.strip():
                return "A promotion-ending trigger needs the promotion: set it in Budget."
        if step == Step.BUDGET:
            if _rupees(self.budget) is None:
                return "Budget: type an amount in rupees, like 500 (0 for no limit)."
            for channel in self.channels():
                if _rupees(self.costs.get(channel, "")) is None:
                    name = CHANNEL_NAMES.get(channel, channel)
                    return f"Cost per {name} message: type an amount in rupees, like 0.20."
            if self.personal_codes and not self.promotion_code.strip():
                return "Personal codes are made from a promotion: type its code."
            cost = self.estimated_cost()
            budget = _rupees(self.budget) or Decimal(0)
            if budget and cost is not None and cost > budget:
                return (
                    f"The messages would cost about Rs.{cost:,.2f}, more than the budget of "
                    f"Rs.{budget:,.2f}: raise it or narrow the audience."
                )
        return None

    def first_refusal(self, upto: Step) -> tuple[Step, str] | None:
        """The first step before `upto` that still lacks something, and what."""
        for step in Step:
            if step >= upto:
                break
            why = self.refusal(step)
            if why:
                return step, why
        return None

    # -- what the services take ------------------------------------------------------------

    @classmethod
    def for_audience(cls, audience: dict[str, Any], **chosen: Any) -> CampaignDraft:
        """A draft on a campaign's audience (its JSON): the builder's filters filled in, the
        rest kept as it is."""
        kept = dict(audience)
        spent = kept.pop("spent_more_than", None)
        return cls(
            segment=str(kept.pop("segment", "") or ""),
            last_visit_older_than_days=kept.pop("last_visit_older_than_days", None),
            birthday_within_days=kept.pop("birthday_within_days", None),
            visited_item=kept.pop("visited_item", None),
            spent_more_than=None if spent is None else str(spent),
            kept_audience=kept,
            **chosen,
        )

    def audience_spec(self) -> dict[str, Any]:
        """The audience as services.campaigns.audiences.AudienceSpec's JSON."""
        spec: dict[str, Any] = dict(self.kept_audience)
        if self.segment:
            spec["segment"] = self.segment
        if self.last_visit_older_than_days is not None:
            spec["last_visit_older_than_days"] = self.last_visit_older_than_days
        if self.birthday_within_days is not None:
            spec["birthday_within_days"] = self.birthday_within_days
        if self.visited_item and self.visited_item.strip():
            spec["visited_item"] = self.visited_item.strip().upper()
        amount = None if self.spent_more_than is None else _rupees(self.spent_more_than)
        if amount:
            spec["spent_more_than"] = str(amount)
        return spec

    def channels(self) -> list[str]:
        """The channels in order: each patient gets the first that reaches them."""
        return [self.channel, *self.fallback_channels]

    def campaign_spec(self) -> dict[str, Any]:
        """The campaign as services.campaigns.campaigns.CampaignSpec's JSON: every variant
        on the same channels in the same order, as the service asks."""
        fallbacks = [str(self.fallback_templates.get(c)) for c in self.fallback_channels]
        variants: dict[str, Any] = {}
        for name, template in (("A", self.template_a), ("B", self.template_b)):
            if template is not None:
                variants[name] = {"template": str(template)}
                if fallbacks:
                    variants[name]["fallbacks"] = fallbacks
        spec: dict[str, Any] = {
            "name": " ".join(self.name.split()),
            "objective": self.objective.strip(),
            "variants": variants,
            "holdout_percent": self.holdout_percent,
            "audience": self.audience_spec(),
            "budget": str(_rupees(self.budget) or 0),
            "cost_per_message": {
                channel: str(_rupees(self.costs.get(channel, "")) or 0)
                for channel in self.channels()
            },
            "attribution_days": self.attribution_days,
            "personal_codes": self.personal_codes,
        }
        if self.template_b is not None:
            spec["minimum_per_arm"] = self.minimum_per_arm
        if self.send_at is not None:
            spec["send_at"] = self.send_at.isoformat()
        if self.promotion_code.strip():
            spec["promotion_code"] = self.promotion_code.strip().upper()
        return spec

    def trigger_spec(self) -> TriggerSpec | None:
        """The trigger to add once the campaign is created, if one was chosen."""
        if not self.trigger_kind:
            return None
        conditions: dict[str, Any] = {}
        if self.trigger_kind in ("no_visit_days", "promotion_expiring"):
            conditions["days"] = self.trigger_days
        if self.trigger_kind == "promotion_expiring":
            conditions["promotion_code"] = self.promotion_code.strip().upper()
        template = None
        if self.trigger_action == "send_template" and self.template_a is not None:
            template = str(self.template_a)
        return TriggerSpec(
            self.trigger_kind,
            self.trigger_action,
            template,
            self.trigger_delay_minutes,
            conditions or None,
        )

    # -- figures and words -----------------------------------------------------------------

    def messages_by_channel(self) -> dict[str, int] | None:
        """How many messages a launch would send now on each channel, in order (each patient
        on the first that reaches them; the hold-out gets none)."""
        if self.count is None:
            return None
        reached = self.count.by_channel or {self.channel: self.count.reachable}
        return {
            channel: reached.get(channel, 0) - reached.get(channel, 0) * self.holdout_percent // 100
            for channel in self.channels()
        }

    def messages(self) -> int | None:
        """How many messages a launch would send now (the hold-out gets none)."""
        each = self.messages_by_channel()
        return None if each is None else sum(each.values())

    def cost_of(self, channel: str) -> Decimal | None:
        """A message's cost on `channel` in rupees, or None when what is typed is not one."""
        return _rupees(self.costs.get(channel, ""))

    def estimated_cost(self) -> Decimal | None:
        """What the messages would cost now: each channel's at its own cost per message."""
        each = self.messages_by_channel()
        costs = {channel: self.cost_of(channel) for channel in self.channels()}
        if each is None or any(cost is None for cost in costs.values()):
            return None
        return sum(((costs[channel] or Decimal(0)) * n for channel, n in each.items()), Decimal(0))

    def cost_words(self) -> str:
        """The estimate in words: 'about Rs.132.25 for 1,129 messages (600 by E-mail at
        Rs.0.00, 529 by SMS at Rs.0.25)', the breakdown only for several channels."""
        cost, messages, each = self.estimated_cost(), self.messages(), self.messages_by_channel()
        if cost is None or messages is None or each is None:
            return ""
        if not cost:
            return f"{messages:,} messages, no cost per message set"
        words = f"about Rs.{cost:,.2f} for {messages:,} messages"
        if len(each) > 1:
            words += (
                " ("
                + ", ".join(
                    f"{n:,} by {CHANNEL_NAMES.get(c, c)} at Rs.{self.cost_of(c) or 0:,.2f}"
                    for c, n in each.items()
                )
                + ")"
            )
        return words

    def audience_words(self) -> str:
        """'CHAMPIONS, last visit over 90 days ago' or 'Every patient'."""
        parts = [self.segment or "Every patient"]
        if self.last_visit_older_than_days is not None:
            parts.append(f"last visit over {self.last_visit_older_than_days} days ago")
        if self.birthday_within_days is not None:
            parts.append(f"birthday in the next {self.birthday_within_days} days")
        if self.visited_item and self.visited_item.strip():
            parts.append(f"had {self.visited_item.strip().upper()}")
        spent = None if self.spent_more_than is None else _rupees(self.spent_more_than)
        if spent:
            parts.append(f"spent over Rs.{spent:,}")
        if self.kept_words:
            parts.append(self.kept_words)
        return ", ".join(parts)

    def review_lines(self, zone_name: str = "") -> list[tuple[str, str]]:
        """(what, chosen) for the Review step, in the steps' order."""
        names = self.template_names
        content = names.get(self.template_a, "-") if self.template_a else "-"
        if self.template_b is not None:
            content = (
                f"A/B test of A: {content} and B: {names.get(self.template_b, '-')} "
                f"(a winner needs {self.minimum_per_arm} recipients each)"
            )
        for channel in self.fallback_channels:
            template = self.fallback_templates.get(channel)
            chosen = names.get(template, "-") if template else "-"
            content += f"; then {CHANNEL_NAMES.get(channel, channel)}: {chosen}"
        if self.holdout_percent:
            content += f"; {self.holdout_percent}% hold-out gets nothing"
        when = (
            "When you launch it"
            if self.send_at is None
            else f"{self.send_at:%d %b %Y, %H:%M} {zone_name}".strip()
        )
        if self.trigger_kind:
            what = ACTION_NAMES[self.trigger_action].lower()
            trigger = TRIGGER_NAMES[self.trigger_kind].replace(
                "N days", f"{self.trigger_days} days"
            )
            delay = f" after {self.trigger_delay_minutes} min" if self.trigger_delay_minutes else ""
            when += f"; and {trigger[:1].lower()}{trigger[1:]}: {what}{delay}"
        budget = _rupees(self.budget) or Decimal(0)
        money = f"Budget Rs.{budget:,.2f}" if budget else "No budget limit"
        if self.cost_words():
            money += f"; {self.cost_words()}"
        if self.promotion_code.strip():
            money += f"; conversions by {self.promotion_code.strip().upper()}"
            if self.personal_codes:
                money += " (a personal code each)"
        reach = "-" if self.count is None else self.count.sentence()
        for key in self.count.by_channel if self.count else ():  # 'by sms': 'by SMS'
            reach = reach.replace(f" by {key}", f" by {CHANNEL_NAMES.get(key, key)}")
        channel = channel_text("+".join(self.channels()))
        purpose = PURPOSE_NAMES.get(self.purpose, self.purpose).lower()
        return [
            ("Name", " ".join(self.name.split())),
            ("Channel", f"{channel}, {purpose}"),
            ("Audience", f"{self.audience_words()}: {reach}"),
            ("Content", content),
            ("Schedule", when),
            ("Budget", money),
            ("Conversions", f"an invoice within {self.attribution_days} days of the message"),
        ]
