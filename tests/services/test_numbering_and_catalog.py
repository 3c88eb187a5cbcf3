from datetime import date

import pytest

from services import branch, catalog
from services.numbering import allocate_invoice_number


def take(db, day, series="SVC"):
    branch_id = branch.get_branch(db).id
    with db.session(write=True) as session, session.begin():
        return allocate_invoice_number(
            session, branch_id=branch_id, series=series, invoice_date=day, start_month=4
        )


def test_numbers_follow_on_from_the_demo_history(demo_db):
    first = take(demo_db, date(2026, 11, 24))
    second = take(demo_db, date(2026, 11, 24))
    assert second.sequence == first.sequence + 1
    assert second.text == f"SVC-2026-2027-{second.sequence:05d}"


def test_a_new_fiscal_year_starts_at_one(demo_db):
    assert take(demo_db, date(2027, 4, 1)).text == "SVC-2027-2028-00001"
    assert take(demo_db, date(2027, 3, 31)).fiscal_year == "2026-2027"


def test_a_new_series_has_its_own_sequence(demo_db):
    assert take(demo_db, date(2026, 11, 24), series="PH").text == "PH-2026-2027-00001"


def test_a_rolled_back_invoice_gives_its_number_back(demo_db):
    branch_id = branch.get_branch(demo_db).id
    before = take(demo_db, date(2026, 11, 24))
    with pytest.raises(RuntimeError), demo_db.session(write=True) as session, session.begin():
        allocate_invoice_number(
            session,
            branch_id=branch_id,
            series="SVC",
            invoice_date=date(2026, 11, 24),
            start_month=4,
        )
        raise RuntimeError("power cut")
    assert take(demo_db, date(2026, 11, 24)).sequence == before.sequence + 1


@pytest.mark.parametrize("typed", ["botox50", "BOTOX50", " Botox50 "])
def test_codes_match_in_any_case(demo_db, typed):
    assert catalog.item_by_code(demo_db, typed).name == "Botox (50 units)"


def test_a_product_is_found_by_its_barcode(demo_db):
    spf = catalog.find_items(demo_db, "sunscreen")[0]
    assert spf.barcode and catalog.item_by_code(demo_db, spf.barcode).code == "SPF50"


def test_name_search_puts_exact_codes_then_name_starts_first(demo_db):
    found = [item.code for item in catalog.find_items(demo_db, "consult")]
    assert found[0] == "CONSULT" and "FOLLOWUP" in found
    peels = catalog.find_items(demo_db, "peel")
    assert len(peels) >= 5 and all("peel" in (i.code + i.name).lower() for i in peels)


def test_unknown_codes_find_nothing(demo_db):
    assert catalog.item_by_code(demo_db, "NOPE") is None
    assert catalog.find_items(demo_db, "") == []
