"""The manager dashboard: RFM figures of the visits in a window (seed 003) and the campaign
charts (seed 000), for the panel and for `frontdesk report rfm|rfm-customers`.

The window defaults to all history up to today; its last day is the as-of date. Scores are
computed over every customer of the window, then the mobile, name and score filters choose
which customers every figure counts (domain.rfm has the definitions).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import central_dashboard as chain
from db import dashboard as queries
from db.engine import Database
from db.models import Branch, Patient
from domain import rfm
from domain.fiscal import fiscal_year_bounds
from domain.patients import PatientDetailsError, normalise_mobile
from domain.permissions import require
from services import promotion_reports
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import BadInput

Progress = Callable[[int, str], None]
TIMELINE_DAYS = 30
TOP_PATIENTS = 10
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{2})*,\d{3}$|^\d{1,3}(?:,\d{3})+$")


class DashboardError(BadInput):
    """A filter the dashboard cannot use."""


@dataclass(frozen=True)
class DashboardFilters:
    """What the manager asked for; None means "any" (or, for dates, all history / today)."""

    start: date | None = None
    end: date | None = None
    mobile: str | None = None
    name: str | None = None
    r: int | None = None
    f: int | None = None
    m: int | None = None
    scheme: str = rfm.Scheme.SEED
    value_ends: tuple[int, ...] = rfm.DEFAULT_VALUE_BUCKET_ENDS
    # The head office only (the app or the CLI on the centre): these branches' codes; none
    # is the whole chain.
    branches: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerRow:
    """One customer behind the figures; `monetary` in paise, recency in days."""

    patient_id: uuid.UUID
    name: str
    mobile: str
    last_visit: date
    recency: int
    frequency: int
    monetary: int
    r: int
    f: int
    m: int
    segment: str


@dataclass(frozen=True)
class RfmReport:
    """The RFM figures of one window and filter, with what a click on a bar needs."""

    filters: DashboardFilters
    start: date
    end: date
    start_month: int
    figures: rfm.Figures
    facts: rfm.CustomerFacts = field(repr=False)
    scores: rfm.Scores = field(repr=False)
    chosen: rfm.BoolArray = field(repr=False)


@dataclass(frozen=True)
class CampaignCharts:
    """Seed 000's figures: effectiveness, the last 30 days' uses, top patients by savings."""

    effectiveness: list[promotion_reports.CampaignEffect]
    timeline: list[promotion_reports.TimelinePoint]
    top_patients: list[promotion_reports.TopPatient]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard panel draws."""

    rfm: RfmReport
    campaigns: CampaignCharts


def _manager(actor: CurrentUser) -> None:
    require(actor.role, "dashboard.read")


# The widest window a fiscal year can name on either side (year 1 would start fiscal year
# 0, 9999 end in 10000). Entrances keep dates to 1990 on (domain.bounds); a file written
# before that rule may hold older ones, and the dashboard still opens on it (issue #13).
_FIRST_DAY = date(2, 1, 1)
_LAST_DAY = date(9997, 12, 31)


def _window(filters: DashboardFilters, first_visit: date | None, today: date) -> tuple[date, date]:
    end = min(filters.end or today, _LAST_DAY)
    start = max(filters.start or min(first_visit or end, end), _FIRST_DAY)
    if start > end:
        raise DashboardError(
            f"The window starts on {start:%d-%m-%Y}, after it ends on {end:%d-%m-%Y}"
        )
    return start, end


def _mobile(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    try:
        return normalise_mobile(text)
    except PatientDetailsError as exc:
        raise DashboardError(str(exc)) from exc


def _without_walk_in(session: Session, totals: queries.VisitTotals) -> queries.VisitTotals:
    """The walk-in customer stands for everyone not registered: not a customer to score,
    count or call back, so the dashboard leaves it out."""
    walk_in = {key.hex for key in session.scalars(select(Patient.id).where(Patient.is_walk_in))}
    if not walk_in.intersection(totals.patient_ids):
        return totals
    keep = np.fromiter(
        (key not in walk_in for key in totals.patient_ids), np.bool_, len(totals.patient_ids)
    )
    kept: dict[str, Any] = {
        item.name: value[keep]
        for item in fields(totals)
        if isinstance(value := getattr(totals, item.name), np.ndarray)
    }
    return replace(
        totals, patient_ids=[key for key in totals.patient_ids if key not in walk_in], **kept
    )


def _chain_scope(db: Database, codes: tuple[str, ...]) -> chain.Scope:
    """On the centre: the branches asked for, after bringing the chain's visits up to what
    was pushed. On a branch: refused when branches are asked for."""
    if not db.on_centre:
        if codes:
            raise DashboardError(
                "A branch filter is for the head office: open the dashboard on the centre "
                "(frontdesk --central URL ...)."
            )
        return chain.Scope()
    chain.catch_up(db)
    with db.session(write=False) as session:
        found = chain.branch_ids(session, codes)
        unknown = [code for code in codes if code not in found]
        if unknown:
            known = ", ".join(chain.branch_codes(session)) or "none yet"
            raise DashboardError(f"No branch {', '.join(unknown)} on the centre (known: {known})")
    return chain.Scope(tuple(found[code] for code in codes))


def branch_codes(db: Database, actor: CurrentUser) -> list[str]:
    """The branches the head office's dashboard can filter by (none on a branch)."""
    _manager(actor)
    if not db.on_centre:
        return []
    with db.session(write=False) as session:
        return chain.branch_codes(session)


def rfm_report(
    db: Database, actor: CurrentUser, filters: DashboardFilters, *, today: date
) -> RfmReport:
    """The RFM figures of the visits in the filters' window, counting the chosen customers:
    a branch's patients, or on the centre the chain's customers (db.central_dashboard)."""
    _manager(actor)
    mobile = _mobile(filters.mobile)
    name = (filters.name or "").strip()
    scope = _chain_scope(db, filters.branches)
    with db.session(write=False) as session:
        start_month = session.get_one(Branch, this_branch_id(session)).fiscal_year_start_month
        if db.on_centre:
            start, end = _window(filters, chain.first_visit_day(session, scope), today)
        else:
            start, end = _window(filters, queries.first_visit_day(session), today)
        years = rfm.fiscal_years_touched(start, end, start_month)
        ranges = [fiscal_year_bounds(year, start_month) for year in years]
        if db.on_centre:
            totals = chain.visit_totals(session, start=start, end=end, ranges=ranges, scope=scope)
            matching = (
                chain.customers_matching(session, mobile=mobile, name=name)
                if mobile or name
                else None
            )
        else:
            totals = _without_walk_in(
                session, queries.visit_totals(session, start=start, end=end, ranges=ranges)
            )
            matching = (
                queries.patients_matching(session, mobile=mobile, name=name)
                if mobile or name
                else None
            )
    facts = rfm.CustomerFacts(
        keys=totals.patient_ids,
        visits=totals.visits,
        first_day=totals.first_day,
        last_day=totals.last_day,
        net=totals.net,
        units=totals.units,
        cost=totals.cost,
        first_ever_day=totals.first_ever_day,
        years=years,
        visited_year=totals.visited_range,
    )
    chosen = (
        None
        if matching is None
        else np.fromiter((key in matching for key in facts.keys), np.bool_, len(facts))
    )
    try:
        figures, scores, mask = rfm.figures(
            facts,
            end,
            rfm.Filters(chosen=chosen, r=filters.r, f=filters.f, m=filters.m),
            scheme=filters.scheme,
            value_ends=filters.value_ends,
            start_month=start_month,
        )
    except rfm.RfmError as exc:
        raise DashboardError(str(exc)) from exc
    return RfmReport(filters, start, end, start_month, figures, facts, scores, mask)


def customers(
    db: Database,
    actor: CurrentUser,
    report: RfmReport,
    *,
    chart: str | None = None,
    key: str | None = None,
) -> list[CustomerRow]:
    """The chosen customers of a report (behind one bar when `chart` and `key` are given),
    most valuable first."""
    _manager(actor)
    if chart is None:
        indices = np.flatnonzero(report.chosen)
    else:
        try:
            indices = rfm.members(
                report.facts,
                report.scores,
                report.chosen,
                chart,
                key or "",
                value_ends=report.filters.value_ends,
                start_month=report.start_month,
            )
        except rfm.RfmError as exc:
            raise DashboardError(str(exc)) from exc
    facts, scores = report.facts, report.scores
    order = indices[np.lexsort((scores.recency[indices], -facts.net[indices]))]
    keys = [facts.keys[int(index)] for index in order]
    with db.session(write=False) as session:
        if db.on_centre:
            details = chain.customer_details(session, keys)
        else:
            details = queries.patient_details(session, keys)
    names = scores.segment_names
    return [
        CustomerRow(
            patient_id=uuid.UUID(hex=patient),
            name=details.get(patient, ("", ""))[0],
            mobile=details.get(patient, ("", ""))[1],
            last_visit=date.fromordinal(int(facts.last_day[index])),
            recency=int(scores.recency[index]),
            frequency=int(facts.visits[index]),
            monetary=int(facts.net[index]),
            r=int(scores.r[index]),
            f=int(scores.f[index]),
            m=int(scores.m[index]),
            segment=names[int(scores.segment[index])],
        )
        for patient, index in zip(keys, (int(i) for i in order), strict=True)
    ]


def campaign_charts(
    db: Database, actor: CurrentUser, *, today: date, branches: tuple[str, ...] = ()
) -> CampaignCharts:
    """Seed 000's campaign figures for the dashboard (on the centre: the chain's, or these
    branches')."""
    require(actor.role, "promotion_reports.read")
    scope = _chain_scope(db, branches)
    return CampaignCharts(
        effectiveness=promotion_reports.campaign_effectiveness(db, actor, scope=scope),
        timeline=promotion_reports.usage_timeline(
            db, actor, today=today, days=TIMELINE_DAYS, scope=scope
        ),
        top_patients=promotion_reports.top_patients(db, actor, limit=TOP_PATIENTS, scope=scope),
    )


def refresh(
    db: Database,
    actor: CurrentUser,
    filters: DashboardFilters,
    *,
    today: date,
    progress: Progress | None = None,
) -> Dashboard:
    """Everything the dashboard shows, reporting progress (percent, step) as it goes."""

    def step(percent: int, text: str) -> None:
        if progress is not None:
            progress(percent, text)

    step(0, "Reading visits")
    report = rfm_report(db, actor, filters, today=today)
    step(70, "Reading campaigns")
    campaigns = campaign_charts(db, actor, today=today, branches=filters.branches)
    step(100, "Done")
    return Dashboard(report, campaigns)


def parse_value_ends(text: str) -> tuple[int, ...]:
    """Value bucket ends in rupees typed as '1000 2000 5000', '1,000; 2,000' or '1000, 2000'."""
    try:
        # Spaces, semicolons or commas separate amounts, except commas that group digits
        # the Indian or Western way (1,00,000 or 100,000).
        parts: list[str] = []
        for token in re.split(r"[\s;]+", text):
            grouped = _GROUPED.match(token.strip(","))
            parts += [grouped.group().replace(",", "")] if grouped else token.split(",")
        ends = tuple(int(part) for part in parts if part)
        return rfm.check_value_ends(ends)
    except (ValueError, rfm.RfmError) as exc:
        raise DashboardError(
            "Value buckets need increasing whole rupees above 0, like 1000, 2000, 5000"
        ) from exc
