from datetime import date

import pytest

from domain.patients import NewPatient, PatientDetailsError, normalise_mobile, validate_new_patient


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("98450 12345", "9845012345"),
        ("+91 98450-12345", "9845012345"),
        ("09845012345", "9845012345"),
    ],
)
def test_mobiles_are_kept_as_ten_digits(typed, digits):
    assert normalise_mobile(typed) == digits


@pytest.mark.parametrize("typed", ["12345", "5845012345", "98450123456"])
def test_impossible_mobiles_are_refused(typed):
    with pytest.raises(PatientDetailsError) as caught:
        normalise_mobile(typed)
    assert caught.value.field == "mobile"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"email": "meera@"}, "email"),
        ({"birth_date": date(2030, 1, 1)}, "birth_date"),
    ],
)
def test_bad_patient_details_name_their_field(change, field):
    details = NewPatient(**{"name": "Meera Nair", "mobile": "9845012345", **change})
    with pytest.raises(PatientDetailsError) as caught:
        validate_new_patient(details, today=date(2026, 11, 24))
    assert caught.value.field == field


def test_names_are_tidied_and_emails_lowered():
    clean = validate_new_patient(
        NewPatient(name="  meera   Nair ", mobile="98450 12345", email="Meera@Example.com"),
        today=date(2026, 11, 24),
    )
    assert (clean.name, clean.mobile, clean.email) == (
        "meera Nair",
        "9845012345",
        "meera@example.com",
    )
