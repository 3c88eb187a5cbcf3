"""Tab reaches every control of a panel, as a person without a mouse needs: starting in the
panel, forward Tab visits each enabled, visible control that takes focus before it comes
back round, and Shift+Tab does the same the other way. (The counter's own walk is in
test_invoice_entry.py.)"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QButtonGroup,
    QWidget,
)

from domain.callbacks import Reason, Source
from services import callbacks as cb
from tests.desktop.helpers import NOW
from tests.desktop.test_main_window import open_window

WAIT_MS = 10_000
# More presses than any panel has controls: a walk that has not come round by then is stuck.
MOST_PRESSES = 250


def takes_tab(widget: QWidget) -> bool:
    """The widget is one a person can Tab to now."""
    return (
        widget.isVisible()
        and widget.isEnabled()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.focusProxy() is None
        # A spin box's line edit is the box itself to the person.
        and not isinstance(widget.parent(), QAbstractSpinBox)
    )


def stop(widget: QWidget) -> QObject:
    """What one Tab stop is: a widget, or a group of exclusive buttons (Tab stops on the
    checked one, the arrows move between them, as between radio buttons)."""
    if isinstance(widget, QAbstractButton):
        group = widget.group()
        if group is not None and group.exclusive():
            return group
    return widget


def stops(panel: QWidget) -> set[QObject]:
    return {stop(widget) for widget in panel.findChildren(QWidget) if takes_tab(widget)}


def walk(qtbot, start: QWidget, *, backwards: bool = False) -> list[QWidget]:
    """Focus `start`, then press Tab (or Shift+Tab) until the focus is back on it; the
    widgets focused on the way, in order, each once (a date edit takes a Tab per section)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start, timeout=WAIT_MS)
    modifier = Qt.KeyboardModifier.ShiftModifier if backwards else Qt.KeyboardModifier.NoModifier
    key = Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab
    visited = [start]
    for _ in range(MOST_PRESSES):
        qtbot.keyClick(QApplication.focusWidget(), key, modifier)
        focused = QApplication.focusWidget()
        if focused is start:
            return visited
        if focused not in visited:
            visited.append(focused)
    raise AssertionError(f"Tab never comes back to where it started; it went {names(visited)}")


def names(widgets) -> list[str]:
    """'QComboBox(R score)': the widgets (or button groups) as a failure message names them."""
    return [f"{type(w).__name__}({_name(w)})" for w in widgets]


def _name(thing: QObject) -> str:
    if isinstance(thing, QButtonGroup):
        return ", ".join(button.text() for button in thing.buttons())
    text = thing.text() if isinstance(thing, QAbstractButton) else ""
    accessible = thing.accessibleName() if isinstance(thing, QWidget) else ""
    return accessible or text or thing.objectName()


def assert_tab_reaches_everything(qtbot, panel: QWidget, start: QWidget) -> None:
    wanted = stops(panel)
    assert start in wanted
    for backwards in (False, True):
        reached = {stop(widget) for widget in walk(qtbot, start, backwards=backwards)}
        missed = wanted - reached
        assert not missed, f"Tab never reaches {sorted(names(missed))}"


def test_tab_leaves_the_callback_table_for_the_note_and_the_outcome_buttons(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    cb.add_callback(
        db,
        front_desk,
        cb.NewCallback(Reason.COMPLAINT, Source.PHONE, name="Kavya Iyer", mobile="9845055555"),
        now=NOW,
    )
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)
    window.show_panel("callbacks")
    panel = window.panel("callbacks")
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.callback_changed, timeout=WAIT_MS):
        qtbot.keyClick(panel.table, Qt.Key.Key_F5)  # call next: the outcome buttons wake
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.done_button.isEnabled() and panel.no_answer_button.isEnabled()

    assert_tab_reaches_everything(qtbot, panel, panel.table)
    panel.table.setFocus(Qt.FocusReason.TabFocusReason)
    ring = panel.table.grab().toImage().pixelColor(0, panel.table.height() // 2)
    assert ring.name() == "#0f766e"  # the focused table wears the focus colour
    qtbot.keyClick(panel.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not panel.table  # one Tab leaves it, whatever its size
    order = walk(qtbot, panel.table)
    for control in (panel.note_edit, panel.done_button, panel.no_answer_button):
        assert control in order
    assert panel.cancel_button in order


@pytest.mark.parametrize(
    "key",
    [
        "dashboard",
        "promotions",
        "settings",
        "sponsors",
    ],
)
def test_tab_reaches_every_control_of_the_managers_panels(
    qtbot, db, manager, branch_info, fresh_settings, key
):
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)
    window.show_panel(key)
    panel = window.panel(key)
    if hasattr(panel, "is_idle"):
        qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)

    start = QApplication.focusWidget()
    assert start is not None and panel.isAncestorOf(start)
    assert_tab_reaches_everything(qtbot, panel, start)
