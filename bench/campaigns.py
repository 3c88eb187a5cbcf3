"""Benchmarks of campaigns (issue #16): an audience over 100,000 patients counted while it
is built (goal: under 300 ms a change), and 10,000 messages rendered and queued by a launch
(goal: under 5 s). The patients are written with sqlite3 into a copy of the demo clinic:
half of them agreed to promotional SMS, one in fifty is on do-not-contact."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import BenchResult

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
PATIENTS = 100_000
MESSAGES = 10_000


def _fill(path: Path) -> None:
    """100,000 patients, half with an SMS grant in the consent ledger, 2% blocked."""
    from services.setup import initialise, open_branch_database

    db = open_branch_database(path, now=NOW)
    initialise(db, demo=True, now=NOW, today=TODAY)
    db.close()
    con = sqlite3.connect(path)
    [branch] = con.execute("SELECT id FROM branches LIMIT 1").fetchone()
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.000000")
    patients, grants, blocks = [], [], []
    for n in range(PATIENTS):
        pid = uuid.UUID(int=n + 1).hex
        born = date(1960 + n % 45, 1 + n % 12, 1 + n % 28).isoformat()
        patients.append((pid, branch, f"Bench Patient {n}", f"7{n:09d}", born, stamp, stamp))
        if n % 2 == 0:
            grants.append((uuid.uuid4().hex, branch, pid, stamp))
        if n % 50 == 0:
            blocks.append((uuid.uuid4().hex, branch, pid, stamp))
    with con:
        con.executemany(
            "INSERT INTO patients (id, branch_id, name, mobile, birth_date, created_at, "
            "updated_at, consent_sms, consent_email, consent_whatsapp, gstin, is_walk_in) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, '', 0)",
            patients,
        )
        con.executemany(
            "INSERT INTO consent_ledger (id, branch_id, patient_id, channel, purpose, action, "
            "notice, source, at) VALUES (?, ?, ?, 'sms', 'promotional', 'granted', '', "
            "'import', ?)",
            grants,
        )
        con.executemany(
            "INSERT INTO do_not_contact (id, branch_id, patient_id, channel, reason, comment, "
            "at) VALUES (?, ?, ?, 'sms', 'manual', '', ?)",
            blocks,
        )
    con.close()


def _template(db, manager) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from services.campaigns import templates

    spec = {
        "name": "Bench SMS",
        "channel": "sms",
        "body": "Dear {{ first_name }}, {{ clinic_name }} misses you. Call {{ clinic_phone }}.",
    }
    return templates.add_template(db, manager, templates.parse_spec(spec), now=NOW)


def bench_audience_count() -> BenchResult:
    """Counting an audience over 100,000 patients as its filters change."""
    from services import auth
    from services.campaigns import audiences
    from services.setup import open_branch_database

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        _fill(path)
        db = open_branch_database(path, now=NOW)
        manager = auth.sign_in(db, "meera", "2222")
        changes = [
            audiences.AudienceSpec(),
            audiences.AudienceSpec(last_visit_older_than_days=90),
            audiences.AudienceSpec(birthday_within_days=7),
            audiences.AudienceSpec(spent_more_than="1000"),
            audiences.AudienceSpec(visited_item="CONSULT"),
        ]
        times, reachable = [], 0
        for _round in range(3):
            for spec in changes:
                began = time.perf_counter()
                count = audiences.count_audience(db, manager, spec, "sms", today=TODAY, now=NOW)
                times.append((time.perf_counter() - began) * 1000)
                reachable = max(reachable, count.reachable)
        db.close()
    return BenchResult(
        f"campaign audience over {PATIENTS:,} patients: one change counted",
        statistics.median(times),
        300.0,
        "ms",
        f"slowest {max(times):.0f} ms over {len(times)} changes; {reachable:,} reachable",
    )


def bench_launch_10k() -> BenchResult:
    """10,000 messages rendered and queued by one launch."""
    from services import auth
    from services.campaigns import campaigns
    from services.setup import open_branch_database

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        _fill(path)
        db = open_branch_database(path, now=NOW)
        manager = auth.sign_in(db, "meera", "2222")
        template_id = _template(db, manager)
        con = sqlite3.connect(path)
        ids = [
            str(uuid.UUID(hex=row[0]))
            for row in con.execute(
                "SELECT patient_id FROM consent_ledger ORDER BY patient_id LIMIT ?", (MESSAGES,)
            )
        ]
        con.close()
        spec = campaigns.parse_spec(
            {
                "name": "Bench launch",
                "variants": {
                    "A": {"template": str(template_id)},
                    "B": {"template": str(template_id)},
                },
                "audience": {"patients": ids},
            }
        )
        campaign_id = campaigns.create_campaign(db, manager, spec, now=NOW)
        began = time.perf_counter()
        launched = campaigns.launch_campaign(
            db, manager, campaign_id, today=TODAY, now=NOW + timedelta(minutes=1)
        )
        took = time.perf_counter() - began
        db.close()
    return BenchResult(
        f"campaign launch: {MESSAGES:,} messages rendered and queued",
        took,
        5.0,
        "s",
        f"{launched.queued:,} queued",
        broken="" if launched.queued > 0.9 * MESSAGES else f"only {launched.queued} queued",
    )
