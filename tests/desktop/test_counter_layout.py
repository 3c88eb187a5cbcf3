"""The counter at 1366x768 and at the smallest size the window allows: nothing is clipped."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

from desktop.models.cart_model import ITEM
from desktop.panels.invoice_entry import InvoiceEntryPanel
from desktop.widgets.cart_table import fit_badge
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_invoice_entry import (
    a_patient,
    add_by_typing,
    counter,  # noqa: F401 (a fixture)
    opened,  # noqa: F401 (a fixture)
    pick_patient,
    settle,
    wait_priced,
)

# Item cells: the stylesheet's padding on either side.
CELL_PADDING = 2 * 11


def clipped(panel: InvoiceEntryPanel) -> list[str]:
    """What on the counter is shown narrower than its text needs."""
    problems = []
    for button in panel.findChildren(QAbstractButton):
        if not button.text() or not button.isVisibleTo(panel):
            continue  # a field's own clear button
        if button.width() < button.sizeHint().width():
            problems.append(
                f"button {button.text()!r}: {button.width()} < {button.sizeHint().width()}"
            )
    for label in panel.findChildren(QLabel):
        if not label.isVisibleTo(panel) or not label.text() or label.wordWrap():
            continue
        if label.width() < label.sizeHint().width():
            problems.append(f"label {label.text()!r}: {label.width()} < {label.sizeHint().width()}")
        if label.height() < label.minimumSizeHint().height():
            problems.append(f"label {label.text()!r} is squeezed to {label.height()} px high")
    # Room for a name and a mobile, a code or an item's name; a promo code is short.
    for edit, least in (
        (panel.patient_field, 180),
        (panel.item_field, 180),
        (panel.code_field, 120),
    ):
        if edit.width() < least:
            problems.append(f"field {edit.accessibleName()!r} is {edit.width()} px wide")
    metrics = panel.table.fontMetrics()
    width = panel.table.columnWidth(ITEM)
    for row in panel.cart.rows():
        needed = metrics.horizontalAdvance(row.entry.name) + CELL_PADDING
        if width < needed:
            problems.append(f"item {row.entry.name!r}: column {width} < {needed}")
        badge = row.priced.badge_text if row.priced else None
        if badge:
            _font, shown = fit_badge(panel.table.font(), badge, width - CELL_PADDING)
            if shown != badge:
                problems.append(f"badge {badge!r} shows as {shown!r}")
    return problems


def fill(qtbot, db, panel: InvoiceEntryPanel) -> None:
    pick_patient(qtbot, panel, a_patient(db))
    for code in ("BOTOX50", "CONSULT", "SPF50"):
        add_by_typing(qtbot, panel, code)
    panel.code_field.setFocus()
    qtbot.keyClicks(panel.code_field, "NOSUCHCODE")
    panel.apply_code()
    wait_priced(qtbot, panel)


@pytest.mark.parametrize("size", ["1366x768", "minimum"])
def test_the_counter_shows_every_text_whole(qtbot, db, counter, size):  # noqa: F811
    window, panel = counter
    if size == "minimum":
        window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size().width() in (1366, window.minimumWidth()))
    assert panel.is_compact() == (size == "minimum")
    save_screenshot(window, f"invoice_{size}_empty")
    assert clipped(panel) == []

    fill(qtbot, db, panel)
    save_screenshot(window, f"invoice_{size}_cart")
    assert clipped(panel) == []

    panel.save()  # the payment step
    save_screenshot(window, f"invoice_{size}_tender")
    assert clipped(panel) == []
    panel.save()  # the amount due, in cash
    qtbot.waitUntil(lambda: panel.saved_invoice() is not None, timeout=10_000)
    settle(qtbot, panel)
    save_screenshot(window, f"invoice_{size}_saved")
    assert clipped(panel) == []
    assert window.size().height() == (768 if size == "1366x768" else window.minimumHeight())
    assert isinstance(panel.code_field, QLineEdit)
