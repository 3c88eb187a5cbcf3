import pytest
from sqlalchemy import select

from db.models import AuditLog, SyncOutbox
from domain.patients import NewPatient, PatientDetailsError
from domain.roles import PermissionDenied
from services import auth, invoicing, patients
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def test_new_patient_is_found_by_name_and_by_mobile_prefix(demo_db, desk):
    added = patients.add_patient(
        demo_db,
        desk,
        NewPatient(name="Zubeida Quraishi", mobile="98450 12345"),
        now=NOW,
        today=TODAY,
    )
    assert [m.id for m in patients.find_patients(demo_db, "zube")] == [added.id]
    assert added.id in [m.id for m in patients.find_patients(demo_db, "9845012")]
    assert [m.id for m in patients.find_patients(demo_db, "quraishi zub")] == [added.id]


def test_every_typed_word_must_match(demo_db, desk):
    patients.add_patient(
        demo_db,
        desk,
        NewPatient(name="Zubeida Quraishi", mobile="9845012345"),
        now=NOW,
        today=TODAY,
    )
    assert patients.find_patients(demo_db, "zubeida nobodyelse") == []


def test_matches_carry_visit_history(demo_db):
    matches = patients.find_patients(demo_db, "a", limit=50)
    assert matches and any(m.visits > 1 for m in matches)
    for match in matches:
        assert (match.last_visit is None) == (match.visits == 0)


@pytest.mark.parametrize("text", ["", "  ", "--", '"'])
def test_nothing_to_search_finds_nothing(demo_db, text):
    assert patients.find_patients(demo_db, text) == []


def test_adding_a_patient_queues_it_for_the_centre_and_audits_it(demo_db, desk):
    added = patients.add_patient(
        demo_db,
        desk,
        NewPatient(name="Zubeida Quraishi", mobile="9845012345"),
        now=NOW,
        today=TODAY,
    )
    with demo_db.session(write=False) as session:
        queued = session.scalars(select(SyncOutbox).where(SyncOutbox.doc_id == added.id)).one()
        audited = session.scalars(select(AuditLog).where(AuditLog.entity_id == str(added.id))).one()
    assert queued.doc_type == "patient" and queued.payload["mobile"] == "9845012345"
    assert audited.user_id == desk.id and audited.action == "patient.add"


def test_a_refused_patient_writes_nothing(demo_db, desk):
    with pytest.raises(PatientDetailsError):
        patients.add_patient(
            demo_db, desk, NewPatient(name="Zed", mobile="123"), now=NOW, today=TODAY
        )
    assert patients.find_patients(demo_db, "zed") == []


LAKSHMI = "7992905876"  # the demo's first patient, Lakshmi Shetty


@pytest.mark.parametrize(
    "typed", ["+91 79929 05876", "079929-05876", "7992905876", "05876", "5876", "79929"]
)
def test_a_mobile_is_found_however_it_is_typed(demo_db, typed):
    assert "Lakshmi Shetty" in [m.name for m in patients.find_patients(demo_db, typed)]


def test_a_mobile_that_is_no_ones_finds_nobody(demo_db):
    assert patients.find_patients(demo_db, "+91 60000 00000") == []


def test_a_mobile_on_file_says_whose_it_is_until_the_family_is_confirmed(demo_db, desk):
    new = NewPatient(name="Ravi Shetty", mobile="+91 79929 05876")
    with pytest.raises(patients.MobileOnFile, match="7992905876 is Lakshmi Shetty's; same family"):
        patients.add_patient(demo_db, desk, new, now=NOW, today=TODAY)
    added = patients.add_patient(demo_db, desk, new, now=NOW, today=TODAY, shared_mobile=True)
    assert {m.name for m in patients.find_patients(demo_db, LAKSHMI)} >= {
        "Lakshmi Shetty",
        "Ravi Shetty",
    }
    assert added.mobile == LAKSHMI


def test_editing_a_patient_changes_details_and_consents_and_audits_what_changed(demo_db, desk):
    [lakshmi] = patients.find_patients(demo_db, LAKSHMI)
    before = patients.patient_details(demo_db, lakshmi.id)
    changed = patients.update_patient(
        demo_db,
        desk,
        lakshmi.id,
        NewPatient(
            name="Lakshmi R Shetty",
            mobile=LAKSHMI,
            email="lakshmi@example.com",
            consent_sms=True,
            consent_whatsapp=True,
        ),
        now=NOW,
        today=TODAY,
    )
    after = patients.patient_details(demo_db, lakshmi.id)
    assert changed.name == "Lakshmi R Shetty" and changed.visits == lakshmi.visits
    assert (after.email, after.consent_sms, after.consent_whatsapp) == (
        "lakshmi@example.com",
        True,
        True,
    )
    with demo_db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "patient.edit")).one()
    assert entry.details["name"] == {"from": before.name, "to": "Lakshmi R Shetty"}
    with pytest.raises(PatientDetailsError, match="GSTIN"):
        patients.update_patient(
            demo_db,
            desk,
            lakshmi.id,
            NewPatient("Lakshmi", LAKSHMI, gstin="29X"),
            now=NOW,
            today=TODAY,
        )


def test_merging_moves_invoices_and_retires_the_other_record(demo_db, desk):
    manager = auth.sign_in(demo_db, "meera", "2222")
    [lakshmi] = patients.find_patients(demo_db, LAKSHMI)
    twin = patients.add_patient(
        demo_db,
        desk,
        NewPatient(name="Laxmi Shetty", mobile="9845099999"),
        now=NOW,
        today=TODAY,
    )
    invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT", patient=twin.id), now=NOW)
    with pytest.raises(PermissionDenied):
        patients.merge_patients(demo_db, desk, lakshmi.id, twin.id, now=NOW)

    merged = patients.merge_patients(demo_db, manager, lakshmi.id, twin.id, now=NOW)

    assert merged.invoices == 1 and merged.kept.visits == lakshmi.visits + 1
    assert patients.find_patients(demo_db, "Laxmi") == []
    page = patients.patient_page(demo_db, lakshmi.id)
    assert len(page.invoices) == lakshmi.visits + 1
    assert page.spent == sum(i.payable for i in page.invoices if i.status == "issued")
    with pytest.raises(patients.PatientError):
        patients.merge_patients(demo_db, manager, lakshmi.id, lakshmi.id, now=NOW)


def test_an_edit_that_changes_nothing_records_nothing(demo_db, desk):
    [lakshmi] = patients.find_patients(demo_db, LAKSHMI)
    same = patients.patient_details(demo_db, lakshmi.id)
    patients.update_patient(demo_db, desk, lakshmi.id, same, now=NOW, today=TODAY)
    with demo_db.session(write=False) as session:
        assert (
            session.scalars(select(AuditLog).where(AuditLog.action == "patient.edit")).all() == []
        )
