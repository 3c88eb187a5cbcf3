"""Benchmark of the callback queue: 5,000 open requests read, scored, ordered and shown.

Goal (issue #5): under 100 ms from asking for the queue to the panel's table showing it
(services.callbacks.queue, then the Qt model reset and the view laid out and painted), on
the demo clinic with 5,000 open requests of registered and unregistered people, some
assigned, some retried, waiting from minutes to days.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import BenchResult

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
OPEN_REQUESTS = 5_000
RUNS = 15
GOAL_MS = 100.0


def _fill(path: Path) -> None:
    from sqlalchemy import insert, select

    from db.models import CallbackActivity, CallbackRequest, Patient, User
    from domain.callbacks import Category, Reason, Source, Status
    from services.setup import initialise, open_branch_database

    db = open_branch_database(path, now=NOW)
    initialise(db, demo=True, now=NOW, today=TODAY)
    rng = random.Random(5)
    with db.session(write=True) as session, session.begin():
        branch_id, desk = session.execute(select(User.branch_id, User.id)).first() or (None, None)
        users = list(session.scalars(select(User.id)))
        people = list(session.execute(select(Patient.id, Patient.name, Patient.mobile)))
        requests, activities = [], []
        statuses = [Status.NEW] * 6 + [Status.ASSIGNED, Status.NO_ANSWER, Status.RESCHEDULED]
        for n in range(OPEN_REQUESTS):
            asked = NOW - timedelta(minutes=rng.randrange(1, 6 * 24 * 60))
            status = rng.choice(statuses)
            patient = rng.choice(people) if rng.random() < 0.7 else None
            request_id = uuid.UUID(int=rng.getrandbits(128))
            requests.append(
                {
                    "id": request_id,
                    "branch_id": branch_id,
                    "patient_id": patient[0] if patient else None,
                    "contact_name": patient[1] if patient else f"Caller {n}",
                    "mobile": patient[2] if patient else f"98{n:08d}",
                    "reason": rng.choice(list(Reason)).value,
                    "source": rng.choice(list(Source)).value,
                    "notes": "",
                    "requested_at": asked,
                    "created_by": desk,
                    "assigned_to": None if status is Status.NEW else rng.choice(users),
                    "status": status.value,
                    "attempts": 1 if status is Status.NO_ANSWER else 0,
                    "sla_category": rng.choice(list(Category)).value,
                    "due_at": asked + timedelta(hours=rng.randrange(1, 72)),
                    "not_before": None,
                    "created_at": asked,
                    "updated_at": asked,
                }
            )
            activities.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "callback_id": request_id,
                    "branch_id": branch_id,
                    "at": asked,
                    "user_id": desk,
                    "activity": "created",
                    "to_status": "new",
                    "note": "",
                    "details": {"seq": 1},
                }
            )
        session.execute(insert(CallbackRequest), requests)
        session.execute(insert(CallbackActivity), activities)
    db.close()


def bench_callback_queue() -> BenchResult:
    """5,000 open requests read, scored and ordered, then shown in the panel's table."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QTableView

    from desktop.models.callback_model import CallbackQueueModel
    from services import auth
    from services import callbacks as callback_service
    from services.setup import open_branch_database

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "callbacks.db"
        _fill(path)
        db = open_branch_database(path, now=NOW)
        user = auth.sign_in(db, "priya", "1111")
        model = CallbackQueueModel(user.id, "Asia/Kolkata")
        view = QTableView()
        view.setModel(model)
        view.resize(1000, 600)
        view.show()
        times, service_times, ui_times = [], [], []
        for run in range(RUNS + 2):
            began = time.perf_counter()
            snapshot = callback_service.queue(db, user, now=NOW + timedelta(seconds=run))
            read = time.perf_counter()
            model.set_snapshot(snapshot)
            app.processEvents()
            view.viewport().repaint()
            done = time.perf_counter()
            if run >= 2:  # two warm-up runs
                times.append((done - began) * 1000)
                service_times.append((read - began) * 1000)
                ui_times.append((done - read) * 1000)
        shown = model.rowCount()
        view.close()
        db.close()
    return BenchResult(
        f"callback queue: {OPEN_REQUESTS:,} open requests ordered and shown",
        statistics.median(times),
        GOAL_MS,
        "ms",
        f"median of {RUNS}; reading and scoring {statistics.median(service_times):.1f} ms "
        f"(a worker thread), model reset and paint {statistics.median(ui_times):.1f} ms "
        f"(UI thread); {shown:,} rows in the table",
        broken="" if shown == OPEN_REQUESTS else f"only {shown} rows shown",
    )
