"""The patient page, driven through its widgets on the demo clinic: details with Edit, the
invoices, promotions and callbacks, the same-family question, a manager's merge, and the
page opened from the counter by its shortcut."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy import func, select

from db.models import AuditLog
from desktop.dialogs.patient_page import PatientPageDialog, parse_day
from desktop.panels.invoice_entry import InvoiceEntryPanel
from domain.callbacks import Reason
from domain.patients import PatientDetailsError
from services import patients
from services.callbacks import NewCallback, add_callback
from tests.desktop.helpers import NOW, SCREENSHOTS, fixed_clock, save_screenshot
from tests.desktop.test_settings_panel import clipped_texts
from tests.desktop.test_tab_order import assert_tab_reaches_everything, names, walk

WAIT_MS = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
LAKSHMI = "+91 79929 05876"  # the demo's first patient, as people type her mobile
# Another demo record named Lakshmi Shetty, with its own invoices: the one merged into her.
OTHER_LAKSHMI = "6604477248"
# Lakshmi Thomas's mobile: a mobile on file for someone else.
THOMAS = "8142179637"


def focused() -> QWidget | None:
    return QApplication.focusWidget()


@pytest.fixture
def lakshmi(db):
    [match] = patients.find_patients(db, LAKSHMI)
    assert match.name == "Lakshmi Shetty"
    return match


@pytest.fixture
def open_page(qtbot, db, branch_info, lakshmi):
    """Opens Lakshmi's page for a user (over `parent`, when given), once it has been read."""

    def open_for(user, parent=None) -> PatientPageDialog:
        page = PatientPageDialog(
            db,
            user,
            lakshmi.id,
            timezone=branch_info.details.timezone,
            clock=fixed_clock,
            parent=parent,
        )
        if parent is None:
            qtbot.addWidget(page)
        with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
            page.show()
        qtbot.waitExposed(page)
        return page

    return open_for


def settle(qtbot, page: PatientPageDialog) -> None:
    qtbot.waitUntil(page.is_idle, timeout=WAIT_MS)


def save_edit(qtbot, page: PatientPageDialog) -> None:
    """Ctrl+S in the form, and wait for the save and the page read after it."""
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    settle(qtbot, page)


def type_into(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


# -- reading -----------------------------------------------------------------------------


def test_the_page_shows_lakshmis_details_invoices_and_spend(qtbot, db, front_desk, open_page):
    page = open_page(front_desk)
    on_record = patients.patient_page(db, page.page().match.id)

    assert page.name_label.text() == "Lakshmi Shetty   79929 05876"
    assert page.facts["email"].text() == "lakshmi.shetty1@example.com"
    # "Yes, since ... on the form" / "No (never asked)": the answer, then when and how.
    consents = [
        page.facts[channel].text().split()[0].rstrip(",:")
        for channel in ("sms", "whatsapp", "email_consent")
    ]
    assert consents == ["Yes", "Yes", "No"]
    assert page.figures["visits"].text() == "6"
    assert page.figures["spent"].text() == "Rs.41,600.00"
    assert page.payments_label.text() == "Owes nothing." and page.payments_label.isVisible()
    assert page.invoices_model.column_texts(0) == [i.number for i in on_record.invoices]
    assert page.invoices_model.rowCount() == 6
    first = [page.invoices_model.index(0, c).data() for c in range(4)]
    assert first == ["IND/25-26/02798", "17 Mar 2026", "Rs.7,500.00", "Issued"]
    assert page.tabs.tabText(0) == "In&voices (6)"
    assert page.promotions_model.column_texts(0) == ["PREMIUM_CONSULT"]
    save_screenshot(page, "patient_page")
    assert clipped_texts(page) == [] and clipped_cells(page) == []

    qtbot.keyClick(page, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert page.tabs.currentWidget() is page.promotions_table
    used = [page.promotions_model.index(0, c).data() for c in range(3)]
    assert used == ["PREMIUM_CONSULT", "Rs.500.00", "IND/25-26/00044\n10 Apr 2025 12:45"]
    save_screenshot(page, "patient_page_promotions")


def test_the_tables_pass_qts_model_checks_and_callbacks_show(
    qtbot, qtmodeltester, db, front_desk, lakshmi, open_page
):
    add_callback(
        db,
        front_desk,
        NewCallback(Reason.COMPLAINT, patient_id=lakshmi.id, notes="Billing mix-up"),
        now=NOW - timedelta(hours=2),
    )
    page = open_page(front_desk)
    for model in (page.invoices_model, page.promotions_model, page.callbacks_model):
        qtmodeltester.check(model)
    assert page.callbacks_model.rowCount() == 1
    row = [page.callbacks_model.index(0, c).data() for c in range(4)]
    assert row[1:] == ["Complaint", "New", "-"]
    assert row[0] == "24 Nov 2026 09:00"  # 03:30 UTC in the branch's zone (IST)

    qtbot.keyClick(page, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert page.tabs.currentWidget() is page.callbacks_table
    save_screenshot(page, "patient_page_callbacks")
    assert clipped_cells(page) == []


# -- editing -----------------------------------------------------------------------------


def test_her_email_and_consents_are_edited_and_saved(qtbot, db, front_desk, lakshmi, open_page):
    page = open_page(front_desk)
    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    assert page.is_editing() and focused() is page.name_edit
    assert page.mobile_edit.text() == "7992905876"
    assert page.birth_edit.text() == "20-01-2006"

    type_into(qtbot, page.email_edit, "Lakshmi.S@Example.in")
    for box in (page.email_box, page.sms_box):  # e-mail on, SMS off
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    save_screenshot(page, "patient_page_editing")
    with qtbot.waitSignal(page.patient_changed, timeout=WAIT_MS):
        save_edit(qtbot, page)
    settle(qtbot, page)

    saved = patients.patient_details(db, lakshmi.id)
    assert saved.email == "lakshmi.s@example.in"
    assert (saved.consent_sms, saved.consent_whatsapp, saved.consent_email) == (
        False,
        True,
        True,
    )
    assert saved.name == "Lakshmi Shetty" and saved.mobile == "7992905876"
    assert audited_edits(db, lakshmi.id) == 1
    assert not page.is_editing()
    assert page.facts["email"].text() == "lakshmi.s@example.in"
    # "Yes, since ... on the form" / "No (never asked)": the answer, then when and how.
    consents = [
        page.facts[channel].text().split()[0].rstrip(",:")
        for channel in ("sms", "whatsapp", "email_consent")
    ]
    assert consents == ["No", "Yes", "Yes"]
    assert page.message() == "Saved the details of Lakshmi Shetty."


def test_saving_with_nothing_changed_writes_nothing(qtbot, db, front_desk, lakshmi, open_page):
    page = open_page(front_desk)
    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    type_into(qtbot, page.mobile_edit, "+91 79929 05876")  # the same mobile, typed otherwise
    save_edit(qtbot, page)
    assert not page.is_editing() and page.message() == "Nothing was changed."
    assert audited_edits(db, lakshmi.id) == 0


def audited_edits(db, patient_id) -> int:
    with db.session(write=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_id == str(patient_id), AuditLog.action == "patient.edit")
        )


def test_a_bad_mobile_shows_its_message_beside_the_field_and_saves_nothing(
    qtbot, db, front_desk, lakshmi, open_page
):
    page = open_page(front_desk)
    page.edit_button.click()
    type_into(qtbot, page.mobile_edit, "12345")
    qtbot.keyClick(page.mobile_edit, Qt.Key.Key_Return)
    settle(qtbot, page)

    assert page.field_error("mobile") == "A mobile number has 10 digits and starts with 6-9"
    assert page.mobile_edit.property("invalid") is True and focused() is page.mobile_edit
    assert page.is_editing()
    save_screenshot(page, "patient_page_refused")
    assert patients.patient_details(db, lakshmi.id).mobile == "7992905876"

    type_into(qtbot, page.birth_edit, "31-02-2001")
    type_into(qtbot, page.mobile_edit, "79929 05876")
    qtbot.keyClick(page.mobile_edit, Qt.Key.Key_Return)
    assert (
        page.field_error(
            "birth_date",
        )
        is not None
        and page.field_error("mobile") is None
    )
    assert focused() is page.birth_edit

    qtbot.keyClick(page.birth_edit, Qt.Key.Key_Escape)  # Esc leaves the edit, then closes
    assert not page.is_editing() and page.isVisible()
    qtbot.keyClick(page.edit_button, Qt.Key.Key_Escape)
    assert not page.isVisible()


def give_her_thomass_mobile(qtbot, page: PatientPageDialog) -> QMessageBox:
    """Edit, type Lakshmi Thomas's mobile, Enter: the page asks about the family."""
    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    type_into(qtbot, page.mobile_edit, THOMAS)
    qtbot.keyClick(page.mobile_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.family_question is not None, timeout=WAIT_MS)
    assert page.family_question is not None
    return page.family_question


def test_a_mobile_another_patient_has_asks_same_family_then_saves_it_shared(
    qtbot, db, front_desk, lakshmi, open_page
):
    page = open_page(front_desk)
    question = give_her_thomass_mobile(qtbot, page)
    assert question.text() == "81421 79637 is also Lakshmi Thomas's mobile. Same family?"
    assert page.field_error("mobile") == "Also Lakshmi Thomas's mobile."
    save_screenshot(question, "patient_page_same_family")

    [same] = [b for b in question.buttons() if b.text() == "Same family: save"]
    with qtbot.waitSignal(page.patient_changed, timeout=WAIT_MS):
        same.click()
    settle(qtbot, page)
    assert patients.patient_details(db, lakshmi.id).mobile == THOMAS
    assert {m.name for m in patients.find_patients(db, THOMAS)} == {
        "Lakshmi Shetty",
        "Lakshmi Thomas",
    }


def test_the_family_question_answered_no_leaves_the_mobile_to_change(
    qtbot, db, front_desk, lakshmi, open_page
):
    page = open_page(front_desk)
    qtbot.keyClick(give_her_thomass_mobile(qtbot, page), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.family_question is None, timeout=WAIT_MS)
    assert page.focusWidget() is page.mobile_edit  # where the keys go back to
    assert page.is_editing() and page.mobile_edit.hasSelectedText()
    assert patients.patient_details(db, lakshmi.id).mobile == "7992905876"


# -- merging -----------------------------------------------------------------------------


def test_a_manager_merges_a_second_record_into_hers_and_its_invoices_move(
    qtbot, db, manager, lakshmi, open_page
):
    [other] = patients.find_patients(db, OTHER_LAKSHMI)
    before = patients.patient_page(db, other.id)
    assert other.name == "Lakshmi Shetty" and len(before.invoices) == 6
    page = open_page(manager)
    assert page.merge_button.isVisible()

    qtbot.keyClick(page, Qt.Key.Key_M, CTRL)
    dialog = page.merge_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: focused() is dialog.other_field, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.other_field, "66044 77248")
    qtbot.waitUntil(dialog.other_field.suggestions_visible, timeout=WAIT_MS)
    assert [m.id for m in dialog.other_field.results()] == [other.id]
    qtbot.keyClick(dialog.other_field, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=WAIT_MS)
    sentence = dialog.sentence_text()
    assert sentence.startswith(
        "Merge Lakshmi Shetty (66044 77248) into Lakshmi Shetty (79929 05876)? "
        "Its 6 invoices, no promotion uses and no callbacks move to the record kept"
    ), sentence
    assert focused() is dialog.merge_button
    save_screenshot(dialog, "patient_page_merge")

    dialog.other_field.setFocus()  # typing again drops the pick until the next one
    qtbot.keyClicks(dialog.other_field, "x")
    assert dialog.other() is None and not dialog.merge_button.isEnabled()
    type_into(qtbot, dialog.other_field, "77248")
    qtbot.waitUntil(dialog.other_field.suggestions_visible, timeout=WAIT_MS)
    qtbot.keyClick(dialog.other_field, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=WAIT_MS)
    assert dialog.other() == other

    with qtbot.waitSignal(page.patient_changed, timeout=WAIT_MS):
        qtbot.keyClick(dialog.merge_button, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert page.merge_dialog is None  # closed once merged
    assert page.invoices_model.rowCount() == 12
    assert page.figures["visits"].text() == "12"
    assert page.message().startswith("Merged Lakshmi Shetty (66044 77248) into this record: 6 ")
    assert patients.find_patients(db, OTHER_LAKSHMI) == []  # retired, not found any more
    save_screenshot(page, "patient_page_merged")
    assert clipped_cells(page) == []


def test_merge_says_when_no_other_record_matches(qtbot, manager, open_page):
    page = open_page(manager)
    dialog = page.open_merge()
    assert dialog is not None
    qtbot.keyClicks(dialog.other_field, "zzqq")
    qtbot.waitUntil(dialog.is_idle, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "No other record" in dialog.sentence_text(), timeout=WAIT_MS)
    assert dialog.sentence_text() == "No other record matches 'zzqq'."
    assert not dialog.merge_button.isEnabled()
    qtbot.keyClick(dialog.other_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.merge_dialog is None, timeout=WAIT_MS)


def test_the_front_desk_does_not_see_merge(qtbot, front_desk, open_page):
    page = open_page(front_desk)
    assert not page.merge_button.isVisibleTo(page)
    qtbot.keyClick(page, Qt.Key.Key_M, CTRL)
    assert page.merge_dialog is None


def test_tab_goes_through_the_form_in_reading_order_and_reaches_the_tables(
    qtbot, manager, open_page
):
    page = open_page(manager)
    assert_tab_reaches_everything(qtbot, page, page.edit_button)
    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    form = [
        page.name_edit,
        page.mobile_edit,
        page.email_edit,
        page.birth_edit,
        page.gender_combo,
        page.sms_box,
        page.whatsapp_box,
        page.email_box,
        page.gstin_edit,
        page.save_button,
        page.cancel_button,
    ]
    visited = walk(qtbot, page.name_edit)
    assert [w for w in visited if w in form] == form, names(visited)
    assert page.invoices_table in visited


def test_a_birth_date_is_typed_day_first():
    assert str(parse_day("20-01-2006")) == "2006-01-20"
    assert str(parse_day("5/3/1990")) == "1990-03-05"
    assert parse_day("  ") is None
    with pytest.raises(PatientDetailsError):
        parse_day("2006-13-01")


# -- from the counter ----------------------------------------------------------------------


def open_from_counter(qtbot, window, lakshmi) -> tuple[InvoiceEntryPanel, PatientPageDialog]:
    """At the counter, find Lakshmi by her mobile as typed, then F3."""
    panel = window.panel("invoice")
    assert isinstance(panel, InvoiceEntryPanel)
    assert not panel.patient_page_button.isVisible()  # no patient yet
    panel.patient_field.setFocus()
    qtbot.keyClicks(panel.patient_field, LAKSHMI)
    qtbot.keyClick(panel.patient_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.patient() is not None, timeout=WAIT_MS)
    assert panel.patient().id == lakshmi.id and panel.patient_page_button.isVisible()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    qtbot.keyClick(focused(), Qt.Key.Key_F3)
    page = panel.findChild(PatientPageDialog)
    assert page is not None
    qtbot.waitUntil(lambda: page.page() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=WAIT_MS)
    return panel, page


def test_f3_at_the_counter_opens_the_page_and_an_edit_shows_the_new_name(
    qtbot, open_main_window, front_desk, lakshmi
):
    window = open_main_window(front_desk)
    assert ("F3", "Invoice: the chosen patient's page (details, edit, invoices)") in (
        window.shortcut_rows()
    )
    panel, page = open_from_counter(qtbot, window, lakshmi)
    assert page.name_label.text().startswith("Lakshmi Shetty")
    save_screenshot(window, "invoice_patient_page_button")

    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    type_into(qtbot, page.name_edit, "Lakshmi S. Shetty")
    with qtbot.waitSignal(page.patient_changed, timeout=WAIT_MS):
        save_edit(qtbot, page)
    settle(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not shiboken6.isValid(page) or not page.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.patient().name == "Lakshmi S. Shetty"
    assert panel.patient_name_label.text() == "Lakshmi S. Shetty   79929 05876"
    assert panel.patient_field.text() == "Lakshmi S. Shetty"


def test_the_page_fits_inside_a_small_main_window(qtbot, open_main_window, manager, lakshmi):
    window = open_main_window(manager)
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.width() == 1024, timeout=WAIT_MS)
    panel, page = open_from_counter(qtbot, window, lakshmi)
    assert page.width() <= 1024 and page.height() <= 640
    save_screenshot(window, "invoice_patient_page_button_1024x640")
    save_over_window(window, page, "patient_page_1024x640")
    assert clipped_texts(page) == []
    qtbot.keyClick(page, Qt.Key.Key_E, CTRL)
    save_over_window(window, page, "patient_page_1024x640_editing")
    assert clipped_texts(page) == []
    page.close_page()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def clipped_cells(page: PatientPageDialog) -> list[str]:
    """The cells of the page's tables whose text is wider than their column."""
    clipped = []
    for table in (page.invoices_table, page.promotions_table, page.callbacks_table):
        model = table.model()
        for column in range(model.columnCount()):
            width = table.columnWidth(column)
            for row in range(model.rowCount()):
                index = model.index(row, column)
                if table.sizeHintForIndex(index).width() > width:
                    clipped.append(index.data())
    return clipped


def save_over_window(window: QWidget, dialog: QWidget, name: str) -> None:
    """The window with the dialog drawn over it, centred, as the person sees them."""
    save_screenshot(dialog, f"{name}_dialog")
    picture = window.grab()
    painter = QPainter(picture)
    offset = QPoint(
        (window.width() - dialog.width()) // 2, (window.height() - dialog.height()) // 2
    )
    painter.drawPixmap(offset, dialog.grab())
    painter.end()
    SCREENSHOTS.mkdir(exist_ok=True)
    assert picture.save(str(SCREENSHOTS / f"{name}.png"))
