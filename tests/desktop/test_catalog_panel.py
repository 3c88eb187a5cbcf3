"""The Catalog panel (manager), driven through its real widgets on the demo clinic's
database: add an item that the counter then scans and sells, a price from tomorrow, a
refused value, retire, CSV out and back in, and the keyboard alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QLineEdit, QMessageBox

from desktop.models.catalog_model import CatalogModel, status_of
from desktop.panels.catalog import CatalogPanel
from desktop.panels.invoice_entry import InvoiceEntryPanel
from services import catalog as catalog_service
from services import invoicing
from tests.desktop.helpers import NOW, TODAY, save_screenshot
from tests.desktop.test_invoice_entry import a_patient, pick_patient, settle
from tests.desktop.test_settings_panel import SIZES, clipped_texts
from tests.desktop.test_tab_order import assert_tab_reaches_everything

CTRL = Qt.KeyboardModifier.ControlModifier
WAIT_MS = 10_000
BARCODE = "8901234567897"
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture
def catalog(qtbot, open_main_window, manager):
    """The main window at 1366x768 on the Catalog panel, signed in as the manager."""
    window = open_main_window(manager)
    window.show_panel("catalog")
    panel = window.panel("catalog")
    assert isinstance(panel, CatalogPanel)
    idle(qtbot, panel)
    return window, panel


def idle(qtbot, panel: CatalogPanel) -> None:
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def focused():
    return QApplication.focusWidget()


def type_into(qtbot, widget, text: str) -> None:
    """Replace what `widget` (a line edit or an editable combo) holds by typing `text`."""
    edit = widget.lineEdit() if isinstance(widget, QComboBox) else widget
    assert isinstance(edit, QLineEdit)
    edit.setFocus(Qt.FocusReason.TabFocusReason)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not offered"
    combo.setCurrentIndex(index)


def fill_serum(qtbot, panel: CatalogPanel, **changes: str) -> None:
    """Fill the form with a new skincare product, as a manager types it."""
    values = {
        "code": "peptide-serum",
        "name": "Peptide serum",
        "category": "Skincare products",
        "price": "1899",
        "cost": "900",
        "hsn_sac": "33049990",
        "max_discount_percent": "15",
        "barcode": BARCODE,
        **changes,
    }
    for field, text in values.items():
        type_into(qtbot, panel.form.inputs[field], text)
    choose(panel.type_combo, "Product")
    choose(panel.gst_combo, "Taxable at 18%")


def save(qtbot, panel: CatalogPanel) -> None:
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)


def table_texts(panel: CatalogPanel, column: int) -> list[str]:
    return panel.model.column_texts(column)


def row_of(panel: CatalogPanel, code: str):
    index = panel.model.row_of(code)
    assert index >= 0, f"{code} is not in the table"
    return panel.model.row(index)


def scan_and_sell(qtbot, db, desk):
    """At the counter of `desk` (the front desk's window): pick a patient, scan the new
    item's barcode, save with Ctrl+S; the invoice's one line as saved."""
    assert "catalog" not in desk.panel_keys()  # the front desk has no Catalog panel
    counter = desk.panel("invoice")
    assert isinstance(counter, InvoiceEntryPanel)
    pick_patient(qtbot, counter, a_patient(db))
    qtbot.keyClicks(counter.item_field, BARCODE)
    qtbot.keyClick(counter.item_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.cart.rowCount() == 1, timeout=WAIT_MS)
    settle(qtbot, counter)
    with qtbot.waitSignal(counter.invoice_saved, timeout=WAIT_MS):
        counter.save()  # the payment step
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, CTRL)  # cash, saved
    settle(qtbot, counter)
    document = counter.saved_invoice()
    assert document is not None
    [line] = invoicing.invoice_by_number(db, document.invoice_number).lines
    return line


# -- the model ---------------------------------------------------------------------------


def test_the_table_model_passes_qts_model_checks(qtmodeltester, db, manager):
    model = CatalogModel()
    qtmodeltester.check(model)
    model.set_rows(catalog_service.list_items(db, manager, now=NOW, include_retired=True))
    qtmodeltester.check(model)
    assert model.rowCount() == 40


def test_an_item_switched_off_shows_as_off_sale(db, manager):
    [row] = catalog_service.list_items(db, manager, now=NOW, category="Consultation")[:1]
    assert status_of(row) == "Active"
    assert status_of(replace(row, is_active=False)) == "Off sale"
    assert status_of(replace(row, is_active=False, retired=True)) == "Retired"


# -- adding an item, then selling it at the counter ---------------------------------------


def test_an_item_added_with_a_barcode_is_scanned_and_sold_at_the_counter(
    qtbot, db, catalog, front_desk, open_main_window
):
    window, panel = catalog
    qtbot.keyClick(focused(), Qt.Key.Key_N, CTRL)
    assert focused() is panel.code_edit and panel.heading.text() == "New item"
    fill_serum(qtbot, panel)
    with qtbot.waitSignal(panel.item_saved, timeout=WAIT_MS) as saved:
        save(qtbot, panel)
    assert saved.args == ["PEPTIDE-SERUM"]
    qtbot.waitUntil(lambda: panel.model.row_of("PEPTIDE-SERUM") >= 0, timeout=WAIT_MS)
    idle(qtbot, panel)
    assert panel.save_status.text() == "Added PEPTIDE-SERUM at 11:00."
    assert panel.heading.text() == "PEPTIDE-SERUM"
    row = row_of(panel, "PEPTIDE-SERUM")
    shown = {
        panel.model.headerData(c, Qt.Orientation.Horizontal): panel.model.index(
            panel.model.row_of("PEPTIDE-SERUM"), c
        ).data()
        for c in range(panel.model.columnCount())
    }
    assert shown == {
        "Code": "PEPTIDE-SERUM",
        "Name": "Peptide serum",
        "Category": "Skincare products",
        "Type": "Product",
        "Price (Rs.)": "1,899.00",
        "GST": "18%",
        "HSN/SAC": "33049990",
        "Status": "Active",
        "Next price": "",
    }
    assert row.spec.barcode == BARCODE
    assert panel.table.currentIndex().row() == panel.model.row_of("PEPTIDE-SERUM")
    save_screenshot(window, "catalog_added")

    # The receptionist, at another desk, scans it and sells it.
    line = scan_and_sell(qtbot, db, open_main_window(front_desk))
    assert (line.item_code, line.unit_price, line.hsn_sac) == ("PEPTIDE-SERUM", 189_900, "33049990")


# -- a price from tomorrow ---------------------------------------------------------------


def test_a_price_from_tomorrow_shows_as_the_next_price_and_todays_invoice_keeps_the_old(
    qtbot, db, catalog, front_desk, open_main_window
):
    window, panel = catalog
    panel.new_item()
    fill_serum(qtbot, panel)
    save(qtbot, panel)
    qtbot.waitUntil(lambda: panel.model.row_of("PEPTIDE-SERUM") >= 0, timeout=WAIT_MS)

    type_into(qtbot, panel.price_edit, "2099")
    panel.price_from_edit.setFocus()
    panel.price_from_edit.setDate(QDate(TOMORROW.year, TOMORROW.month, TOMORROW.day))
    save(qtbot, panel)
    qtbot.waitUntil(lambda: row_of(panel, "PEPTIDE-SERUM").next_price is not None, timeout=WAIT_MS)
    idle(qtbot, panel)

    row = row_of(panel, "PEPTIDE-SERUM")
    assert (row.spec.price, row.next_price, row.next_price_from) == (189_900, 209_900, TOMORROW)
    index = panel.model.row_of("PEPTIDE-SERUM")
    assert panel.model.index(index, CatalogModel.PRICE).data() == "1,899.00"
    assert panel.model.index(index, CatalogModel.NEXT_PRICE).data() == "2,099.00 from 25 Nov 2026"
    assert not panel.table.isColumnHidden(CatalogModel.NEXT_PRICE)
    assert panel.price_edit.text() == "1899.00"  # the form shows today's price...
    assert panel.messages["price"].text() == "Rs.2,099.00 from 25 Nov 2026."  # ...and the next
    assert "From 25 Nov 2026 it sells at Rs.2,099.00." in panel.save_status.text()
    save_screenshot(window, "catalog_next_price")

    line = scan_and_sell(qtbot, db, open_main_window(front_desk))
    assert line.unit_price == 189_900  # today's invoice, at today's price


# -- refused values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("price", "12.345", "The price is rupees and paise, like 4500 or 4500.50"),
        ("barcode", "12", "A barcode is 4 to 40 letters or digits"),
        ("hsn_sac", "99", "4, 6 or 8 digits"),
        ("code", "CONSULT", "The code CONSULT is taken by another item"),
    ],
)
def test_a_refused_value_is_shown_beside_its_field_and_nothing_is_saved(
    qtbot, db, catalog, field, typed, message
):
    window, panel = catalog
    panel.new_item()
    fill_serum(qtbot, panel, **{field: typed})
    save(qtbot, panel)

    assert message in (panel.field_error(field) or "")
    assert panel.messages[field].isVisible()
    assert focused() is panel.form.inputs[field]
    assert panel.save_status.text() == "Not saved: correct the field marked in red."
    assert panel.form.inputs[field].property("invalid") is True
    assert catalog_service.item_by_code(db, BARCODE) is None
    assert catalog_service.item_by_code(db, "PEPTIDE-SERUM") is None
    if field == "price":
        save_screenshot(window, "catalog_refused")

    # Typing in the field takes the message away.
    type_into(qtbot, panel.form.inputs[field], "1")
    assert panel.field_error(field) is None


def test_an_exempt_item_with_a_product_hsn_saves_and_shows_exempt(qtbot, catalog):
    _window, panel = catalog
    panel.new_item()
    fill_serum(qtbot, panel)
    choose(panel.gst_combo, "Exempt (no GST)")
    save(qtbot, panel)
    qtbot.waitUntil(lambda: panel.model.row_of("PEPTIDE-SERUM") >= 0, timeout=WAIT_MS)
    index = panel.model.row_of("PEPTIDE-SERUM")
    assert panel.model.index(index, CatalogModel.GST).data() == "Exempt"


# -- retire ------------------------------------------------------------------------------


def test_retire_asks_first_and_the_item_leaves_the_active_list(qtbot, db, catalog):
    window, panel = catalog
    panel.search_edit.setFocus()
    qtbot.keyClicks(panel.search_edit, "spf50")
    assert table_texts(panel, CatalogModel.CODE) == ["SPF50"]
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Down)
    assert focused() is panel.table and panel.heading.text() == "SPF50"

    box = panel.ask_retire()
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "Retire SPF50 (Sunscreen SPF 50 (50 g))?"
    save_screenshot(box, "catalog_retire_question")
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Cancel is the default: nothing happens
    assert panel.question is None
    assert catalog_service.item_by_code(db, "SPF50") is not None

    qtbot.mouseClick(panel.retire_button, Qt.MouseButton.LeftButton)
    box = panel.question
    assert box is not None
    [retire] = [b for b in box.buttons() if b.text() == "Retire"]
    with qtbot.waitSignal(panel.item_retired, timeout=WAIT_MS):
        qtbot.mouseClick(retire, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.row_of("SPF50") < 0, timeout=WAIT_MS)
    idle(qtbot, panel)

    assert catalog_service.item_by_code(db, "SPF50") is None  # no longer sold
    assert panel.status_label.text().startswith("Retired SPF50")
    assert not panel.retire_button.isEnabled()
    choose(panel.status_filter, "Retired")
    assert table_texts(panel, CatalogModel.CODE) == ["SPF50"]
    assert table_texts(panel, CatalogModel.STATUS) == ["Retired"]
    assert not panel.table.isColumnHidden(CatalogModel.STATUS)
    save_screenshot(window, "catalog_retired")


# -- changes not saved ------------------------------------------------------------------


def test_changes_not_saved_keep_their_item_in_the_form_until_saved_or_undone(qtbot, catalog):
    _window, panel = catalog
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    assert panel.heading.text() == "CONSULT" and not panel.has_changes()
    type_into(qtbot, panel.name_edit, "Consultation (20 min)")
    assert panel.has_changes()

    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.heading.text() == "CONSULT"
    assert panel.table.currentIndex().row() == panel.model.row_of("CONSULT")
    assert panel.name_edit.text() == "Consultation (20 min)"
    assert panel.save_status.text() == (
        "The changes to CONSULT are not saved: save them (Ctrl+S) or undo them first."
    )
    qtbot.keyClick(panel.table, Qt.Key.Key_N, CTRL)
    assert panel.heading.text() == "CONSULT"  # Ctrl+N keeps them too

    qtbot.mouseClick(panel.save_bar.revert_button, Qt.MouseButton.LeftButton)
    assert panel.name_edit.text() == "Consultation" and not panel.has_changes()
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.heading.text() == "FOLLOWUP"


# -- filters -----------------------------------------------------------------------------


def test_the_filters_narrow_the_table_by_category_status_and_search(qtbot, catalog):
    _window, panel = catalog
    everything = panel.model.rowCount()
    assert everything == 40 and panel.count_label.text() == "40 of 40 items"
    choose(panel.category_filter, "Skincare products")
    categories = set(table_texts(panel, CatalogModel.CATEGORY))
    assert categories == {"Skincare products"}
    assert 0 < panel.model.rowCount() < everything
    panel.search_edit.setFocus()
    qtbot.keyClicks(panel.search_edit, "no such thing")
    assert panel.model.rowCount() == 0
    assert panel.table.empty_title == "No item matches"
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_F, CTRL)
    assert focused() is panel.search_edit


# -- CSV ---------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(qtbot, catalog, tmp_path):
    window, panel = catalog
    target = tmp_path / "catalog-out"
    dialog = panel.choose_export_file()
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    with qtbot.waitSignal(panel.exported, timeout=WAIT_MS) as exported:
        dialog.selectFile(str(target))
        dialog.accept()
    idle(qtbot, panel)
    written = tmp_path / "catalog-out.csv"
    assert exported.args == [40] and written.exists()
    assert panel.status_label.text() == "Wrote 40 items to catalog-out.csv."

    dialog = panel.choose_import_file()
    with qtbot.waitSignal(panel.imported, timeout=WAIT_MS):
        dialog.selectFile(str(written))
        dialog.accept()
    idle(qtbot, panel)
    assert panel.status_label.text() == "0 added, 0 changed, 40 unchanged."
    save_screenshot(window, "catalog_imported")


def test_a_bad_csv_names_its_line_and_saves_nothing(qtbot, db, catalog, tmp_path):
    _window, panel = catalog
    source = tmp_path / "bad.csv"
    source.write_text(
        ",".join(catalog_service.CSV_COLUMNS)
        + "\nNEW-ONE,New item,Facials,service,1200,100,999722,taxable,18,50,\n"
        + "BAD-ONE,Bad item,Facials,service,abc,100,999722,taxable,18,50,\n",
        encoding="utf-8",
    )
    panel.import_csv(source)
    idle(qtbot, panel)
    assert panel.status_label.text().startswith("Line 3: The price is rupees and paise")
    assert panel.status_label.objectName() == "FieldError"
    assert catalog_service.item_by_code(db, "NEW-ONE") is None


# -- the keyboard alone, and how it looks ------------------------------------------------


def test_tab_reaches_every_control_and_f1_lists_the_panels_keys(qtbot, catalog):
    window, panel = catalog
    assert focused() is panel.search_edit  # the panel starts at its search
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    assert focused() is panel.table and panel.retire_button.isVisible()
    assert_tab_reaches_everything(qtbot, panel, panel.search_edit)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert focused() is panel.name_edit  # Enter on a row edits it

    dialog = window.show_help()
    rows = dialog.shortcuts()
    assert ("Ctrl+7", "Open Catalog") in rows
    assert ("Ctrl+N", "Catalog: a new item") in rows
    dialog.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_panel_fits_the_window_without_clipped_text(qtbot, catalog, size):
    window, panel = catalog
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0], timeout=WAIT_MS)
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    save_screenshot(window, f"catalog_{size[0]}x{size[1]}")
    assert clipped_texts(panel) == []
    assert not panel.table.isColumnHidden(CatalogModel.PRICE)
    shown = [c for c in range(panel.model.columnCount()) if not panel.table.isColumnHidden(c)]
    width = sum(panel.table.columnWidth(c) for c in shown)
    assert width <= panel.table.viewport().width() + 1  # no column runs off the edge
