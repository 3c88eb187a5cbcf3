from dataclasses import replace

import pytest

from domain.branch import BranchDetails, BranchDetailsError, validate_branch, validate_gstin
from domain.roles import PermissionDenied, Role, has_role, require_role

GOOD = BranchDetails(
    name=" Indiranagar ",
    address="12 100 Feet Road",
    gstin="29abcde1234f1zw",
    timezone="Asia/Kolkata",
    fiscal_year_start_month=4,
    invoice_series="svc",
)


@pytest.mark.parametrize(
    ("actual", "needed", "allowed"),
    [
        (Role.FRONT_DESK, Role.FRONT_DESK, True),
        (Role.FRONT_DESK, Role.MANAGER, False),
        (Role.MANAGER, Role.MANAGER, True),
        (Role.MANAGER, Role.ADMIN, False),
        (Role.ADMIN, Role.MANAGER, True),
    ],
)
def test_each_role_includes_the_ones_below(actual, needed, allowed):
    assert has_role(actual, needed) is allowed


def test_refusal_names_the_role_needed():
    with pytest.raises(PermissionDenied, match="needs a manager"):
        require_role(Role.FRONT_DESK, Role.MANAGER, "Changing the branch's details")


def test_valid_details_come_back_normalised():
    clean = validate_branch(GOOD)
    assert (clean.name, clean.gstin, clean.invoice_series) == (
        "Indiranagar",
        "29ABCDE1234F1ZW",
        "SVC",
    )


@pytest.mark.parametrize("gstin", ["27AAPFU0939F1ZV", "29ABCDE1234F1ZW", ""])
def test_gstins_with_a_matching_check_character_pass(gstin):
    assert validate_gstin(gstin) == gstin


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"gstin": "29ABCDE1234F1ZX"}, "gstin"),
        ({"gstin": "12345"}, "gstin"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"fiscal_year_start_month": 0}, "fiscal_year_start_month"),
        ({"invoice_series": "S-1"}, "invoice_series"),
    ],
)
def test_each_bad_detail_names_its_field(change, field):
    with pytest.raises(BranchDetailsError) as caught:
        validate_branch(replace(GOOD, **change))
    assert caught.value.field == field
