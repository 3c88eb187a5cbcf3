"""A full disk while saving (SQLite's max_page_count stands in for the disk's end): a
sentence that says what to do, nothing half-written, and the next save, once there is
room, takes the next number."""

from __future__ import annotations

from sqlalchemy import event, func, select

from db.models import AuditLog, InvoiceHeader, Payment, SyncOutbox
from desktop.errors import error_sentence
from domain.payments import Method, TenderLine
from services import auth, invoicing
from services.errors import DiskFull, refusal_for
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart


def counts(db):
    with db.session(write=False) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (InvoiceHeader, Payment, AuditLog, SyncOutbox)
        )


def test_a_full_disk_saves_nothing_says_so_and_the_next_save_takes_the_next_number(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    request = cart(demo_db, "BOTOX50", "CONSULT")
    tender = [TenderLine(Method.UPI, 450_000, "UTR1")]
    first = invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=tender)
    before = counts(demo_db)
    with demo_db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

    def no_room(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(demo_db.engine, "connect", no_room)
    demo_db.engine.dispose()
    try:
        failed, last = None, first
        for _ in range(50):  # until a save needs a page the disk no longer has
            try:
                last = invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=tender)
            except Exception as exc:  # noqa: BLE001 (the error under test, whatever wraps it)
                failed = exc
                break
        assert failed is not None, "the page limit never stopped a save"
    finally:
        event.remove(demo_db.engine, "connect", no_room)
        demo_db.engine.dispose()

    assert isinstance(refusal_for(failed), DiskFull)
    assert error_sentence(failed).startswith("The disk is full, so nothing was saved.")
    saved_before_full = counts(demo_db)
    # Each save before the disk filled wrote its invoice, payment, audit entry and
    # documents; the failed one left no trace (one more of each for every saved invoice).
    saved = saved_before_full[0] - before[0]
    assert saved_before_full[1] - before[1] == saved and saved_before_full[2] - before[2] == saved
    again = invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=tender)
    assert sequence(again.invoice_number) == sequence(last.invoice_number) + 1  # no gap
    assert counts(demo_db)[0] == saved_before_full[0] + 1


def sequence(number: str) -> int:
    return int(number.rsplit("/", 1)[-1])
