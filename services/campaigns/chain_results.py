"""The branches' campaigns as the head office sees them (issue #16): one row per campaign
of every branch (or of the branches named), with the totals of the branch's own results
(campaigns.campaign_results, rule 5, the hold-out left out), and the chain's sum.

On the centre the rows come from the documents the branches pushed (db.central_campaigns,
whose docstring says what the centre cannot count as the branch does: messages not ended
yet, invoices matched by name and mobile, no lift or A/B decision). On a branch's own file
they are its own campaigns' results, so the same command reads at a branch and at the head
office.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from db import central_campaigns, central_reports
from db import central_dashboard as chain
from db.engine import Database
from db.models import Branch, Campaign
from domain.errors import BadInput
from domain.permissions import require
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.campaigns import campaigns


@dataclass(frozen=True)
class BranchCampaign:
    """One branch's campaign, its totals as its results count them; money in paise."""

    branch_code: str
    campaign_id: uuid.UUID | None
    name: str
    status: str
    channels: tuple[str, ...]
    launched_at: datetime | None = None
    recipients: int = 0  # distinct patients messaged, each once per arm
    messages: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    replied: int = 0
    opted_out: int = 0
    cost: int = 0
    conversions: int = 0
    revenue: int = 0

    @property
    def roi(self) -> float | None:
        """The attributed ROI: (revenue - cost) / cost, None without a cost."""
        return None if not self.cost else (self.revenue - self.cost) / self.cost


# The figures that add up over campaigns (and branches).
COUNTS = (
    "recipients",
    "messages",
    "sent",
    "delivered",
    "failed",
    "replied",
    "opted_out",
    "cost",
    "conversions",
    "revenue",
)


@dataclass(frozen=True)
class ChainCampaigns:
    """The campaigns of the branches asked for, `branch_codes` every branch the centre
    knows (for a Branch box; empty on a branch's file), and `on_centre`."""

    rows: tuple[BranchCampaign, ...]
    branch_codes: tuple[str, ...]
    on_centre: bool

    @property
    def total(self) -> BranchCampaign:
        """The rows added up (the whole chain's, or the chosen branches')."""
        whole = BranchCampaign("", None, "All campaigns", "", ())
        return replace(
            whole, **{name: sum(getattr(row, name) for row in self.rows) for name in COUNTS}
        )

    def by_branch(self) -> list[BranchCampaign]:
        """Each branch's campaigns added up, by code (branches without one left out)."""
        found: dict[str, list[BranchCampaign]] = {}
        for row in self.rows:
            found.setdefault(row.branch_code, []).append(row)
        return [
            replace(
                BranchCampaign(code, None, code, "", ()),
                **{name: sum(getattr(row, name) for row in rows) for name in COUNTS},
            )
            for code, rows in sorted(found.items())
        ]


def branch_campaigns(
    db: Database, actor: CurrentUser, *, branches: Sequence[str] = ()
) -> ChainCampaigns:
    """Every branch's campaigns with their results' totals (manager): on the centre, the
    branches with the codes `branches` (none: the whole chain; an unknown code refused
    with a sentence); on a branch's file, its own campaigns (a branch filter refused)."""
    require(actor.role, "campaign.manage")
    if not db.on_centre:
        if branches:
            raise BadInput(
                "A branch filter is for the head office: run it on the centre "
                "(frontdesk --central URL ...)."
            )
        return ChainCampaigns(tuple(_own_campaigns(db, actor)), (), False)
    chain.catch_up(db)  # the invoices pushed since the last reading, by customer
    with db.session(write=False) as session:
        every = central_reports.branches(session)
        chosen = central_reports.chosen_branches(session, branches)
        scope = chain.Scope(tuple(b.branch_id for b in chosen)) if branches else chain.Scope()
        rows = central_campaigns.campaign_rows(session, scope)
    return ChainCampaigns(
        tuple(
            BranchCampaign(
                branch_code=row["branch_code"],
                campaign_id=row["campaign_id"],
                name=row["name"],
                status=row["status"],
                channels=tuple(row["channels"]),
                launched_at=row["launched_at"],
                **{name: row[name] for name in COUNTS},
            )
            for row in rows
        ),
        tuple(branch.code for branch in every),
        True,
    )


def _own_campaigns(db: Database, actor: CurrentUser) -> list[BranchCampaign]:
    """A branch's campaigns, each its results' total (rule 5), newest first."""
    with db.session(write=False) as session:
        branch = session.get_one(Branch, this_branch_id(session))
        code = branch.branch_code or branch.name
        launched = dict(session.execute(select(Campaign.id, Campaign.launched_at)).all())
    found = []
    for listed in campaigns.list_campaigns(db, actor):
        results = campaigns.campaign_results(db, actor, listed.id)
        total = results.total
        found.append(
            BranchCampaign(
                branch_code=code,
                campaign_id=listed.id,
                name=results.name,
                status=results.status,
                channels=tuple(results.channel.split("+")),
                launched_at=launched.get(listed.id),
                **{name: getattr(total, name) for name in COUNTS},
            )
        )
    return found
