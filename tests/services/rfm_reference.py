"""An independent computation of the dashboard's figures with pandas, from the issue's words.

It shares nothing with domain.rfm: floats and pandas quantiles (linear interpolation, which
is R's type 7), each patient's gaps taken from their sorted visit dates, buckets by pd.cut.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

SEED_RULES = [
    ("CHAMPIONS", (3, 5), (3, 5), (3, 5)),
    ("POTENTIAL LOYALISTS", (2, 5), (2, 5), (1, 5)),
    ("NEW CUSTOMERS", (4, 5), (1, 5), (1, 5)),
    ("NEED ATTENTION", (1, 5), (1, 5), (1, 5)),
]
TEN_RULES = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]


def _fiscal_start(day: pd.Timestamp | date, start_month: int) -> int:
    return day.year if day.month >= start_month else day.year - 1


def _score(values: pd.Series, reverse: bool) -> pd.Series:
    cuts = values.quantile([0.2, 0.4, 0.6, 0.8]).to_numpy() + 1
    lower = [values.min(), *cuts]
    upper = [*cuts, values.max() + 1]
    scores = pd.Series(0, index=values.index)
    for i in range(5):
        scores[(values >= lower[i]) & (values < upper[i])] = i + 1
    return 6 - scores if reverse else scores


def compute(
    invoices: pd.DataFrame,
    start: date,
    end: date,
    *,
    mobile: str | None = None,
    name: str | None = None,
    r: int | None = None,
    f: int | None = None,
    m: int | None = None,
    scheme: str = "seed",
    value_ends: tuple[int, ...] = (1000, 2000, 3000, 4000, 5000),
    start_month: int = 4,
) -> dict[str, object]:
    """Figures from invoices with columns patient, name, mobile, date (Timestamp), status,
    quantity, net and cost (rupees, cost already times quantity)."""
    issued = invoices[invoices.status == "issued"]
    ts_start, ts_end = pd.Timestamp(start), pd.Timestamp(end)
    first_ever = issued.groupby("patient")["date"].min()
    window = issued[(issued.date >= ts_start) & (issued.date <= ts_end)]
    people = window.groupby("patient").agg(
        visits=("date", "size"),
        last=("date", "max"),
        net=("net", "sum"),
        units=("quantity", "sum"),
        cost=("cost", "sum"),
        name=("name", "first"),
        mobile=("mobile", "first"),
    )
    people["recency"] = (ts_end - people["last"]).dt.days
    people["R"] = _score(people.recency, reverse=True)
    people["F"] = _score(people.visits, reverse=False)
    people["M"] = _score(people.net, reverse=False)
    rules = SEED_RULES if scheme == "seed" else TEN_RULES
    people["segment"] = "Others"
    for label, (r0, r1), (f0, f1), (m0, m1) in reversed(rules):
        hit = people.R.between(r0, r1) & people.F.between(f0, f1) & people.M.between(m0, m1)
        people.loc[hit, "segment"] = label

    chosen = pd.Series(True, index=people.index)
    if mobile:
        chosen &= people.mobile == mobile
    if name:
        chosen &= people.name.str.casefold().str.contains(name.casefold(), regex=False)
    for column, wanted in (("R", r), ("F", f), ("M", m)):
        if wanted is not None:
            chosen &= people[column] == wanted
    picked = people[chosen]
    visits_of = window[window.patient.isin(picked.index)].sort_values("date")
    gaps = visits_of.groupby("patient")["date"].diff().dt.days.dropna()
    mean_gap = visits_of.groupby("patient")["date"].apply(
        lambda days: days.diff().dt.days.dropna().mean()
    )
    mean_gap = mean_gap.dropna()

    n = len(picked)
    kpi = {
        "total_customer": n,
        "unit_per_transaction": picked.units.sum() / picked.visits.sum() if n else 0.0,
        "profit_per_customer": (picked.net.sum() - picked.cost.sum()) / n if n else 0.0,
        "customer_spending": picked.net.sum(),
        "days_to_return": gaps.mean() if len(gaps) else 0.0,
        "retention_rate": 100 * (picked.visits >= 2).mean() if n else 0.0,
    }

    def counts(series: pd.Series, labels: list[object]) -> list[int]:
        found = series.value_counts()
        return [int(found.get(label, 0)) for label in labels]

    recency = pd.cut(
        picked.recency, [-1, 200, 400, 600, 800, 1000, np.inf], labels=False, right=True
    )
    value = pd.cut(
        picked.net, [-np.inf, *value_ends, np.inf], labels=False, right=True, include_lowest=True
    )
    gap_bucket = pd.cut(mean_gap, [0, 30, 61, 90, 181, 365, 731, np.inf], labels=False, right=False)
    fiscal_years = []
    first_fy = _fiscal_start(start, start_month)
    for year in range(first_fy, _fiscal_start(end, start_month) + 1):
        in_year = visits_of[
            visits_of.date.map(lambda d, month=start_month: _fiscal_start(d, month)) == year
        ]
        customers = in_year.patient.unique()
        new = sum(1 for p in customers if _fiscal_start(first_ever[p], start_month) == year)
        fiscal_years.append(
            {
                "customers": len(customers),
                "new": new,
                "new_percent": 100 * new / len(customers) if len(customers) else 0.0,
                "old_percent": 100 * (len(customers) - new) / len(customers)
                if len(customers)
                else 0.0,
            }
        )
    return {
        "kpi": kpi,
        "r_scores": counts(picked.R, [1, 2, 3, 4, 5]),
        "f_scores": counts(picked.F, [1, 2, 3, 4, 5]),
        "m_scores": counts(picked.M, [1, 2, 3, 4, 5]),
        "recency": counts(recency, [0, 1, 2, 3, 4, 5]),
        "visits": counts(picked.visits.clip(upper=10), list(range(1, 11))),
        "value": counts(value, list(range(len(value_ends) + 1))),
        "return_gap": counts(gap_bucket, list(range(7))),
        "segments": counts(picked.segment, [rule[0] for rule in rules] + ["Others"]),
        "fiscal_years": fiscal_years,
        "customers": picked,
    }
