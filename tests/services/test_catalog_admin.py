"""The manager's catalog (issue #12): items added, changed with a price from a date,
retired, imported and exported, through the services, on a real SQLite file."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import CatalogPrice, SyncOutbox
from domain.catalog import CatalogItemError
from domain.roles import PermissionDenied
from services import auth, catalog, invoicing
from services.catalog import CatalogError
from services.invoicing import CartItem, CartRequest
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient

SERUM = {
    "code": "peptide-serum",
    "name": "Peptide serum",
    "category": "Skincare products",
    "item_type": "product",
    "price": "1899",
    "cost": "900",
    "hsn_sac": "33049990",
    "taxability": "taxable",
    "tax_rate": "18",
    "max_discount_percent": "15",
    "barcode": "8901234567897",
}


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def sell(db, user, code, at):
    entry = catalog.item_by_code(db, code)
    assert entry is not None
    request = CartRequest(patient_id=a_patient(db), items=(CartItem(entry.id),))
    return invoicing.save_invoice(db, user, request, now=at)


def test_a_new_item_is_found_by_its_barcode_and_sold(demo_db, manager, desk):
    row = catalog.save_item(demo_db, manager, SERUM, now=NOW)
    assert (row.spec.code, row.spec.price, row.spec.hsn_sac) == (
        "PEPTIDE-SERUM",
        189_900,
        "33049990",
    )

    saved = sell(demo_db, desk, "8901234567897", NOW)

    [line] = saved.lines
    assert (line.item_code, line.line_total, line.hsn_sac) == ("PEPTIDE-SERUM", 189_900, "33049990")
    with demo_db.session(write=False) as session:
        docs = session.scalars(
            select(SyncOutbox.doc_type).where(SyncOutbox.doc_type == "catalog_item")
        ).all()
    assert docs == ["catalog_item"]


def test_a_price_change_from_tomorrow_leaves_today_alone(demo_db, manager, desk):
    catalog.save_item(demo_db, manager, SERUM, now=NOW)
    tomorrow = (NOW + timedelta(days=1)).date()
    row = catalog.save_item(
        demo_db,
        manager,
        {**SERUM, "price": "2099"},
        now=NOW,
        replacing="PEPTIDE-SERUM",
        price_from=tomorrow,
    )
    assert (row.spec.price, row.next_price, row.next_price_from) == (189_900, 209_900, tomorrow)

    today = sell(demo_db, desk, "PEPTIDE-SERUM", NOW)
    later = sell(demo_db, desk, "PEPTIDE-SERUM", NOW + timedelta(days=1))

    assert today.lines[0].unit_price == 189_900
    assert later.lines[0].unit_price == 209_900
    # Today's invoice, read again, keeps the price it was sold at.
    assert invoicing.invoice_by_number(demo_db, today.invoice_number).lines[0].unit_price == 189_900
    with demo_db.session(write=False) as session:
        history = session.scalars(
            select(CatalogPrice.price).order_by(CatalogPrice.effective_from)
        ).all()
    assert history[-2:] == [189_900, 209_900]


def test_a_price_cannot_change_in_the_past(demo_db, manager):
    catalog.save_item(demo_db, manager, SERUM, now=NOW)
    with pytest.raises(CatalogItemError, match="today or later"):
        catalog.save_item(
            demo_db,
            manager,
            {**SERUM, "price": "1"},
            now=NOW,
            replacing="PEPTIDE-SERUM",
            price_from=(NOW - timedelta(days=1)).date(),
        )


def test_a_retired_item_cannot_be_sold_and_stays_on_old_invoices(demo_db, manager, desk):
    catalog.save_item(demo_db, manager, SERUM, now=NOW)
    sold = sell(demo_db, desk, "PEPTIDE-SERUM", NOW)
    catalog.retire_item(demo_db, manager, "peptide-serum", now=NOW)

    assert catalog.item_by_code(demo_db, "PEPTIDE-SERUM") is None
    assert catalog.find_items(demo_db, "Peptide") == []
    assert (
        invoicing.invoice_by_number(demo_db, sold.invoice_number).lines[0].item_code
        == "PEPTIDE-SERUM"
    )
    with pytest.raises(CatalogError, match="already retired"):
        catalog.retire_item(demo_db, manager, "PEPTIDE-SERUM", now=NOW)
    codes = [r.spec.code for r in catalog.list_items(demo_db, manager, now=NOW)]
    assert "PEPTIDE-SERUM" not in codes


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "bad code"}, "code", "1 to 30 letters"),
        ({"item_type": "gadget"}, "item_type", "service or a product"),
        ({"price": "-5"}, "price", "cannot be below 0"),
        ({"price": "12.345"}, "price", "rupees and paise"),
        ({"tax_rate": "10"}, "tax_rate", "one of"),
        ({"taxability": "exempt"}, "tax_rate", "exempt item carries no GST"),
        ({"hsn_sac": "99"}, "hsn_sac", "4, 6 or 8 digits"),
        ({"max_discount_percent": "120"}, "max_discount_percent", "0 to 100"),
        ({"barcode": "12"}, "barcode", "4 to 40"),
        ({"code": "CONSULT"}, "code", "taken by another item"),
        ({"barcode": None, "name": ""}, "name", "Give the item's name"),
    ],
)
def test_bad_details_name_the_field(demo_db, manager, change, field, message):
    with pytest.raises(CatalogItemError, match=message) as refused:
        catalog.save_item(demo_db, manager, {**SERUM, **change}, now=NOW)
    assert refused.value.field == field


def test_the_front_desk_cannot_change_the_catalog(demo_db, desk):
    with pytest.raises(PermissionDenied):
        catalog.save_item(demo_db, desk, SERUM, now=NOW)


def test_export_then_import_changes_nothing_and_a_bad_row_saves_nothing(demo_db, manager, tmp_path):
    path = tmp_path / "catalog.csv"
    count = catalog.export_items(demo_db, manager, path, now=NOW)
    assert count == 40
    assert catalog.import_items(demo_db, manager, path, now=NOW) == catalog.ItemImport(0, 0, 40)

    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("NEW-ONE,New item,Facials,service,1200,100,999722,taxable,18,50,")
    lines.append("BAD-ONE,Bad item,Facials,service,abc,100,999722,taxable,18,50,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="Line 43: The price is rupees and paise"):
        catalog.import_items(demo_db, manager, path, now=NOW)
    assert catalog.item_by_code(demo_db, "NEW-ONE") is None

    path.write_text(
        "\n".join(lines[:-1]).replace(
            "Sunscreen SPF 50 (50 g),Skincare products,product,850.00",
            "Sunscreen SPF 50 (50 g),Skincare products,product,899.00",
        )
        + "\n",
        encoding="utf-8",
    )
    result = catalog.import_items(demo_db, manager, path, now=NOW)
    assert (result.added, result.changed) == (1, 1)
    spf = catalog.item_by_code(demo_db, "SPF50")
    assert spf is not None and spf.price == 89_900


def test_completing_an_item_a_history_import_left_off_sale_puts_it_on_sale(demo_db, manager):
    from sqlalchemy import update

    from db.models import CatalogItem

    catalog.save_item(demo_db, manager, SERUM, now=NOW)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(CatalogItem).where(CatalogItem.code == "PEPTIDE-SERUM").values(is_active=False)
        )
    assert catalog.item_by_code(demo_db, "PEPTIDE-SERUM") is None
    catalog.save_item(
        demo_db, manager, {**SERUM, "hsn_sac": "33049910"}, now=NOW, replacing="PEPTIDE-SERUM"
    )
    assert catalog.item_by_code(demo_db, "PEPTIDE-SERUM") is not None
