"""Validation of a patient's details as typed at the counter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.bounds import clean_text
from domain.branch import BranchDetailsError, validate_gstin
from domain.errors import BadInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PatientDetailsError(BadInput):
    """Details that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewPatient:
    """What the counter asks of a new patient."""

    name: str
    mobile: str
    email: str = ""
    birth_date: date | None = None
    gender: str = ""
    consent_sms: bool = False
    consent_email: bool = False
    consent_whatsapp: bool = False
    gstin: str = ""


def normalise_mobile(text: str) -> str:
    """An Indian mobile as its 10 digits: '+91 98450-12345' -> '9845012345'."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] not in "6789":
        raise PatientDetailsError("mobile", "A mobile number has 10 digits and starts with 6-9")
    return digits


def validate_new_patient(details: NewPatient, *, today: date) -> NewPatient:
    """Return the details normalised, or raise PatientDetailsError naming the field to fix."""
    name = clean_text(details.name)
    if len(name) < 2:
        raise PatientDetailsError("name", "Type the patient's name")
    email = details.email.strip().lower()
    if email and not _EMAIL.match(email):
        raise PatientDetailsError("email", "This e-mail address is not complete")
    if details.birth_date and not date(1900, 1, 1) <= details.birth_date <= today:
        raise PatientDetailsError("birth_date", "The birth date cannot be in the future")
    return NewPatient(
        name=name,
        mobile=normalise_mobile(details.mobile),
        email=email,
        birth_date=details.birth_date,
        gender=details.gender.strip().lower(),
        consent_sms=details.consent_sms,
        consent_email=details.consent_email,
        consent_whatsapp=details.consent_whatsapp,
        gstin=_gstin(details.gstin),
    )


def _gstin(text: str) -> str:
    """A registered patient's (a company's) GSTIN, checked as the branch's is."""
    try:
        return validate_gstin(text)
    except BranchDetailsError as exc:
        raise PatientDetailsError("gstin", str(exc)) from exc
