import pytest
from sqlalchemy import select

from db.models import AuditLog, SyncOutbox
from domain.patients import NewPatient, PatientDetailsError
from services import auth, patients
from tests.services.conftest import NOW, TODAY


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
