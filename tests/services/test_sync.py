"""Push to the centre (issue #15), against a real PostgreSQL: the centre prepared by
`init_centre`, a role per branch with row-level security, two branch databases (real SQLite
files) that invoice, take payments and sync. These tests never skip."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, ProgrammingError

from db import central, outbox
from db.models import SyncOutbox
from domain.branch import BranchDetails
from domain.payments import Method, TenderLine
from services import auth, catalog, invoicing, patients, payments, sync
from services.invoicing import CartItem, CartRequest
from services.patients import NewPatient
from services.setup import initialise, open_branch_database
from tests.services.test_catalog_admin import SERUM

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
PASSWORD = "a long branch password"


def clock():
    return NOW


class Branch:
    """A branch database of its own, with a catalog item, a patient and a signed-in admin."""

    def __init__(self, path, code, centre_url: URL, *, gstin="", number_format=None) -> None:
        self.code = code
        self.db = open_branch_database(path, now=NOW)
        initialise(
            self.db,
            demo=False,
            now=NOW,
            today=NOW.date(),
            admin_username="admin",
            admin_pin="432109",
            details=BranchDetails(
                name=f"Branch {code}",
                address="1 Main Road",
                timezone="Asia/Kolkata",
                fiscal_year_start_month=4,
                invoice_series="SVC",
                branch_code=code,
                gstin=gstin,
                state_code="29",
                number_format=number_format,
                allow_non_compliant_numbers=number_format is not None,
            ),
        )
        self.admin = auth.sign_in(self.db, "admin", "432109")
        self.item = catalog.save_item(self.db, self.admin, SERUM, now=NOW)
        self.patient = patients.add_patient(
            self.db,
            self.admin,
            NewPatient(name=f"Patient of {code}", mobile=f"98450{abs(hash(code)) % 100000:05d}"),
            now=NOW,
            today=NOW.date(),
        )
        with self.db.session(write=False) as session:
            from services.branch import this_branch_id

            self.id = this_branch_id(session)
        role = sync.add_branch(
            centre_url.render_as_string(hide_password=False),
            branch_id=self.id,
            code=code,
            password=PASSWORD,
        )
        self.url = centre_url.set(username=role, password=PASSWORD).render_as_string(
            hide_password=False
        )

    def sell(self, *, paid: bool) -> invoicing.InvoiceDocument:
        entry = catalog.item_by_code(self.db, SERUM["code"])
        assert entry is not None
        request = CartRequest(patient_id=self.patient.id, items=(CartItem(entry.id),))
        saved = invoicing.save_invoice(self.db, self.admin, request, now=NOW)
        if paid:
            payments.take_payment(
                self.db,
                self.admin,
                saved.invoice_number,
                [TenderLine(Method.UPI, saved.total_amount, "UTR1")],
                now=NOW,
            )
        return saved

    def outbox(self) -> list[SyncOutbox]:
        with self.db.session(write=False) as session:
            return list(session.scalars(select(SyncOutbox).order_by(SyncOutbox.id)))

    def sync(self, **options) -> sync.SyncResult:
        return sync.sync_round(self.db, self.url, now=clock, backoff=(), **options)


@pytest.fixture
def branches(tmp_path, centre):
    made = [Branch(tmp_path / f"{code}.db", code, centre) for code in ("IND", "KOR")]
    yield made
    for branch in made:
        branch.db.close()


def central_rows(centre_url: URL) -> list[tuple]:
    engine = create_engine(centre_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    text(
                        "SELECT doc_type, id, branch_id, outbox_id, payload, received_at "
                        "FROM central_documents ORDER BY branch_id, outbox_id"
                    )
                )
            )
    finally:
        engine.dispose()


def expected_keys(branch: Branch) -> set[tuple[str, uuid.UUID]]:
    return {(row.doc_type, row.doc_id) for row in branch.outbox()}


def test_two_branches_invoice_take_payments_and_the_centre_holds_every_document_once(
    centre, branches
):
    a, b = branches
    sold = [a.sell(paid=True), a.sell(paid=False), b.sell(paid=True)]

    results = [a.sync(batch_size=3), b.sync(batch_size=3)]

    assert [r.rejected for r in results] == [[], []]
    assert [r.pending for r in results] == [0, 0]
    assert [sync.pending_count(x.db) for x in branches] == [0, 0]
    rows = central_rows(centre)
    keys = [(row.doc_type, row.id) for row in rows]
    assert len(keys) == len(set(keys))
    for branch in branches:
        assert {(r.doc_type, r.id) for r in rows if r.branch_id == branch.id} == expected_keys(
            branch
        )
        assert all(row.sent_at is not None for row in branch.outbox())
    invoices = {row.payload["invoice_number"] for row in rows if row.doc_type == "invoice"}
    assert invoices == {s.invoice_number for s in sold}
    assert sum(row.doc_type == "payment" for row in rows) == 2
    engine = create_engine(centre)
    with engine.connect() as connection:
        for branch in branches:
            assert central.ledger(connection, branch.id) == branch.outbox()[-1].id
    engine.dispose()


def test_the_same_batch_sent_twice_stores_nothing_twice(centre, branches):
    a, _ = branches
    a.sell(paid=True)
    batch = [outbox.outgoing(row) for row in a.outbox()]
    engine = create_engine(a.url)
    try:
        outcomes = []
        for _ in range(2):
            with engine.begin() as connection:
                outcomes.append(central.push_batch(connection, a.id, batch))
    finally:
        engine.dispose()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0].rejected == {}
    assert sorted(outcomes[0].accepted) == [d.outbox_id for d in batch]
    rows = central_rows(centre)
    assert len(rows) == len(expected_keys(a))


def test_a_changing_document_twice_in_a_batch_is_stored_at_its_later_version(centre, branches):
    # A document that changes (a patient's details, say) written twice before a push comes
    # twice in one batch: both outbox rows are accepted and the centre keeps the later one.
    a, _ = branches
    a.sell(paid=True)
    batch = [outbox.outgoing(row) for row in a.outbox()]
    patient = uuid.uuid4()
    first, last = batch[-1].outbox_id + 1, batch[-1].outbox_id + 2
    for outbox_id, version in ((first, 1), (last, 2)):
        batch.append(
            central.OutgoingDocument(
                outbox_id=outbox_id,
                doc_type="patient",
                doc_id=patient,
                doc_version=version,
                payload_json=f'{{"id": "{patient}", "version": {version}}}',
                created_at=clock(),
            )
        )
    engine = create_engine(a.url)
    try:
        with engine.begin() as connection:
            outcome = central.push_batch(connection, a.id, batch)
    finally:
        engine.dispose()
    assert outcome.rejected == {}
    assert sorted(outcome.accepted) == [d.outbox_id for d in batch]
    stored = [row for row in central_rows(centre) if row.id == patient]
    assert [(row.outbox_id, row.payload["version"]) for row in stored] == [(last, 2)]


def test_a_document_id_another_branch_holds_is_refused_and_the_rest_kept(centre, branches):
    # DO NOTHING skips a key another branch holds, and row-level security hides that row:
    # the statement wrote fewer rows than it was given, so each is looked for again.
    a, b = branches
    a.sell(paid=True)
    b.sell(paid=True)
    taken = [outbox.outgoing(row) for row in a.outbox()]
    own = [outbox.outgoing(row) for row in b.outbox()]
    theirs = next(d for d in taken if d.doc_type == "invoice")  # stored once, never updated
    mine = next(d for d in own if d.doc_type == "invoice")
    clash = replace(mine, doc_id=theirs.doc_id)
    rest = [d for d in own if d is not mine]
    engines = [create_engine(a.url), create_engine(b.url)]
    try:
        with engines[0].begin() as connection:
            central.push_batch(connection, a.id, taken)
        with engines[1].begin() as connection:
            outcome = central.push_batch(connection, b.id, [clash, *rest])
    finally:
        for engine in engines:
            engine.dispose()
    assert outcome.rejected == {
        clash.outbox_id: f"the centre holds another branch's {clash.doc_type} with this id"
    }
    assert sorted(outcome.accepted) == sorted(d.outbox_id for d in rest)


def test_a_round_whose_commit_the_branch_never_heard_of_is_repeated_without_duplicates(
    centre, branches
):
    a, _ = branches
    a.sell(paid=True)
    first = a.sync()
    before = central_rows(centre)
    # The centre committed but the answer was lost: the branch still has every row unsent.
    with a.db.session(write=True) as session, session.begin():
        session.execute(update(SyncOutbox).values(sent_at=None))
    a.sell(paid=False)

    again = a.sync()

    after = central_rows(centre)
    assert first.pushed == len(before)
    assert again.pushed == len(a.outbox())
    assert len(after) == len({(r.doc_type, r.id) for r in after}) == len(expected_keys(a))
    # What was there already was kept as it was received, not written again.
    kept = {(r.doc_type, r.id): r.received_at for r in after}
    assert all(kept[(r.doc_type, r.id)] == r.received_at for r in before)
    assert sync.pending_count(a.db) == 0


def test_a_document_the_centre_refuses_needs_attention_and_does_not_block_the_rest(
    centre, branches
):
    a, _ = branches
    a.sell(paid=True)
    rows = a.outbox()
    bad = rows[1]
    # PostgreSQL's jsonb cannot hold a NUL character: the centre refuses this payload.
    with a.db.session(write=True) as session, session.begin():
        session.execute(
            update(SyncOutbox)
            .where(SyncOutbox.id == bad.id)
            .values(payload={**bad.payload, "note": "pasted\u0000text"})
        )

    result = a.sync()

    assert [x.outbox_id for x in result.rejected] == [bad.id]
    [attention] = sync.needs_attention(a.db)
    assert (attention.outbox_id, attention.doc_type) == (bad.id, bad.doc_type)
    assert "\\u0000 cannot be converted to text" in attention.reason
    assert result.pushed == len(rows) - 1
    assert sync.pending_count(a.db) == 0
    stored = {(r.doc_type, r.id) for r in central_rows(centre)}
    assert stored == expected_keys(a) - {(bad.doc_type, bad.doc_id)}
    # The next round does not send it again, and the ledger is past it.
    assert a.sync().pushed == 0

    # Once the cause is fixed (here: the payload mended), it is queued again and sent.
    with a.db.session(write=True) as session, session.begin():
        session.execute(
            update(SyncOutbox).where(SyncOutbox.id == bad.id).values(payload=bad.payload)
        )
    assert sync.send_again(a.db) == 1
    assert sync.needs_attention(a.db) == []
    assert a.sync().pushed == 1
    assert {(r.doc_type, r.id) for r in central_rows(centre)} == expected_keys(a)


def refused(engine, statement, words):
    """Run `statement` in its own transaction and expect PostgreSQL to refuse it."""
    with pytest.raises(ProgrammingError, match=words), engine.begin() as connection:
        connection.execute(statement)


def test_branch_a_cannot_insert_or_change_branch_b_rows(centre, branches):
    a, b = branches
    b.sell(paid=True)
    b.sync()
    [b_invoice] = [r for r in central_rows(centre) if r.doc_type == "invoice"]
    engine = create_engine(a.url)
    row = {
        "doc_type": "invoice",
        "id": uuid.uuid4(),
        "branch_id": b.id,
        "doc_version": 1,
        "outbox_id": 1,
        "payload": {"invoice_number": "FAKE/1"},
        "created_at": NOW,
    }
    try:
        refused(engine, central.central_documents.insert().values(row), "row-level security")
        refused(
            engine,
            central.sync_ledger.insert().values(branch_id=b.id, last_outbox_id=9),
            "row-level security",
        )
        with engine.begin() as connection:
            # B's rows are invisible to A: an update finds nothing to change...
            changed = connection.execute(
                update(central.central_documents)
                .where(central.central_documents.c.id == b_invoice.id)
                .values(payload={"invoice_number": "CHANGED"})
            )
            assert changed.rowcount == 0
            counted = select(func.count()).select_from(central.central_documents)
            assert connection.execute(counted).scalar() == 0
        refused(engine, central.central_documents.delete(), "permission denied")
        refused(engine, text("SELECT count(*) FROM patients"), "permission denied")
        with engine.connect() as connection:
            # The centre's staff: only those published to every branch (none here).
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0
        # ...and A cannot hand one of its own rows over to B either.
        a.sell(paid=False)
        a.sync()
        refused(
            engine,
            update(central.central_documents).values(branch_id=b.id),
            "row-level security",
        )
    finally:
        engine.dispose()
    [still] = [r for r in central_rows(centre) if r.id == b_invoice.id]
    assert still.payload == b_invoice.payload


def test_the_centre_stamps_the_receive_time_not_the_branch(centre, branches):
    a, _ = branches
    engine = create_engine(a.url)
    claimed = NOW - timedelta(days=400)
    try:
        with engine.begin() as connection:
            connection.execute(
                central.central_documents.insert(),
                {
                    "doc_type": "invoice",
                    "id": uuid.uuid4(),
                    "branch_id": a.id,
                    "doc_version": 1,
                    "outbox_id": 1,
                    "payload": {},
                    "created_at": NOW,
                    "received_at": claimed,
                },
            )
            stamped = connection.execute(
                text("SELECT received_at, now() FROM central_documents")
            ).one()
    finally:
        engine.dispose()
    assert stamped[0] == stamped[1]
    assert stamped[0] != claimed


@pytest.mark.parametrize(
    ("revision", "words"),
    [("0007", "upgrade the centre"), ("9999_future", "upgrade Frontdesk on this branch")],
)
def test_a_centre_on_another_schema_is_refused_saying_which_side_to_upgrade(
    centre, branches, revision, words
):
    a, _ = branches
    a.sell(paid=False)
    engine = create_engine(centre)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()

    with pytest.raises(sync.SyncFailed, match=words):
        a.sync()

    assert sync.pending_count(a.db) == len(a.outbox())
    assert central_rows(centre) == []


def test_a_second_worker_for_the_same_branch_does_nothing(centre, branches):
    a, _ = branches
    a.sell(paid=True)
    engine = create_engine(centre)
    with engine.connect() as holder:
        with holder.begin():
            assert central.try_lock(holder, a.id)
        busy = a.sync()
        with holder.begin():
            central.unlock(holder, a.id)
    engine.dispose()
    assert busy.busy and busy.pushed == 0
    assert sync.pending_count(a.db) == len(a.outbox())
    with sync.FileLock(sync._lock_path(a.db), timeout=0):
        assert a.sync().busy
    assert a.sync().pushed == len(a.outbox())


def test_an_unreachable_centre_is_retried_with_backoff_then_fails(tmp_path, centre, branches):
    a, _ = branches
    a.sell(paid=False)
    waits = []
    nowhere = f"postgresql://{a.code.lower()}@/centre?host={tmp_path / 'no-server-here'}"

    with pytest.raises(sync.SyncFailed, match="Could not reach the centre"):
        sync.sync_round(a.db, nowhere, now=clock, backoff=(0.25, 0.5), sleep=waits.append)

    assert waits == [0.25, 0.5]
    assert sync.pending_count(a.db) == len(a.outbox())


def test_a_refusal_is_told_from_a_lost_connection():
    class Original(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    def error(state):
        return DBAPIError("INSERT", {}, Original(state))

    assert central.is_rejection(error("23505"))
    assert central.is_rejection(error("22P05"))
    assert central.is_rejection(error("42501"))
    assert not central.is_rejection(error("08006"))
    assert not central.is_rejection(error("57P01"))
    assert not central.is_rejection(error("42P01"))


def test_a_branch_whose_clock_is_a_day_off_is_told_so_and_still_syncs(centre, branches):
    a, _ = branches
    a.sell(paid=True)
    # The branch's clock against the centre's: nothing is ordered by it, but it is shown.
    right = sync.sync_round(a.db, a.url, now=lambda: datetime.now(UTC), backoff=())
    assert right.clock_warning is None
    a.sell(paid=False)

    wrong = sync.sync_round(
        a.db, a.url, now=lambda: datetime.now(UTC) - timedelta(days=1), backoff=()
    )

    assert wrong.clock_warning is not None
    assert "behind the centre's" in wrong.clock_warning
    assert wrong.clock_warning in wrong.sentence()
    assert wrong.pushed >= 1 and sync.pending_count(a.db) == 0


def test_an_invoice_number_already_used_under_the_same_gstin_and_year_is_refused(tmp_path, centre):
    # Two branches under one GSTIN whose numbers leave out the branch code (GST's rule 46
    # wants them unique in the year for the GSTIN): the second one's first invoice clashes.
    shared = {"gstin": "29ABCDE1234F1ZW", "number_format": "{FY}/{SEQ}"}
    a = Branch(tmp_path / "a.db", "JAY", centre, **shared)
    b = Branch(tmp_path / "b.db", "WHF", centre, **shared)
    try:
        first, second = a.sell(paid=False), b.sell(paid=False)
        assert first.invoice_number == second.invoice_number
        assert a.sync().rejected == []

        result = b.sync()

        [refused] = result.rejected
        assert refused.doc_type == "invoice" and refused.doc_id == second.id
        assert refused.reason.startswith(
            f"number {second.invoice_number} is already used in 2026-2027 under 29ABCDE1234F1ZW"
        )
        assert sync.pending_count(b.db) == 0
        stored = central_rows(centre)
        assert [r.branch_id for r in stored if r.doc_type == "invoice"] == [a.id]
        assert sum(r.branch_id == b.id for r in stored) == len(b.outbox()) - 1
    finally:
        a.db.close()
        b.db.close()
