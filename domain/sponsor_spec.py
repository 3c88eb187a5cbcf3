"""A sponsor's and a sponsored campaign's settings as typed or read from a JSON file
(issue #17): checked by the same strict schema as promotion specs (unknown keys and
values of the wrong type refused by name), then by the rules below.

1. A sponsor has a legal name, a GST state (the state of its GSTIN when it has one) and
   optionally a GSTIN (checked as the branch's is: format and check character), a
   contact and a billing address.
2. A campaign has a code (as a promotion's: letters, digits, '-' and '_'), a name, its
   sponsor, at least one promotion whose badge it pays for, a billing frequency (weekly,
   monthly, at_end), a budget, a cost per impression (at least Rs.0.01), the booked
   impressions (1 to a billion), a deposit (none by default), a discount percent (0 to
   100), an optional per-branch offline quota and its flight: a start and an end date
   (the end on or after the start, dates from 1990 to ten years ahead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import StrictInt, StrictStr

from domain.bounds import check_day, clean_text
from domain.branch import BranchDetailsError, validate_gstin, validate_state_code
from domain.promotion_spec import (
    _CAMPAIGN_CODE,
    SpecError,
    _amount,
    _check_shape,
    _count,
    _Day,
    _Figure,
    _Shape,
)
from domain.sponsor_billing import BillingFrequency, impression_limit


class _CampaignShape(_Shape):
    campaign_code: StrictStr
    campaign_name: StrictStr
    sponsor: StrictStr
    promotions: list[StrictStr]
    billing_frequency: StrictStr
    campaign_budget: _Figure
    cost_per_impression: _Figure
    booked_impressions: StrictInt | StrictStr
    deposit_amount: _Figure = None
    discount_percent: _Figure = None
    branch_offline_quota: StrictInt | StrictStr | None = None
    start_date: _Day
    end_date: _Day
    payment_terms_days: StrictInt = 15
    notes: StrictStr = ""


CAMPAIGN_FIELDS = tuple(_CampaignShape.model_fields)


@dataclass(frozen=True)
class SponsorSpec:
    """Rule 1, checked."""

    legal_name: str
    state_code: str
    gstin: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    billing_address: str = ""


def validate_sponsor(spec: SponsorSpec) -> SponsorSpec:
    """Rule 1: a sponsor that can be saved (SpecError names the field to fix)."""
    name = clean_text(spec.legal_name).strip()
    if not name:
        raise SpecError("legal_name", "Enter the sponsor's legal name")
    try:
        gstin = validate_gstin(spec.gstin)
        state = validate_state_code(spec.state_code, gstin)
    except BranchDetailsError as exc:
        raise SpecError(exc.field, str(exc)) from None
    if not state:
        raise SpecError("state_code", "Enter the sponsor's GST state code (29 is Karnataka)")
    return SponsorSpec(
        name,
        state,
        gstin,
        clean_text(spec.contact_name).strip(),
        spec.contact_email.strip(),
        spec.contact_phone.strip(),
        clean_text(spec.billing_address).strip(),
    )


@dataclass(frozen=True)
class CampaignSpec:
    """Rule 2, checked; money in paise."""

    campaign_code: str
    campaign_name: str
    sponsor: str
    promotions: tuple[str, ...]
    billing_frequency: BillingFrequency
    campaign_budget: int
    cost_per_impression: int
    booked_impressions: int
    deposit_amount: int
    discount_percent: Decimal
    branch_offline_quota: int | None
    start_date: date
    end_date: date
    payment_terms_days: int = 15
    notes: str = ""


def _day(value: Any, name: str, today: date) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise SpecError(name, f"'{value}' is not a date like 2026-12-01") from None
    try:
        return check_day(day, today)
    except ValueError as exc:
        raise SpecError(name, str(exc)) from None


def read_campaign_json(text: str) -> dict[str, Any]:
    """A campaign spec file's JSON: one object, decimals kept exact, NaN refused."""

    def constant(name: str) -> Any:
        raise SpecError("", f"{name} is not a number a sponsored campaign can hold.")

    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=constant)
    except RecursionError:
        raise SpecError("", "The spec is nested too deeply to be a campaign.") from None
    except SpecError:
        raise
    except ValueError as exc:
        raise SpecError("", f"This is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise SpecError("", "The file should hold one JSON object (a sponsored campaign).")
    return data


def validate_campaign(data: dict[str, Any], *, today: date) -> CampaignSpec:
    """Rule 2 for a campaign spec (a dict as JSON gives it; amounts in rupees)."""
    _check_shape(_CampaignShape, data, "sponsored campaign")
    code = str(data["campaign_code"]).strip().upper()
    if not _CAMPAIGN_CODE.match(code):
        raise SpecError("campaign_code", "A campaign code is 2 to 40 letters, digits, '-' or '_'")
    name = clean_text(str(data["campaign_name"])).strip()
    if not name:
        raise SpecError("campaign_name", "Enter the campaign's name")
    promotions = tuple(dict.fromkeys(p.strip().upper() for p in data["promotions"] if p.strip()))
    if not promotions:
        raise SpecError("promotions", "Name at least one promotion whose badge is sponsored")
    try:
        frequency = BillingFrequency(str(data["billing_frequency"]).strip().lower())
    except ValueError:
        raise SpecError(
            "billing_frequency", "The billing frequency is weekly, monthly or at_end"
        ) from None
    budget = _amount(data["campaign_budget"], "campaign_budget", required=True) or 0
    rate = _amount(data["cost_per_impression"], "cost_per_impression", required=True) or 0
    if rate <= 0:
        raise SpecError("cost_per_impression", "The cost per impression is at least Rs.0.01")
    if budget <= 0:
        raise SpecError("campaign_budget", "The budget is more than zero")
    booked = _count(data["booked_impressions"], "booked_impressions")
    if booked is None:
        raise SpecError("booked_impressions", "Enter the impressions booked")
    deposit = _amount(data.get("deposit_amount"), "deposit_amount") or 0
    if deposit > budget:
        raise SpecError("deposit_amount", "The deposit is at most the budget")
    percent = Decimal(str(data.get("discount_percent") or 0))
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        raise SpecError("discount_percent", "A discount is from 0 to 100 percent")
    if percent != percent.quantize(Decimal("0.01")):
        raise SpecError("discount_percent", "A percentage has at most two decimals")
    quota = _count(data.get("branch_offline_quota"), "branch_offline_quota")
    start = _day(data["start_date"], "start_date", today)
    end = _day(data["end_date"], "end_date", today)
    if end < start:
        raise SpecError("end_date", "The end date is before the start date")
    terms = int(data.get("payment_terms_days", 15))
    if not 0 <= terms <= 365:
        raise SpecError("payment_terms_days", "Payment terms are 0 to 365 days")
    impression_limit(booked, budget, rate)
    return CampaignSpec(
        code,
        name,
        str(data["sponsor"]).strip(),
        promotions,
        frequency,
        budget,
        rate,
        booked,
        deposit,
        percent,
        quota,
        start,
        end,
        terms,
        clean_text(str(data.get("notes", ""))).strip(),
    )
