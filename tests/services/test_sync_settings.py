"""Settings > Sync's service (issue #15): where the centre is, saved by an admin and
audited, the password in the keyring (an in-memory one here), never in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from db.models import AuditLog
from domain.roles import PermissionDenied
from services import auth, invoicing, sync_settings
from services.sync_settings import SyncSettings, SyncSettingsError
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart

CENTRE = SyncSettings(host="centre.chain.lan", port=5433, database="chain", role="chain_lum")


def test_an_admin_saves_the_centre_and_the_password_goes_to_the_keyring_only(
    demo_db, memory_keyring
):
    admin = auth.sign_in(demo_db, "admin", "9999")
    assert sync_settings.central_url(demo_db) is None
    assert sync_settings.pending_documents(demo_db) is None

    sync_settings.save_sync_settings(
        demo_db, admin, CENTRE, password="correct horse battery", now=NOW
    )

    assert sync_settings.sync_settings(demo_db) == CENTRE
    assert memory_keyring == {
        ("Frontdesk central", "chain_lum@centre.chain.lan:5433/chain"): "correct horse battery"
    }
    url = make_url(sync_settings.central_url(demo_db))
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "chain_lum",
        "correct horse battery",
        "centre.chain.lan",
        5433,
        "chain",
    )
    assert url.query["sslmode"] == "require"
    demo_db.close()
    assert b"correct horse battery" not in demo_db.path.read_bytes()
    with demo_db.session(write=False) as session:
        [entry] = session.scalars(select(AuditLog).where(AuditLog.action == "sync.settings"))
    assert entry.details["password_changed"] is True
    assert "correct horse" not in str(entry.details)


def test_saving_without_a_password_keeps_the_stored_one(demo_db, memory_keyring):
    admin = auth.sign_in(demo_db, "admin", "9999")
    sync_settings.save_sync_settings(demo_db, admin, CENTRE, password="first one", now=NOW)
    sync_settings.save_sync_settings(demo_db, admin, CENTRE, password=None, now=NOW)
    assert make_url(sync_settings.central_url(demo_db)).password == "first one"


def test_the_pending_figure_counts_what_waits_for_the_centre(demo_db, memory_keyring):
    admin = auth.sign_in(demo_db, "admin", "9999")
    sync_settings.save_sync_settings(demo_db, admin, CENTRE, password="pw", now=NOW)
    before = sync_settings.pending_documents(demo_db)
    desk = auth.sign_in(demo_db, "priya", "1111")
    invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)
    assert sync_settings.pending_documents(demo_db) == before + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"host": " "}, "host"),
        ({"port": 0}, "port"),
        ({"database": ""}, "database"),
        ({"role": ""}, "role"),
        ({"tls": "maybe"}, "tls"),
        ({"interval_minutes": 0}, "interval_minutes"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_field(demo_db, memory_keyring, change, field):
    admin = auth.sign_in(demo_db, "admin", "9999")
    bad = SyncSettings(**{**CENTRE.__dict__, **change})
    with pytest.raises(SyncSettingsError) as refused:
        sync_settings.save_sync_settings(demo_db, admin, bad, password="pw", now=NOW)
    assert refused.value.field == field
    assert memory_keyring == {}


def test_only_an_admin_changes_the_central_connection(demo_db, memory_keyring):
    manager = auth.sign_in(demo_db, "meera", "2222")
    with pytest.raises(PermissionDenied):
        sync_settings.save_sync_settings(demo_db, manager, CENTRE, password="pw", now=NOW)
    assert memory_keyring == {}
