"""Where the focus goes when a panel receives it, without bending the Tab order."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QWidget


class FocusOnEntry(QObject):
    """Hands the focus `panel` receives (the main window focuses a panel it shows) to
    `target`, one of its controls.

    Unlike QWidget.setFocusProxy: a Tab that reaches a panel with a proxy lands on the proxy,
    so the controls between the panel and its proxy in the Tab chain were never reached by
    forward Tab (the dashboard's filters, before its Refresh button). The panel here takes
    focus by click or by program only, never by Tab, and passes it on.
    """

    def __init__(self, panel: QWidget, target: QWidget) -> None:
        super().__init__(panel)
        self._target = target
        panel.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        panel.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            self._target.setFocus(event.reason())
        return False
