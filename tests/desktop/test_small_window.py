"""At the smallest window the app allows (1024x640) the Dashboard and Callbacks panels cut no
text: every label and button has at least the width its text needs and lies inside the
panel. The screenshots are in tests/screenshots for a person to look at."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QScrollArea,
    QWidget,
)

from domain.callbacks import Reason, Source
from services import callbacks as cb
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_main_window import open_window

WAIT_MS = 10_000
SMALLEST = (1024, 640)


def cut_text(panel: QWidget) -> list[str]:
    """The labels, buttons and boxes of `panel` narrower than their text, or outside it
    (what a scroll area holds may be scrolled out of sight)."""
    problems = []
    inside = panel.rect()
    for widget in panel.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, QLabel | QAbstractButton | QComboBox):
            continue
        if isinstance(widget, QLabel) and (widget.wordWrap() or not widget.text()):
            continue
        name = widget.accessibleName() or getattr(widget, "text", lambda: "")() or repr(widget)
        if widget.width() < widget.minimumSizeHint().width():
            problems.append(f"{name}: {widget.width()} px for {widget.minimumSizeHint().width()}")
        where = QRect(widget.mapTo(panel, QPoint(0, 0)), widget.size())
        scrolled = any(isinstance(parent, QScrollArea) for parent in ancestors(widget, panel))
        if not scrolled and not inside.contains(where):
            problems.append(f"{name}: outside the panel at {where.getRect()}")
    return problems


def ancestors(widget: QWidget, panel: QWidget) -> list[QWidget]:
    found = []
    parent = widget.parentWidget()
    while parent is not None and parent is not panel:
        found.append(parent)
        parent = parent.parentWidget()
    return found


@pytest.mark.parametrize("size", [(1366, 768), SMALLEST])
def test_the_dashboard_cuts_no_text(qtbot, manager, db, branch_info, fresh_settings, size):
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)
    window.resize(*size)
    window.show_panel("dashboard")
    panel = window.panel("dashboard")
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    QApplication.processEvents()

    assert cut_text(panel) == []
    save_screenshot(window, f"dashboard_{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", [(1366, 768), SMALLEST])
def test_the_callbacks_panel_cuts_no_text(qtbot, front_desk, db, branch_info, fresh_settings, size):
    for name, mobile in (("Kavya Iyer", "9845055555"), ("Anita Menon-Krishnamurthy", "9845099999")):
        new = cb.NewCallback(Reason.COMPLAINT, Source.PHONE, name=name, mobile=mobile)
        cb.add_callback(db, front_desk, new, now=NOW)
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)
    window.resize(*size)
    window.show_panel("callbacks")
    panel = window.panel("callbacks")
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    panel.table.selectRow(0)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    QApplication.processEvents()

    assert cut_text(panel) == []
    save_screenshot(window, f"callbacks_{size[0]}x{size[1]}")
