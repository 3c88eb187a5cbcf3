"""The navigation rail: one icon-and-label button per panel, down the left edge."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QButtonGroup, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from desktop import theme

RAIL_WIDTH = 92


class NavigationRail(QWidget):
    """Buttons for the panels the user may open; exactly one is checked.

    The buttons take no keyboard focus: the panel shortcuts (Ctrl+1...) reach them, and Tab
    stays within the panel at work.

    Signals:
        panel_requested(str): the key of the panel whose button was clicked.
    """

    panel_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NavigationRail")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFixedWidth(RAIL_WIDTH)
        self._buttons: dict[str, QToolButton] = {}
        # The height the buttons need at their full size (read while at it), and whether
        # they are drawn smaller to fit a low window (the head office's rail has one more).
        self._full_height = 0
        self.compact = False
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)

        logo = QLabel()
        logo.setObjectName("RailLogo")
        logo.setPixmap(theme.logo_pixmap(40, self.devicePixelRatioF()))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        logo.setToolTip("Frontdesk")

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 8)
        self._layout.setSpacing(2)
        self._layout.addWidget(logo)
        self._layout.addSpacing(8)
        self._layout.addStretch(1)

    def add_panel(self, key: str, label: str, icon_name: str, shortcut: str) -> QToolButton:
        """Add a button for panel `key` below the existing ones."""
        button = QToolButton()
        button.setObjectName(f"rail_{key}")
        button.setText(label)
        button.setIcon(theme.icon(icon_name))
        button.setIconSize(QSize(26, 26))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setToolTip(f"{label} ({shortcut})")
        button.setAccessibleName(label)
        button.clicked.connect(lambda _checked=False, k=key: self.panel_requested.emit(k))
        self._group.addButton(button)
        self._buttons[key] = button
        self._layout.insertWidget(self._layout.count() - 1, button)
        return button

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Draw the buttons smaller (icon and padding) when the rail is lower than they
        need at full size, and full size again once there is room."""
        if not self.compact:
            self._full_height = self._layout.sizeHint().height()
        compact = self.height() < self._full_height
        if compact == self.compact:
            return
        self.compact = compact
        for button in self._buttons.values():
            button.setIconSize(QSize(20, 20) if compact else QSize(26, 26))
            button.setProperty("compact", compact)
            button.style().unpolish(button)
            button.style().polish(button)

    def set_current(self, key: str) -> None:
        """Check the button of panel `key` (without emitting panel_requested)."""
        self._buttons[key].setChecked(True)

    def button(self, key: str) -> QToolButton:
        return self._buttons[key]

    def keys(self) -> list[str]:
        """The panels on the rail, top to bottom."""
        return list(self._buttons)
