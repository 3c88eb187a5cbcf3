"""The head office's view of the branches' campaigns (issue #16), read on the centre.

A branch pushes its campaigns and each campaign message (`campaign_execution`) as
documents (services.documents), with its patients and invoices. `campaign_rows` gives, per
branch campaign, what the branch's own results (services.campaigns.campaigns.
campaign_results, rule 5) give as their total, the hold-out left out:

- messages, sent (sent, delivered, replied, opted out or converted), delivered, failed,
  replied, opted out, and the messages' cost in paise;
- recipients: each arm's distinct patients, added up over the arms;
- conversions: recipients (a patient once per arm) with an invoice, issued and not
  cancelled, not imported history, made within the campaign's attribution window (whole
  days of 24 hours) after their first message in that arm that was not queued, held or
  failed (its sent time, else the campaign's launch, else its queued time); revenue: those
  invoices' totals (paise).

What the centre cannot see as the branch does, and so counts differently:

- A message travels when it ends (sent, failed, ...): those still queued, held or being
  sent at the branch are not on the centre yet, so a campaign still sending shows fewer
  messages and recipients than at the branch; once its messages have ended and the branch
  has synced the figures are the branch's.
- An invoice document names its patient by name and mobile, not by id. A recipient's
  invoices are those of the same branch whose mobile and name (spaces squeezed, any case)
  are the recipient's patient document's: the same customer of the chain's dashboard
  (db.central_dashboard's `central_visits`, brought up to date by its `catch_up` before a
  reading, and looked up by its customer index rather than every invoice read). A patient
  renamed (or given another mobile) after an invoice, one without a mobile (the dashboard
  keeps no walk-in's visits), two patients of a branch with the same name and mobile, a
  patient merged into another, and patients or invoices that never travelled (the demo
  clinic's, imported history not sent with `sync --send-history`) can make the
  conversions differ from the branch's.
- The hold-out group's messages never leave the branch, so the lift over the hold-out
  (rule 6) and the A/B decision are not computed here; nor is the budget that stopped
  trigger messages (an audit entry of the branch's).

A branch's run of the head office's campaign (services.campaigns.campaigns, rule 8) is a
campaign document of the branch's own id naming the head office's campaign
(`head_office_campaign_id`), whose messages name the head office's campaign: it is one row
per branch, as a branch's own campaign is, matched to its messages by that name.

PostgreSQL only; the connection must be the centre's owner (the head office).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.central_dashboard import Scope

# The statuses of a message that left (services.campaigns.campaigns.SENT).
_SENT = "('sent', 'delivered', 'replied', 'opted_out', 'converted')"
_NAME_KEY = "lower(regexp_replace(btrim({}), '\\s+', ' ', 'g'))"


def _query(campaigns_where: str, messages_where: str) -> str:
    return f"""
WITH campaign AS (
    SELECT c.branch_id,
           COALESCE(CAST(c.payload->>'head_office_campaign_id' AS uuid), c.id) AS campaign_id,
           c.payload->>'name' AS name,
           c.payload->>'status' AS status, c.payload->'channels' AS channels,
           CAST(COALESCE(c.payload->>'attribution_days', '30') AS integer) AS days,
           CAST(c.payload->>'launched_at' AS timestamptz) AS launched_at,
           CAST(c.payload->>'created_at' AS timestamptz) AS created_at
    FROM central_documents AS c WHERE c.doc_type = 'campaign'{campaigns_where}
),
message AS (
    SELECT e.branch_id, CAST(e.payload->>'campaign_id' AS uuid) AS campaign_id,
           CAST(e.payload->>'patient_id' AS uuid) AS patient_id,
           e.payload->>'variant' AS variant, e.payload->>'status' AS status,
           CAST(round(CAST(COALESCE(e.payload->>'cost', '0') AS numeric) * 100) AS bigint)
               AS cost,
           CAST(e.payload->>'sent_at' AS timestamptz) AS sent_at,
           CAST(e.payload->>'queued_at' AS timestamptz) AS queued_at
    FROM central_documents AS e
    WHERE e.doc_type = 'campaign_execution' AND e.payload->>'variant' <> 'holdout'{messages_where}
),
tally AS (
    SELECT branch_id, campaign_id, count(*) AS messages,
           count(*) FILTER (WHERE status IN {_SENT}) AS sent,
           count(*) FILTER (WHERE status = 'delivered') AS delivered,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'replied') AS replied,
           count(*) FILTER (WHERE status = 'opted_out') AS opted_out,
           sum(cost) AS cost
    FROM message GROUP BY branch_id, campaign_id
),
arm AS (
    SELECT branch_id, campaign_id, variant, count(DISTINCT patient_id) AS recipients
    FROM message GROUP BY branch_id, campaign_id, variant
),
reach AS (
    SELECT branch_id, campaign_id, sum(recipients) AS recipients
    FROM arm GROUP BY branch_id, campaign_id
),
start AS (
    SELECT m.branch_id, m.campaign_id, m.patient_id, m.variant, c.days,
           min(COALESCE(m.sent_at, c.launched_at, m.queued_at)) AS first_at
    FROM message AS m JOIN campaign AS c
        ON c.branch_id = m.branch_id AND c.campaign_id = m.campaign_id
    WHERE m.status NOT IN ('queued', 'held', 'failed')
    GROUP BY m.branch_id, m.campaign_id, m.patient_id, m.variant, c.days
),
person AS (
    SELECT DISTINCT s.branch_id, s.patient_id,
           CAST(md5(COALESCE(p.payload->>'mobile', '') || '|' || {_NAME_KEY.format("p.payload->>'name'")})
               AS uuid) AS customer
    FROM start AS s JOIN central_documents AS p
        ON p.doc_type = 'patient' AND p.id = s.patient_id AND p.branch_id = s.branch_id
),
bought AS (
    SELECT s.branch_id, s.campaign_id, s.patient_id, s.variant,
           sum(CAST(round(CAST(i.payload->'totals'->>'payable' AS numeric) * 100) AS bigint))
               AS revenue
    FROM start AS s
    JOIN person AS p ON p.branch_id = s.branch_id AND p.patient_id = s.patient_id
    JOIN central_visits AS v ON v.customer = p.customer AND v.branch_id = s.branch_id
        AND NOT v.cancelled
    JOIN central_documents AS i ON i.doc_type = 'invoice' AND i.id = v.invoice_id
    WHERE i.payload->>'status' = 'issued'
        AND NOT COALESCE(CAST(i.payload->>'is_history' AS boolean), false)
        AND CAST(i.payload->>'created_at' AS timestamptz)
            BETWEEN s.first_at AND s.first_at + make_interval(hours => s.days * 24)
    GROUP BY s.branch_id, s.campaign_id, s.patient_id, s.variant
),
converted AS (
    SELECT branch_id, campaign_id, count(*) AS conversions, sum(revenue) AS revenue
    FROM bought GROUP BY branch_id, campaign_id
)
SELECT b.code AS branch_code, c.branch_id, c.campaign_id, c.name, c.status, c.channels,
       c.launched_at, COALESCE(r.recipients, 0) AS recipients,
       COALESCE(t.messages, 0) AS messages, COALESCE(t.sent, 0) AS sent,
       COALESCE(t.delivered, 0) AS delivered, COALESCE(t.failed, 0) AS failed,
       COALESCE(t.replied, 0) AS replied, COALESCE(t.opted_out, 0) AS opted_out,
       COALESCE(t.cost, 0) AS cost, COALESCE(v.conversions, 0) AS conversions,
       COALESCE(v.revenue, 0) AS revenue
FROM campaign AS c
JOIN sync_branches AS b ON b.branch_id = c.branch_id
LEFT JOIN tally AS t ON t.branch_id = c.branch_id AND t.campaign_id = c.campaign_id
LEFT JOIN reach AS r ON r.branch_id = c.branch_id AND r.campaign_id = c.campaign_id
LEFT JOIN converted AS v ON v.branch_id = c.branch_id AND v.campaign_id = c.campaign_id
ORDER BY b.code, c.created_at DESC, c.name
"""


def campaign_rows(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Every campaign of the branches in `scope` (none: the chain), by branch code and
    newest first, with its totals as the module's docstring counts them (money in paise;
    `channels` a list, in the campaign's order). Call db.central_dashboard.catch_up first."""
    campaigns_where, parameters = scope.where("c.branch_id")
    messages_where, _same = scope.where("e.branch_id")
    rows = session.execute(text(_query(campaigns_where, messages_where)), parameters)
    # PostgreSQL's sums are numeric: every figure as an int.
    return [
        {k: int(v) if isinstance(v, Decimal) else v for k, v in row._mapping.items()}
        | {"channels": list(row.channels or [])}
        for row in rows
    ]
