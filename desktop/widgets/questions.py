"""Questions in message boxes that keep their buttons' words whole."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def whole_buttons(box: QMessageBox) -> None:
    """Keep each button's whole text: left alone, a message box gives a longer label (the
    default button's, in bold) no more room than the others, and cuts it."""
    for button in box.buttons():
        button.ensurePolished()
        button.setMinimumWidth(button.sizeHint().width())
