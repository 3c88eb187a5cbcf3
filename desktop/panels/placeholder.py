"""A panel that is not built yet: it says so, says what it will do, and which issue brings it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import theme


@dataclass(frozen=True)
class PlannedPanel:
    """What to tell the person about a panel that does not exist yet."""

    icon: str
    title: str
    will_do: tuple[str, ...]
    arrives_with: str
    meanwhile: str


PLANNED: dict[str, PlannedPanel] = {
    "callbacks": PlannedPanel(
        icon="callbacks",
        title="Callbacks are not built yet",
        will_do=(
            "A queue of people to call back, most urgent first, with due times.",
            "Assign a call, record its outcome, or reschedule it.",
            "Every change is logged with who made it and when.",
        ),
        arrives_with="Arrives with issue #5",
        meanwhile="Until then keep the callback list the way you do today.",
    ),
    "promotions": PlannedPanel(
        icon="promotions",
        title="Promotions are not built yet",
        will_do=(
            "Create and edit promotions and promo codes: rules, items and amounts.",
            "Set validity dates, active hours, and limits in total and per patient.",
            "See each promotion's uses, the discount given and where it landed.",
        ),
        arrives_with="Arrives with issues #3 and #4",
        meanwhile="Until then promotions cannot be created or changed here.",
    ),
    "campaigns": PlannedPanel(
        icon="campaigns",
        title="Campaigns are not built yet",
        will_do=(
            "Message templates and audiences drawn from patient segments.",
            "Sends over email, SMS and WhatsApp, with budgets and A/B variants.",
            "Results: who came back and what they spent.",
        ),
        arrives_with="Arrives with a later issue",
        meanwhile="Nothing is sent to patients from this app yet.",
    ),
    "dashboard": PlannedPanel(
        icon="dashboard",
        title="The dashboard is not built yet",
        will_do=(
            "Key figures: patients, spending, days to return, retention.",
            "Patient segments, campaign effectiveness and usage over time, as charts.",
            "Filter by dates or patient, and export any chart as PNG or CSV.",
        ),
        arrives_with="Arrives with issue #6",
        meanwhile="Until then there are no charts or reports in this app.",
    ),
}


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

        badge = QLabel(planned.arrives_with)
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
