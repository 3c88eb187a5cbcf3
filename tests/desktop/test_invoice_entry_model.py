"""The cart's table model, its formatting, and how a scanner is told apart from a person."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt

from desktop.models.cart_model import (
    AMOUNT,
    BADGE_ROLE,
    COLUMNS,
    DISCOUNT,
    ITEM,
    NUMBER,
    PRICE,
    QTY,
    CartModel,
    amount_text,
)
from desktop.panels.invoice_entry import mobile_text, short_date, visits_text
from desktop.widgets.barcode_scanner import is_gtin
from desktop.widgets.new_patient import split_search_text
from services import catalog, invoicing
from services.invoicing import CartRequest
from services.patients import PatientMatch
from tests.desktop.helpers import NOW


def entry(db, code):
    found = catalog.item_by_code(db, code)
    assert found is not None
    return found


def priced_model(db, user, *codes) -> CartModel:
    model = CartModel()
    for code in codes:
        model.add(entry(db, code))
    quote = invoicing.quote(db, user, CartRequest(None, model.items()), now=NOW)
    model.apply_prices(quote.priced)
    return model


def test_the_cart_model_passes_qts_model_checks(qtmodeltester, db, front_desk):
    model = priced_model(db, front_desk, "BOTOX50", "CONSULT", "SPF50")
    qtmodeltester.check(model)

    model.set_quantity(model.row(2).uid, 3)
    model.remove(0)
    model.add(entry(db, "LIPBALM"))
    qtmodeltester.check(model)
    model.clear()
    qtmodeltester.check(model)


def test_a_priced_cart_shows_amounts_right_aligned_and_the_badge_under_the_item(db, front_desk):
    model = priced_model(db, front_desk, "BOTOX50", "CONSULT")

    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == list(COLUMNS)
    assert [model.index(1, c).data() for c in range(6)] == [
        "2",
        "Consultation",
        "1",
        "500.00",
        "100%  -500.00",
        "0.00",
    ]
    assert model.index(0, AMOUNT).data() == "4,500.00"
    assert model.index(1, ITEM).data(BADGE_ROLE) == "Rs.500 Free (PREMIUM_CONSULT)"
    right = model.index(0, PRICE).data(Qt.ItemDataRole.TextAlignmentRole)
    assert right & Qt.AlignmentFlag.AlignRight
    assert model.index(0, NUMBER).flags() & Qt.ItemFlag.ItemIsEditable == Qt.ItemFlag.NoItemFlags
    assert model.index(0, QTY).flags() & Qt.ItemFlag.ItemIsEditable


def test_quantities_and_discounts_typed_in_cells_are_only_proposed(db):
    model = CartModel()
    model.add(entry(db, "PEEL-GLY"))
    quantities, discounts = [], []
    model.quantity_proposed.connect(lambda uid, quantity: quantities.append((uid, quantity)))
    model.discount_proposed.connect(lambda uid, pct: discounts.append((uid, pct)))
    uid = model.row(0).uid

    assert not model.setData(model.index(0, QTY), 4)
    assert not model.setData(model.index(0, QTY), 0)
    assert not model.setData(model.index(0, QTY), "many")
    assert quantities == [(uid, 4), (uid, 0)]  # the counter's session decides
    assert model.row(0).quantity == 1
    assert not model.setData(model.index(0, DISCOUNT), "12.5%")
    assert discounts == [(uid, Decimal("12.5"))]
    assert model.row(0).manual_discount_percent is None

    assert model.set_quantity(uid, 4)
    assert model.index(0, AMOUNT).data() == "7,200.00"
    assert not model.set_quantity(uid, 0)  # at least one

    model.set_read_only(True)
    assert not model.setData(model.index(0, QTY), 2)
    assert quantities == [(uid, 4), (uid, 0)]
    assert not model.index(0, QTY).flags() & Qt.ItemFlag.ItemIsEditable


def test_a_quote_for_another_cart_is_refused(db, front_desk):
    model = priced_model(db, front_desk, "CONSULT")
    other = invoicing.quote(
        db,
        front_desk,
        CartRequest(None, priced_model(db, front_desk, "CONSULT", "MOLE").items()),
        now=NOW,
    )
    with pytest.raises(ValueError):
        model.apply_prices(other.priced)
    assert model.rowCount(model.index(0, 0)) == 0 and model.rowCount(QModelIndex()) == 1


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("4006381333932", False),  # a wrong check digit
        ("4006381333931", True),  # EAN-13
        ("96385074", True),  # EAN-8
        ("036000291452", True),  # UPC-A
        ("9845012345", False),  # a mobile number
        ("12345", False),
    ],
)
def test_only_real_barcodes_count_as_scans(code, valid):
    assert is_gtin(code) is valid


def test_amounts_dates_and_mobiles_read_the_indian_way():
    assert amount_text(1_00_00_000) == "1,00,000.00"
    assert mobile_text("9845012345") == "98450 12345"
    today = date(2026, 11, 24)
    assert short_date(date(2026, 3, 12), today) == "12 Mar"
    assert short_date(date(2025, 3, 12), today) == "12 Mar 2025"
    patient = PatientMatch(
        id=None,
        name="Meera Nair",
        mobile="9845012345",
        visits=6,  # type: ignore[arg-type]
        last_visit=date(2026, 3, 12),
    )
    assert visits_text(patient, today) == "last visit 12 Mar, 6 visits"
    assert split_search_text("meera 98450") == ("Meera", "98450")
