"""A panel that is not built yet: it says so, and what it will do for the person reading."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import theme


@dataclass(frozen=True)
class PlannedPanel:
    """What to tell the person about a panel that does not exist yet: what it will do for
    them, in their words (no issue numbers: the reader runs a clinic, not this project)."""

    icon: str
    title: str
    will_do: tuple[str, ...]
    badge: str
    meanwhile: str


# Every panel of the rail is built now (the Campaigns panel was the last one planned); a
# panel added to the rail before it exists gets its entry here.
PLANNED: dict[str, PlannedPanel] = {}


class PlaceholderPanel(QWidget):
    """A centred card saying plainly that this panel is still to come.

    Signals: none.
    """

    def __init__(self, planned: PlannedPanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.planned = planned

        card = QFrame()
        card.setObjectName("Card")
        card.setMaximumWidth(640)
        card.setMinimumWidth(420)

        art = QLabel()
        ratio = self.devicePixelRatioF()
        picture = theme.svg_pixmap(planned.icon, theme.ACCENT, size=round(56 * ratio))
        picture.setDevicePixelRatio(ratio)
        art.setPixmap(picture)
        art.setFixedSize(64, 64)
        art.setAlignment(Qt.AlignmentFlag.AlignCenter)

        title = QLabel(planned.title)
        title.setObjectName("CardTitle")
        title.setWordWrap(True)

        badge = QLabel(planned.badge)
        badge.setObjectName("IssueBadge")

        head_text = QVBoxLayout()
        head_text.setSpacing(8)
        head_text.addWidget(title)
        badge_row = QHBoxLayout()
        badge_row.addWidget(badge)
        badge_row.addStretch(1)
        head_text.addLayout(badge_row)

        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(art, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(head_text, 1)

        intro = QLabel("When it is ready, this panel will let you:")
        intro.setObjectName("Muted")
        items = "".join(f"<li style='margin-bottom:4px'>{line}</li>" for line in planned.will_do)
        will_do = QLabel(f"<ul style='margin-left:-20px'>{items}</ul>")
        will_do.setTextFormat(Qt.TextFormat.RichText)
        will_do.setWordWrap(True)

        meanwhile = QLabel(planned.meanwhile)
        meanwhile.setObjectName("Muted")
        meanwhile.setWordWrap(True)

        body = QVBoxLayout(card)
        body.setContentsMargins(28, 24, 28, 24)
        body.setSpacing(12)
        body.addLayout(head)
        body.addSpacing(4)
        body.addWidget(intro)
        body.addWidget(will_do)
        body.addWidget(meanwhile)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
