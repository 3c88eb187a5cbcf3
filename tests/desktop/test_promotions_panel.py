"""The promotions admin, driven through its real widgets: create a promotion and a code in
the dialogs, use the code at the counter, and see its uses and analytics come back here."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from desktop.dialogs.code_dialog import CodeDialog
from desktop.dialogs.promotion_dialog import PromotionDialog
from desktop.main_window import MainWindow
from desktop.models.promotion_models import (
    ApplicationsModel,
    CodesModel,
    PromotionsModel,
    ServiceUsesModel,
)
from desktop.panels.invoice_entry import InvoiceEntryPanel
from desktop.panels.promotions import CODES_TAB, PromotionsPanel
from services import promotions as promotion_service
from tests.desktop.helpers import NOW, fixed_clock, save_screenshot
from tests.desktop.test_invoice_entry import a_patient, add_by_typing, pick_patient, settle
from tests.desktop.test_settings_panel import SIZES, clipped_texts

CTRL = Qt.KeyboardModifier.ControlModifier
WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def admin(qtbot, db, manager, branch_info, fresh_settings, tmp_path):
    """The main window at 1366x768 on the Promotions panel, signed in as the manager."""
    window = MainWindow(
        db,
        manager,
        branch_info,
        settings=fresh_settings,
        clock=fixed_clock,
        invoice_folder=tmp_path / "invoices",
        open_file=None,
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.show_panel("promotions")
    panel = window.panel("promotions")
    assert isinstance(panel, PromotionsPanel)
    idle(qtbot, panel)
    return window, panel


def idle(qtbot, panel: PromotionsPanel) -> None:
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def type_into(qtbot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def save_dialog(qtbot, dialog) -> None:
    """Press Save and wait for the service's answer."""
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=WAIT_MS)


def wait_closed(qtbot, panel: PromotionsPanel) -> None:
    qtbot.waitUntil(lambda: panel.dialog is None, timeout=WAIT_MS)
    idle(qtbot, panel)


def column(model, header: str) -> list[str]:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return model.column_texts(headers.index(header))


def row_of(model, key: str) -> dict[str, str]:
    row = model.row_of(key)
    assert row >= 0, f"{key} is not listed"
    return {
        model.headerData(c, Qt.Orientation.Horizontal): model.index(row, c).data()
        for c in range(model.columnCount())
    }


def create_peels_promotion(qtbot, panel: PromotionsPanel, *, screenshot=None) -> None:
    """10% off the Peels category, only with a code: typed into the promotion dialog."""
    qtbot.mouseClick(panel.new_promotion_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, PromotionDialog) and dialog.isVisible()
    type_into(qtbot, dialog.code_edit, "peels10")
    type_into(qtbot, dialog.name_edit, "10% off peels with a code")
    assert dialog.type_combo.currentData() == "percentage"
    type_into(qtbot, dialog.percent_edit, "10")
    assert dialog.scope_combo.currentData() == "category"
    type_into(qtbot, dialog.categories_edit, "Peels")
    qtbot.mouseClick(dialog.requires_code_box, LEFT)
    assert dialog.requires_code_box.isChecked()
    if screenshot is not None:
        save_screenshot(dialog, screenshot)
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)


# -- the whole round: dialogs, counter, analytics ------------------------------------------


def test_a_code_made_in_the_dialogs_is_used_at_the_counter_and_its_use_shows_here(qtbot, db, admin):
    window, panel = admin
    assert "PREMIUM_CONSULT" in column(panel.promotions, "Promotion")[0]
    save_screenshot(window, "promotions_list")

    create_peels_promotion(qtbot, panel, screenshot="promotions_promotion_dialog")
    peels = row_of(panel.promotions, "PEELS10")
    assert peels["Type"] == "Percentage, code"
    assert peels["Status"] == "Active"
    assert peels["Uses"] == "0 / -"
    assert panel.selected_key() == "PEELS10"  # the new promotion is selected
    assert "needs a promo code" in panel.detail_note.text()

    # + Code with the promotion selected offers it; no active hours, at most 3 uses.
    qtbot.mouseClick(panel.new_code_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, CodeDialog)
    assert dialog.promotion_combo.currentData() == "PEELS10"
    type_into(qtbot, dialog.code_edit, "peel-3")
    type_into(qtbot, dialog.max_uses_edit, "3")
    assert not dialog.hours_box.isChecked() and not dialog.start_time.isEnabled()
    assert dialog.auto_box.isChecked()
    save_screenshot(dialog, "promotions_code_dialog")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)

    assert panel.tabs.currentIndex() == CODES_TAB and panel.selected_key() == "PEEL-3"
    code = row_of(panel.codes, "PEEL-3")
    assert (code["Promotion"], code["Status"], code["Uses"]) == ("PEELS10", "Active", "0 / 3")
    assert code["Hours"] == "Any time" and code["Given"] == "-"
    assert panel.detail_title.text() == "PEEL-3"
    assert panel.detail_line1.text() == "Active at any time"
    assert panel.detail_line2.text().startswith("0 of 3 uses")
    save_screenshot(window, "promotions_codes_empty_analytics")

    # At the counter: the code says how many uses are left, applies, and the invoice saves.
    window.show_panel("invoice")
    window.activateWindow()  # the dialogs had it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    counter = window.panel("invoice")
    assert isinstance(counter, InvoiceEntryPanel)
    pick_patient(qtbot, counter, a_patient(db))
    add_by_typing(qtbot, counter, "PEEL-GLY")
    settle(qtbot, counter)
    type_into(qtbot, counter.code_field, "peel-3")
    settle(qtbot, counter)
    assert counter.code_status_message() == "3 uses remaining"
    qtbot.keyClick(counter.code_field, Qt.Key.Key_Return)
    settle(qtbot, counter)
    assert counter.code_messages() == ["PEEL-3 applied (3 uses remaining)"]
    assert dict(counter.totals.rows())["PEELS10"] == "-180.00"
    save_screenshot(window, "promotions_code_at_counter")
    with qtbot.waitSignal(counter.invoice_saved, timeout=WAIT_MS):
        counter.save()  # the payment step
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, CTRL)  # cash, saved
    settle(qtbot, counter)
    document = counter.saved_invoice()
    assert document is not None
    assert counter.code_messages() == ["PEEL-3 applied (2 uses remaining)"]

    # Back in the admin: one use, Rs.180 given, the service and the invoice listed.
    window.show_panel("promotions")
    idle(qtbot, panel)
    assert panel.selected_key() == "PEEL-3"
    code = row_of(panel.codes, "PEEL-3")
    assert (code["Uses"], code["Given"]) == ("1 / 3", "Rs.180.00")
    assert panel.detail_line2.text().startswith("1 of 3 uses")
    assert "2 remaining" in panel.summary_label.text()
    assert panel.service_uses.rowCount() == 1
    assert row_of(panel.service_uses, "PEEL-GLY") == {
        "Service": "Glycolic peel",
        "Code": "PEEL-GLY",
        "Uses": "1",
        "Patients": "1",
        "Discount": "Rs.180.00",
    }
    save_screenshot(window, "promotions_analytics")

    panel.detail_tabs.setCurrentIndex(1)
    [application] = panel.applications.rows()
    assert application.invoice_number == document.invoice_number
    assert application.item_code == "PEEL-GLY" and application.discount == 18_000
    assert column(panel.applications, "Patient")[0].endswith("\nGlycolic peel")
    # The time is the branch's (IST): the fixed clock says 05:30 UTC.
    assert column(panel.applications, "Invoice") == [
        f"{document.invoice_number}\n24 Nov 2026 11:00"
    ]
    assert column(panel.applications, "Discount") == ["Rs.180.00"]
    assert panel.page_label.text() == "Page 1 of 1"
    assert panel.detail_tabs.tabText(1) == "Applications (1)"
    assert not panel.prev_button.isEnabled() and not panel.next_button.isEnabled()
    save_screenshot(window, "promotions_applications")

    panel.tabs.setCurrentIndex(0)
    assert panel.select("PEELS10")
    save_screenshot(window, "promotions_promotion_selected")
    assert row_of(panel.promotions, "PEELS10")["Uses"] == "1 / -"
    assert "Codes for it: PEEL-3" in panel.detail_note.text()


# -- validation beside the fields ----------------------------------------------------------


def test_the_promotion_dialog_shows_each_refusal_beside_its_field(qtbot, admin):
    window, panel = admin
    qtbot.mouseClick(panel.new_promotion_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, PromotionDialog)
    type_into(qtbot, dialog.code_edit, "PEELS150")
    type_into(qtbot, dialog.name_edit, "Too generous")
    type_into(qtbot, dialog.percent_edit, "150")
    type_into(qtbot, dialog.categories_edit, "Peels")

    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {
        "discount_percent": "A percentage is more than 0 and at most 100"
    }
    assert dialog.isVisible() and dialog.percent_edit.property("invalid") is True
    assert "correct the field" in dialog.status_label.text()

    dialog.percent_edit.clear()
    type_into(qtbot, dialog.percent_edit, "15")
    qtbot.mouseClick(dialog.start_edit.none_box, LEFT)
    qtbot.mouseClick(dialog.end_edit.none_box, LEFT)
    dialog.start_edit.date_edit.setDate(QDate(2026, 12, 10))
    dialog.end_edit.date_edit.setDate(QDate(2026, 12, 1))
    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {"end_date": "The end date is before the start date"}
    assert dialog.percent_edit.property("invalid") is False
    save_screenshot(dialog, "promotions_promotion_dialog_errors")

    dialog.end_edit.date_edit.setDate(QDate(2026, 12, 31))
    dialog.categories_edit.clear()
    type_into(qtbot, dialog.categories_edit, "Nothing like this")
    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {"rules": "No item is in the category Nothing like this"}
    assert dialog.rules_message.isVisible()

    dialog.categories_edit.clear()
    type_into(qtbot, dialog.categories_edit, "Peels")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)
    row = row_of(panel.promotions, "PEELS150")
    assert row["Valid"] == "10 Dec - 31 Dec 2026" and row["Status"] == "Scheduled"


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_refusal_below_the_fold_is_scrolled_into_view(qtbot, admin, size):
    window, panel = admin
    window.resize(*size)
    qtbot.mouseClick(panel.new_promotion_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, PromotionDialog)
    assert dialog.width() <= size[0] and dialog.height() <= size[1]
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"promotions_promotion_dialog_{size[0]}x{size[1]}")
    assert clipped_texts(dialog) == []
    type_into(qtbot, dialog.code_edit, "PEELS15")
    type_into(qtbot, dialog.name_edit, "Peels, twice per patient")
    type_into(qtbot, dialog.percent_edit, "15")
    type_into(qtbot, dialog.categories_edit, "Peels")
    type_into(qtbot, dialog.per_patient_edit, "twice")
    scroll = dialog.findChild(QScrollArea)
    scroll.verticalScrollBar().setValue(0)

    save_dialog(qtbot, dialog)

    assert list(dialog.form.errors()) == ["max_uses_per_patient"]
    assert dialog.per_patient_edit.hasFocus()
    viewport = scroll.viewport()
    for shown in (dialog.per_patient_edit, dialog.form.messages["max_uses_per_patient"]):
        top_left = shown.mapTo(viewport, QPoint(0, 0))
        assert viewport.rect().contains(QRect(top_left, shown.size()))
    assert clipped_texts(dialog) == []
    save_screenshot(dialog, f"promotions_promotion_dialog_refused_{size[0]}x{size[1]}")
    dialog.reject()
    wait_closed(qtbot, panel)


def test_the_code_dialog_refuses_a_code_that_exists_and_an_end_before_the_start(
    qtbot, db, manager, admin
):
    window, panel = admin
    promotion_service.save_code(
        db, manager, {"code": "MORNING10", "promotion_code": "GLOW20"}, now=NOW
    )
    panel.refresh()
    idle(qtbot, panel)
    panel.show_codes()
    qtbot.mouseClick(panel.new_code_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, CodeDialog)
    type_into(qtbot, dialog.code_edit, "morning10")
    qtbot.mouseClick(dialog.from_edit.none_box, LEFT)
    qtbot.mouseClick(dialog.to_edit.none_box, LEFT)
    dialog.from_edit.date_edit.setDate(QDate(2026, 12, 1))
    dialog.to_edit.date_edit.setDate(QDate(2026, 11, 30))

    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {"valid_to": "The end date is before the start date"}

    dialog.to_edit.date_edit.setDate(QDate(2027, 1, 31))
    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {"code": "The code MORNING10 already exists"}
    assert dialog.code_edit.property("invalid") is True
    # A promotion's name too long for the picker ends in an ellipsis; its tooltip says it all.
    assert dialog.promotion_combo.toolTip() == dialog.promotion_combo.currentText()
    save_screenshot(dialog, "promotions_code_dialog_errors")

    dialog.code_edit.clear()
    type_into(qtbot, dialog.code_edit, "MORNING11")
    qtbot.mouseClick(dialog.hours_box, LEFT)
    assert dialog.start_time.isEnabled() and dialog.timezone_combo.isEnabled()
    dialog.timezone_combo.setFocus()
    dialog.timezone_combo.lineEdit().selectAll()
    qtbot.keyClicks(dialog.timezone_combo.lineEdit(), "Kolkata")
    completer = dialog.timezone_combo.completer()
    assert completer.currentCompletion() == "Asia/Kolkata"  # found by part of the name
    dialog.timezone_combo.setCurrentText("Asia/Kolkata")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)
    row = row_of(panel.codes, "MORNING11")
    assert row["Hours"] == "06:00-09:00 Asia/Kolkata"
    assert row["Valid"] == "1 Dec 2026 - 31 Jan 2027"
    assert panel.detail_line1.text() == "Active 06:00-09:00 Asia/Kolkata"


def test_a_bad_time_zone_is_refused_beside_the_time_zone(qtbot, admin):
    window, panel = admin
    qtbot.mouseClick(panel.new_code_button, LEFT)
    dialog = panel.dialog
    type_into(qtbot, dialog.code_edit, "NIGHT")
    qtbot.mouseClick(dialog.hours_box, LEFT)
    dialog.timezone_combo.setCurrentText("Mars/Olympus")
    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {"timezone": "'Mars/Olympus' is not a time zone name"}
    dialog.reject()
    wait_closed(qtbot, panel)


# -- pause, resume, edit -------------------------------------------------------------------


def test_pause_and_resume_a_code_and_the_counter_sees_it(qtbot, db, manager, admin):
    window, panel = admin
    promotion_service.save_code(
        db, manager, {"code": "GLOWUP", "promotion_code": "GLOW20", "max_uses": 5}, now=NOW
    )
    panel.show_codes()
    panel.refresh()
    idle(qtbot, panel)
    assert panel.select("GLOWUP")
    assert panel.pause_button.text() == "Pause"

    qtbot.mouseClick(panel.pause_button, LEFT)
    idle(qtbot, panel)
    assert row_of(panel.codes, "GLOWUP")["Status"] == "Paused"
    assert panel.status_label.text() == "GLOWUP paused."
    assert panel.pause_button.text() == "Resume"
    assert panel.detail_line1.text() == "Paused at any time"
    assert promotion_service.code_at_counter(db, "glowup").status == "paused"

    qtbot.mouseClick(panel.pause_button, LEFT)
    idle(qtbot, panel)
    assert row_of(panel.codes, "GLOWUP")["Status"] == "Active"
    assert panel.status_label.text() == "GLOWUP resumed."


def test_pause_and_resume_a_promotion(qtbot, admin):
    window, panel = admin
    assert panel.select("FESTIVE500")
    qtbot.mouseClick(panel.pause_button, LEFT)
    idle(qtbot, panel)
    assert row_of(panel.promotions, "FESTIVE500")["Status"] == "Paused"
    assert panel.pause_button.text() == "Resume"
    qtbot.mouseClick(panel.pause_button, LEFT)
    idle(qtbot, panel)
    assert row_of(panel.promotions, "FESTIVE500")["Status"] == "Active"


def test_editing_buy_x_get_y_shows_every_part_of_the_rule_and_saves_it_back(qtbot, admin):
    window, panel = admin
    assert panel.select("PREMIUM_CONSULT")
    qtbot.mouseClick(panel.edit_button, LEFT)
    qtbot.waitUntil(lambda: panel.dialog is not None, timeout=WAIT_MS)
    dialog = panel.dialog
    assert isinstance(dialog, PromotionDialog)
    assert dialog.type_combo.currentData() == "buy_x_get_y"
    assert dialog.bxgy_page.isVisibleTo(dialog) and not dialog.target_page.isVisibleTo(dialog)
    assert dialog.buy_items.values() == ["BOTOX50", "BOTOX100"]
    assert dialog.get_items.values() == ["CONSULT"]
    assert (dialog.buy_quantity.value(), dialog.get_quantity.value()) == (1, 1)
    assert dialog.get_percent.text() == "100"
    assert dialog.repeat_box.isChecked() and dialog.max_sets_edit.text() == "2"
    assert dialog.priority_spin.value() == 10
    save_screenshot(dialog, "promotions_bxgy_dialog")

    dialog.get_quantity.setValue(2)
    dialog.max_sets_edit.setText("3")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)
    assert panel.status_label.text() == "PREMIUM_CONSULT saved."
    assert panel.selected_key() == "PREMIUM_CONSULT"


def test_a_fixed_amount_on_chosen_items_with_every_condition(qtbot, db, manager, admin):
    window, panel = admin
    qtbot.mouseClick(panel.new_promotion_button, LEFT)
    dialog = panel.dialog
    type_into(qtbot, dialog.code_edit, "LASER300")
    type_into(qtbot, dialog.name_edit, "Rs.300 off laser with a consultation")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("fixed_amount"))
    assert not dialog.percent_edit.isVisible() and dialog.amount_edit.isVisible()
    type_into(qtbot, dialog.amount_edit, "300")
    dialog.scope_combo.setCurrentIndex(dialog.scope_combo.findData("items"))
    assert dialog.items_edit.isVisible() and not dialog.categories_edit.isVisible()
    type_into(qtbot, dialog.items_edit, "carbonpeel")
    qtbot.waitUntil(lambda: not dialog.items_edit.is_busy(), timeout=WAIT_MS)
    type_into(qtbot, dialog.requires_edit, "CONSULT")
    qtbot.waitUntil(lambda: not dialog.requires_edit.is_busy(), timeout=WAIT_MS)
    type_into(qtbot, dialog.min_spend_edit, "2000")
    type_into(qtbot, dialog.cap_edit, "600")
    dialog.priority_spin.setValue(30)
    qtbot.mouseClick(dialog.stackable_box, LEFT)
    qtbot.mouseClick(dialog.override_box, LEFT)
    type_into(qtbot, dialog.max_total_edit, "50")
    type_into(qtbot, dialog.per_patient_edit, "2")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)

    spec = promotion_service.export_promotion(db, manager, "LASER300")
    assert spec["rules"] == {
        "scope": "items",
        "item_codes": ["CARBONPEEL"],
        "requires_item_codes": ["CONSULT"],
    }
    assert spec["discount_amount"] == "300.00" and spec["min_purchase_amount"] == "2000.00"
    assert spec["max_discount_amount"] == "600.00" and spec["priority"] == 30
    assert spec["is_stackable"] and spec["override_max_discount"]
    assert (spec["max_total_uses"], spec["max_uses_per_patient"]) == (50, 2)
    assert row_of(panel.promotions, "LASER300")["Uses"] == "0 / 50"


def test_the_codes_tab_says_what_to_do_while_there_are_none(qtbot, admin):
    window, panel = admin
    panel.show_codes()
    assert panel.codes.rowCount() == 0
    assert panel.codes_table.empty_title == "No promo codes yet"
    assert panel.detail_note.text() == "Select a code to see its details here."
    save_screenshot(window, "promotions_codes_none")


# -- the models ----------------------------------------------------------------------------


def test_the_models_pass_qt_model_tester(qtbot, qtmodeltester, db, manager):
    promotion_service.save_code(
        db, manager, {"code": "MODEL1", "promotion_code": "GLOW20", "max_uses": 2}, now=NOW
    )
    promotions = PromotionsModel()
    promotions.set_rows(promotion_service.list_promotions(db, manager, now=NOW))
    codes = CodesModel()
    codes.set_rows(promotion_service.list_codes(db, manager))
    uses = ServiceUsesModel()
    uses.set_rows(promotion_service.code_analytics(db, manager, "MODEL1").by_service)
    applications = ApplicationsModel("Asia/Kolkata")
    applications.set_rows(promotion_service.code_applications(db, manager, "MODEL1").applications)
    for model in (promotions, codes, uses, applications):
        qtmodeltester.check(model)
    assert promotions.rowCount() == 3 and codes.rowCount() == 1
    assert column(codes, "Uses") == ["0 / 2"]
    assert column(promotions, "Given")[0].startswith("Rs.")
    assert date(2026, 11, 24) == NOW.date()


def test_the_lists_fit_the_smallest_window_without_scrolling_sideways(qtbot, admin):
    # At 1024x640 the figures pushed the last columns out of sight and cut every name to
    # a letter; what the detail pane says anyway gives way instead.
    window, panel = admin
    table = panel.promotions_table
    headers = {
        panel.promotions.headerData(c, Qt.Orientation.Horizontal): c
        for c in range(panel.promotions.columnCount())
    }

    def shown(view) -> set[str]:
        model = view.model()
        return {
            model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(model.columnCount())
            if not view.isColumnHidden(c)
        }

    def fits(view) -> bool:
        columns = [c for c in range(view.model().columnCount()) if not view.isColumnHidden(c)]
        return (
            all(
                view.columnViewportPosition(c) + view.columnWidth(c) <= view.viewport().width()
                for c in columns
            )
            and not view.horizontalScrollBar().isVisible()
        )

    qtbot.waitUntil(lambda: "Valid" in shown(table))  # 1366x768: every column
    assert fits(table)
    valid = [panel.promotions.index(r, headers["Valid"]).data() for r in range(3)]
    widest = max(table.fontMetrics().horizontalAdvance(text) for text in valid)
    assert widest < table.columnWidth(headers["Valid"])  # "4 Nov 2026 - 3 Jan 2027" whole

    window.resize(1024, 640)
    qtbot.waitUntil(lambda: "Valid" not in shown(table))
    assert {"Promotion", "Status", "Uses"} <= shown(table)
    assert fits(table)
    assert table.columnWidth(headers["Promotion"]) >= 150  # the name is read
    save_screenshot(window, "promotions_1024x640")
    panel.show_codes()
    qtbot.waitUntil(lambda: fits(panel.codes_table))
    assert {"Code", "Status", "Uses"} <= shown(panel.codes_table)
