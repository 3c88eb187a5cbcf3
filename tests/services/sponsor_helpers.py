"""Builders shared by the sponsor tests: a sponsor, a campaign on a demo promotion, and
impressions recorded one by one as the counter records them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.sponsor_billing import Period
from domain.sponsor_spec import SponsorSpec
from services import sponsors
from tests.services.invoice_helpers import promotion

# Karnataka, as the demo clinic; and Maharashtra.
LOCAL_GSTIN = "29AAGCS1234K1Z7"
OTHER_STATE_GSTIN = "27AABCG5678L1Z2"


def a_sponsor(
    db: Any, manager: Any, now: datetime, *, gstin: str = LOCAL_GSTIN, name: str | None = None
) -> Any:
    if name is None:
        name = "Glowco Skincare Pvt Ltd" if gstin == LOCAL_GSTIN else "Dermaline Labs Ltd"
    return sponsors.add_sponsor(
        db,
        manager,
        SponsorSpec(
            legal_name=name,
            state_code=gstin[:2],
            gstin=gstin,
            contact_name="Anita Desai",
            contact_email="billing@example.com",
            billing_address="12 MG Road, Bengaluru 560001",
        ),
        now=now,
    )


def campaign_spec(**changes: Any) -> dict[str, Any]:
    """Rs.20 an impression, 60 booked, Rs.1,200 budget, Rs.400 deposit, on GLOW20."""
    spec = {
        "campaign_code": "GLOWCO-NOV",
        "campaign_name": "Glowco serum week",
        "sponsor": "Glowco Skincare Pvt Ltd",
        "promotions": ["GLOW20"],
        "billing_frequency": "weekly",
        "campaign_budget": "1200",
        "cost_per_impression": "20",
        "booked_impressions": 60,
        "deposit_amount": "400",
        "start_date": "2026-11-01",
        "end_date": "2026-11-30",
    }
    spec.update(changes)
    return spec


def settle(db: Any, manager: Any, now: datetime, *, code: str = "GLOWCO-NOV") -> Any:
    """The final settlement of `campaign_spec`'s campaign, from its first day (1 Nov) to
    the tests' today (24 Nov)."""
    return sponsors.bill_sponsor_period(
        db, manager, code, Period(date(2026, 11, 1), date(2026, 11, 24)), final=True, now=now
    )


def shown(
    db: Any,
    desk: Any,
    count: int,
    at: datetime,
    *,
    code: str = "GLOW20",
    shown_ms: int = 1500,
    prefix: str = "p",
) -> list[Any]:
    """`count` viewers each shown the badge for `shown_ms` at `at` (a minute apart)."""
    promotion_id = promotion(db, code).id
    return [
        sponsors.record_impression(
            db,
            desk,
            promotion_id,
            f"{prefix}{n}",
            shown_ms=shown_ms,
            now=at + timedelta(minutes=n),
        )
        for n in range(count)
    ]
