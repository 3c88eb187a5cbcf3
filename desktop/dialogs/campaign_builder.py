"""The campaign builder: a dialog in steps (Basics > Audience > Content > Schedule > Budget >
Review) over a CampaignDraft (desktop.campaigns.draft), which says what each step lacks.

The audience is counted again a moment after each change, in the background, with who is
left out and why; the content step previews the chosen template for the sample patient or
one of the first patients the audience reaches. Create makes a draft campaign (and its
trigger, if one was chosen); launching is the Campaigns list's.

Keys: Ctrl+Enter (or Alt+N) goes to the next step and, on Review, creates; Alt+Left (or
Alt+B) goes back;
Ctrl+1 to Ctrl+6 open a step already reached; Esc closes without creating.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.campaigns.draft import (
    ACTION_NAMES,
    CHANNEL_NAMES,
    MESSAGE_CHANNELS,
    PURPOSE_NAMES,
    STEP_TITLES,
    TRIGGER_NAMES,
    CampaignDraft,
    Step,
    channel_text,
)
from desktop.dialogs.template_editor import choice_combo, preview_text
from desktop.errors import error_sentence
from desktop.widgets.form import restyle
from desktop.workers import OpCounter
from services import patients as patient_service
from services.auth import CurrentUser
from services.campaigns import audiences, campaigns, templates, triggers
from services.campaigns.audiences import AudienceCount
from services.campaigns.templates import Preview, TemplateRow

COUNT_DELAY_MS = 250
SAMPLES = 8
FALLBACKS = 2  # every channel a patient agrees to, after the first
NO_FALLBACK = "None"
# What a message typically costs, shown in an empty cost field (rupees).
COST_EXAMPLES = {"email": "0", "sms": "0.25", "whatsapp": "0.80"}
NEXT_SHORTCUT = "Ctrl+Return"
BACK_SHORTCUT = "Alt+Left"
EVERYONE = "Every patient"
REASON_WORDS = {
    audiences.NO_CONTACT: "have no mobile or e-mail for this channel",
    audiences.DO_NOT_CONTACT: "are on the do-not-contact list",
    audiences.NO_CONSENT: "have not agreed to these messages",
    audiences.OVER_CAP: "had as many messages as the frequency cap allows",
}


def count_lines(count: AudienceCount) -> tuple[str, str]:
    """The live count's headline ('128 of 240 patients can be reached') and who is left
    out and why, a line each."""
    head = f"{count.reachable:,} of {count.matching:,} patients can be reached"
    out = [
        f"{n:,} {REASON_WORDS.get(why, why)}" for why, n in count.left_out.items() if n
    ]  # the service's order: the first reason that applies
    return head, ("Left out: " + "; ".join(out) + ".") if out else "Nobody is left out."


def channel_counts(count: AudienceCount) -> str:
    """How many each channel reaches first ('80 by WhatsApp, 30 by SMS'), or '' for one."""
    if len(count.by_channel) < 2:
        return ""
    return ", ".join(f"{n:,} by {CHANNEL_NAMES.get(c, c)}" for c, n in count.by_channel.items())


def _page(*rows: QWidget | QFormLayout, note: str = "") -> QScrollArea:
    """A step's page: its rows top to bottom in a scroll area (small windows scroll)."""
    inner = QWidget()
    column = QVBoxLayout(inner)
    column.setContentsMargins(0, 0, 10, 0)
    column.setSpacing(10)
    if note:
        hint = QLabel(note)
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        column.addWidget(hint)
    for row in rows:
        if isinstance(row, QFormLayout):
            column.addLayout(row)
        else:
            column.addWidget(row)
    column.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(inner)
    return scroll


def index_of(combo: QComboBox, data: object) -> int:
    """The item whose data equals `data`, or -1 (findData compares Python objects such as
    a uuid by identity, not by value)."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == data), -1)


def _fill_templates(combo: QComboBox, rows: list[TemplateRow], keep: uuid.UUID | None) -> None:
    """`rows` in `combo`, `keep` chosen when it is one of them (else the first)."""
    combo.clear()
    for row in rows:
        combo.addItem(f"{row.name} ({row.category})", row.id)
    if not rows:
        combo.addItem("No template for this channel and purpose", None)
    combo.setCurrentIndex(max(0, index_of(combo, keep)))


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return form


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setFixedWidth(110)
    return spin


class CampaignBuilder(QDialog):
    """Builds a campaign in steps and creates it as a draft.

    Signals:
        created(object): the new campaign's id (uuid.UUID).
        counted(object): a live count of the audience arrived (AudienceCount).
        previewed(str): the content step's preview was drawn (its text).
    """

    created = Signal(object)
    counted = Signal(object)
    previewed = Signal(str)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        timezone: str,
        draft: CampaignDraft | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(theme.section("spec-dialog"))
        self.setWindowTitle("New campaign")
        self.resize(920, 580)
        self._db, self._user, self._clock, self._zone = db, user, clock, ZoneInfo(timezone)
        self.draft = draft or CampaignDraft()
        self._reached = Step.BASICS
        self._templates: list[TemplateRow] = []
        self._samples: list[tuple[uuid.UUID, str]] = []
        self._reads = OpCounter(self)  # the templates, once
        self._counting = OpCounter(self)
        self._sampling = OpCounter(self)
        self._previewing = OpCounter(self)
        self._creating = OpCounter(self)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self.count_now)
        self._filling = False
        self._templates_read_once = False

        self.steps = QListWidget()
        self.steps.setObjectName("BuilderSteps")
        self.steps.setAccessibleName("Steps")
        self.steps.setFixedWidth(150)
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for number, title in enumerate(STEP_TITLES, start=1):
            self.steps.addItem(f"{number}  {title}")
        self.steps.currentRowChanged.connect(self._step_clicked)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._basics_page())
        self.pages.addWidget(self._audience_page())
        self.pages.addWidget(self._content_page())
        self.pages.addWidget(self._schedule_page())
        self.pages.addWidget(self._budget_page())
        self.pages.addWidget(self._review_page())

        self.count_label = QLabel()
        self.count_label.setObjectName("AudienceCount")
        self.count_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.back_button = QPushButton("< &Back")
        self.back_button.setToolTip(f"The step before ({BACK_SHORTCUT})")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("&Next >")
        self.next_button.setObjectName("PrimaryButton")
        self.next_button.setAutoDefault(False)
        self.next_button.setToolTip("Next step (Ctrl+Enter)")
        self.next_button.clicked.connect(self.next)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        for keys in (NEXT_SHORTCUT, "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.next)
        QShortcut(QKeySequence(BACK_SHORTCUT), self).activated.connect(self.back)
        for step in Step:
            shortcut = QShortcut(QKeySequence(f"Ctrl+{step + 1}"), self)
            shortcut.activated.connect(lambda chosen=step: self.go_to(chosen))

        bottom = QHBoxLayout()
        bottom.setSpacing(8)
        bottom.addWidget(self.message_label, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.back_button)
        bottom.addWidget(self.next_button)
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(self.pages, 1)
        right.addWidget(self.count_label)
        main = QHBoxLayout()
        main.setSpacing(16)
        main.addWidget(self.steps)
        main.addLayout(right, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 16, 18, 14)
        column.setSpacing(10)
        column.addLayout(main, 1)
        column.addLayout(bottom)

        self._fill_from_draft()
        self._list_costs()
        self._connect_edits()
        self._show_step(Step.BASICS)
        self._read_templates()
        self.schedule_count()

    # -- pages ---------------------------------------------------------------------------------

    def _basics_page(self) -> QWidget:
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Campaign name")
        self.name_edit.setMaxLength(120)
        self.objective_edit = QLineEdit()
        self.objective_edit.setAccessibleName("Objective")
        self.objective_edit.setPlaceholderText("Bring back patients who have not visited")
        self.channel_combo = choice_combo("Channel", MESSAGE_CHANNELS)
        self.fallback_combos = [
            choice_combo(name, {"": NO_FALLBACK} | MESSAGE_CHANNELS)
            for name in ("Then", "And then")
        ]
        for combo in self.fallback_combos:
            combo.setToolTip(
                "For those the channels before cannot reach (no consent, no mobile or e-mail, "
                "do-not-contact, the cap): each patient gets one message"
            )
        self.purpose_combo = choice_combo("Purpose", PURPOSE_NAMES)
        form = _form()
        form.addRow("&Name", self.name_edit)
        form.addRow("&Objective", self.objective_edit)
        form.addRow("&Channel", self.channel_combo)
        form.addRow("&Then", self.fallback_combos[0])
        form.addRow("And th&en", self.fallback_combos[1])
        form.addRow("&Purpose", self.purpose_combo)
        return _page(
            form,
            note="A promotional message goes only to patients who agreed to offers on the "
            "channel; a service message (a reminder) to all but those who said no. Then: "
            "a patient the channel cannot reach gets the message on the next one instead.",
        )

    def _audience_page(self) -> QWidget:
        self.segment_combo = QComboBox()
        self.segment_combo.setAccessibleName("Who")
        self.segment_combo.addItem(EVERYONE, "")
        for name in audiences.segment_names():
            self.segment_combo.addItem(f"Dashboard segment: {name.title()}", name)
        self.lapsed_check = QCheckBox("Last visit more than")
        self.lapsed_spin = _spin(0, 3650, 90, " days ago")
        self.birthday_check = QCheckBox("Birthday in the next")
        self.birthday_spin = _spin(0, 366, 7, " days")
        self.item_check = QCheckBox("Had the item")
        self.item_edit = QLineEdit()
        self.item_edit.setAccessibleName("Item code")
        self.item_edit.setPlaceholderText("code, like HYDRA")
        self.item_edit.setMaxLength(30)
        self.spent_check = QCheckBox("Spent more than Rs.")
        self.spent_edit = QLineEdit()
        self.spent_edit.setAccessibleName("Spent more than")
        self.spent_edit.setPlaceholderText("5000")
        self.spent_edit.setMaxLength(20)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        for row, (check, field) in enumerate(
            (
                (self.lapsed_check, self.lapsed_spin),
                (self.birthday_check, self.birthday_spin),
                (self.item_check, self.item_edit),
                (self.spent_check, self.spent_edit),
            )
        ):
            grid.addWidget(check, row, 0)
            grid.addWidget(field, row, 1, Qt.AlignmentFlag.AlignLeft)
            field.setEnabled(False)
            check.toggled.connect(field.setEnabled)
        grid.setColumnStretch(2, 1)
        filters = QWidget()
        filters.setLayout(grid)
        form = _form()
        form.addRow("&Who", self.segment_combo)
        self.kept_label = QLabel()
        self.kept_label.setObjectName("Muted")
        self.kept_label.setWordWrap(True)
        self.count_detail = QLabel("Counting the audience...")
        self.count_detail.setObjectName("AudienceDetail")
        self.count_detail.setWordWrap(True)
        self.count_detail.setTextFormat(Qt.TextFormat.RichText)
        return _page(
            form,
            filters,
            self.kept_label,
            self.count_detail,
            note="Start from everyone or a segment of the dashboard, then narrow it down. "
            "The count below follows every change.",
        )

    def _content_page(self) -> QWidget:
        self.template_a_combo = QComboBox()
        self.template_a_combo.setAccessibleName("Template")
        self.ab_check = QCheckBox("A/B test: send a second template to part of the audience")
        self.template_b_combo = QComboBox()
        self.template_b_combo.setAccessibleName("Template B")
        self.template_b_combo.setEnabled(False)
        self.ab_check.toggled.connect(self.template_b_combo.setEnabled)
        self.holdout_spin = _spin(0, 50, 0, " %")
        self.holdout_spin.setAccessibleName("Hold-out group")
        self.holdout_spin.setToolTip("Patients who get nothing, to measure what the message adds")
        self.minimum_spin = _spin(1, 100_000, 100)
        self.minimum_spin.setAccessibleName("Minimum per arm")
        self.minimum_spin.setToolTip(
            "A winner is named only when each template reached this many and the difference "
            "is significant (a z-test at 5%)"
        )
        self.sample_combo = QComboBox()
        self.sample_combo.setAccessibleName("Preview for")
        self.sample_combo.addItem("The sample patient (Asha Rao)", None)
        self.preview_variant = QComboBox()
        self.preview_variant.setAccessibleName("Preview of")
        self.preview_variant.addItem("Template A", "A")  # B and the fallbacks' once chosen
        self.preview_variant.setEnabled(False)
        self.preview_edit = QPlainTextEdit()
        self.preview_edit.setObjectName("TemplatePreview")
        self.preview_edit.setAccessibleName("Preview")
        self.preview_edit.setReadOnly(True)
        self.preview_edit.setTabChangesFocus(True)
        self.preview_edit.setMinimumHeight(120)
        self.fallback_template_combos: list[QComboBox] = []
        self.fallback_labels: list[QLabel] = []
        for number in range(FALLBACKS):
            combo = QComboBox()
            combo.setAccessibleName(f"Fallback template {number + 1}")
            combo.setToolTip("Sent instead, for A and B alike, to those the channels before miss")
            label = QLabel()
            label.setBuddy(combo)
            label.hide()  # shown with its channel, once chosen in Basics
            combo.hide()
            self.fallback_template_combos.append(combo)
            self.fallback_labels.append(label)
        form = _form()
        form.addRow("&Template (A)", self.template_a_combo)
        form.addRow("", self.ab_check)
        form.addRow("Template &B", self.template_b_combo)
        for label, combo in zip(self.fallback_labels, self.fallback_template_combos, strict=True):
            form.addRow(label, combo)
        form.addRow("&Hold-out", self.holdout_spin)
        form.addRow("&Minimum per arm", self.minimum_spin)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview_variant)
        preview_row.addWidget(self.sample_combo, 1)
        preview_label = QLabel("Pre&view")  # a label of its own: a row of two has no buddy
        preview_label.setBuddy(self.preview_variant)
        form.addRow(preview_label, preview_row)
        return _page(form, self.preview_edit)

    def _schedule_page(self) -> QWidget:
        self.now_radio = QRadioButton("When I launch it")
        self.at_radio = QRadioButton("At")
        self.now_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.now_radio)
        group.addButton(self.at_radio)
        self.at_edit = QDateTimeEdit()
        self.at_edit.setAccessibleName("Send at")
        self.at_edit.setDisplayFormat("dd MMM yyyy HH:mm")
        self.at_edit.setCalendarPopup(True)
        self.at_edit.setEnabled(False)
        self.at_radio.toggled.connect(self.at_edit.setEnabled)
        at_row = QHBoxLayout()
        at_row.addWidget(self.at_radio)
        at_row.addWidget(self.at_edit)
        at_row.addStretch(1)
        when = QWidget()
        when_column = QVBoxLayout(when)
        when_column.setContentsMargins(0, 0, 0, 0)
        when_column.addWidget(self.now_radio)
        when_column.addLayout(at_row)
        self.trigger_combo = choice_combo("Trigger", {"": "No trigger"} | TRIGGER_NAMES)
        self.action_combo = choice_combo("Then", ACTION_NAMES)
        self.trigger_days_spin = _spin(0, 3650, 30, " days")
        self.trigger_days_spin.setAccessibleName("N days")
        self.delay_spin = _spin(0, 60 * 24 * 30, 0, " min")
        self.delay_spin.setAccessibleName("Delay")
        form = _form()
        form.addRow("Send", when)
        form.addRow("T&rigger", self.trigger_combo)
        form.addRow("Th&en", self.action_combo)
        form.addRow("N", self.trigger_days_spin)
        form.addRow("&Delay", self.delay_spin)
        return _page(
            form,
            note="The messages go out within the sending window (SMS 10:00-21:00); a trigger "
            "acts once per patient while the campaign runs.",
        )

    def _budget_page(self) -> QWidget:
        self.budget_edit = QLineEdit()
        self.budget_edit.setAccessibleName("Budget")
        self.budget_edit.setPlaceholderText("0 for no limit")
        # One cost a channel used, in the channels' order (Basics); the rows of channels not
        # used hidden. Each row's channel is self._cost_channels[row].
        self.cost_edits: list[QLineEdit] = []
        self.cost_labels: list[QLabel] = []
        for _position in range(1 + FALLBACKS):
            edit = QLineEdit()
            edit.setMaxLength(12)
            label = QLabel()
            label.setBuddy(edit)
            self.cost_edits.append(edit)
            self.cost_labels.append(label)
        self._cost_channels: list[str] = []
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("Muted")
        self.estimate_label.setWordWrap(True)
        self.promotion_edit = QLineEdit()
        self.promotion_edit.setAccessibleName("Promotion or code")
        self.promotion_edit.setPlaceholderText("GLOW20 (optional)")
        self.personal_check = QCheckBox("A personal single-use code for each recipient")
        self.attribution_spin = _spin(1, 365, 30, " days")
        self.attribution_spin.setAccessibleName("Attribution window")
        form = _form()
        form.addRow("B&udget Rs.", self.budget_edit)
        for label, edit in zip(self.cost_labels, self.cost_edits, strict=True):
            form.addRow(label, edit)
        self._budget_form = form
        form.addRow(self.estimate_label)
        form.addRow("Pro&motion", self.promotion_edit)
        form.addRow("", self.personal_check)
        form.addRow("&Attribution", self.attribution_spin)
        return _page(
            form,
            note="A conversion is an invoice within the attribution window after the message, "
            "or a use of the campaign's code.",
        )

    def _review_page(self) -> QWidget:
        self.review_grid = QGridLayout()
        self.review_grid.setHorizontalSpacing(14)
        self.review_grid.setVerticalSpacing(8)
        self.review_grid.setColumnStretch(1, 1)
        inner = QWidget()
        inner.setLayout(self.review_grid)
        return _page(
            inner,
            note="Create saves the campaign as a draft; launch it from the list when ready.",
        )

    # -- the draft and the widgets -------------------------------------------------------------

    def _fill_from_draft(self) -> None:
        d = self.draft
        self._filling = True
        try:
            self.name_edit.setText(d.name)
            self.objective_edit.setText(d.objective)
            self.channel_combo.setCurrentIndex(max(0, self.channel_combo.findData(d.channel)))
            for combo, channel in zip(
                self.fallback_combos, [*d.fallback_channels, "", ""], strict=False
            ):
                combo.setCurrentIndex(max(0, combo.findData(channel)))
            self.purpose_combo.setCurrentIndex(max(0, self.purpose_combo.findData(d.purpose)))
            self.segment_combo.setCurrentIndex(max(0, self.segment_combo.findData(d.segment)))
            for check, spin, value in (
                (self.lapsed_check, self.lapsed_spin, d.last_visit_older_than_days),
                (self.birthday_check, self.birthday_spin, d.birthday_within_days),
            ):
                check.setChecked(value is not None)
                if value is not None:
                    spin.setValue(value)
            self.item_check.setChecked(d.visited_item is not None)
            self.item_edit.setText(d.visited_item or "")
            self.spent_check.setChecked(d.spent_more_than is not None)
            self.spent_edit.setText(d.spent_more_than or "")
            kept = d.kept_words or ", ".join(sorted(d.kept_audience))
            self.kept_label.setText(f"Also: {kept}." if kept else "")
            self.kept_label.setVisible(bool(kept))
            self.holdout_spin.setValue(d.holdout_percent)
            self.minimum_spin.setValue(d.minimum_per_arm)
            self.ab_check.setChecked(d.template_b is not None)
            now = self._clock().astimezone(self._zone)
            local = QDateTime(QDate(now.year, now.month, now.day), QTime(now.hour, 0))
            self.at_edit.setDateTime(local.addSecs(3600))
            self.budget_edit.setText(d.budget)
            self.promotion_edit.setText(d.promotion_code)
            self.personal_check.setChecked(d.personal_codes)
            self.attribution_spin.setValue(d.attribution_days)
        finally:
            self._filling = False

    def _connect_edits(self) -> None:
        audience_edits = (
            self.segment_combo.currentIndexChanged,
            self.lapsed_check.toggled,
            self.lapsed_spin.valueChanged,
            self.birthday_check.toggled,
            self.birthday_spin.valueChanged,
            self.item_check.toggled,
            self.item_edit.textChanged,
            self.spent_check.toggled,
            self.spent_edit.textChanged,
            self.channel_combo.currentIndexChanged,
            self.purpose_combo.currentIndexChanged,
            *(combo.currentIndexChanged for combo in self.fallback_combos),
        )
        for signal in audience_edits:
            signal.connect(self._audience_edited)
        for combo in (self.channel_combo, self.purpose_combo, *self.fallback_combos):
            combo.currentIndexChanged.connect(self._list_templates)
        for signal in (
            self.template_a_combo.currentIndexChanged,
            self.template_b_combo.currentIndexChanged,
            self.ab_check.toggled,
            self.sample_combo.currentIndexChanged,
            self.preview_variant.currentIndexChanged,
            *(combo.currentIndexChanged for combo in self.fallback_template_combos),
        ):
            signal.connect(self._content_edited)
        for signal in (
            self.name_edit.textChanged,
            self.objective_edit.textChanged,
            self.holdout_spin.valueChanged,
            self.minimum_spin.valueChanged,
            self.now_radio.toggled,
            self.at_edit.dateTimeChanged,
            self.trigger_combo.currentIndexChanged,
            self.action_combo.currentIndexChanged,
            self.trigger_days_spin.valueChanged,
            self.delay_spin.valueChanged,
            self.budget_edit.textChanged,
            *(edit.textChanged for edit in self.cost_edits),
            self.promotion_edit.textChanged,
            self.personal_check.toggled,
            self.attribution_spin.valueChanged,
        ):
            signal.connect(self._read_widgets)

    def _read_widgets(self) -> None:
        """Copy the widgets into the draft (the draft is what the steps judge)."""
        if self._filling:
            return
        d = self.draft
        d.name = self.name_edit.text()
        d.objective = self.objective_edit.text()
        d.channel = str(self.channel_combo.currentData())
        then, and_then = (str(combo.currentData() or "") for combo in self.fallback_combos)
        self.fallback_combos[1].setEnabled(bool(then))
        d.fallback_channels = [c for c in (then, and_then if then else "") if c]
        d.purpose = str(self.purpose_combo.currentData())
        d.segment = str(self.segment_combo.currentData() or "")
        d.last_visit_older_than_days = (
            self.lapsed_spin.value() if self.lapsed_check.isChecked() else None
        )
        d.birthday_within_days = (
            self.birthday_spin.value() if self.birthday_check.isChecked() else None
        )
        d.visited_item = self.item_edit.text() if self.item_check.isChecked() else None
        d.spent_more_than = self.spent_edit.text() if self.spent_check.isChecked() else None
        if self._templates_read_once:  # until then the lists are empty: keep the draft's
            d.template_a = self.template_a_combo.currentData()
            b_chosen = self.ab_check.isChecked()
            d.template_b = self.template_b_combo.currentData() if b_chosen else None
            for channel, combo in zip(
                d.fallback_channels, self.fallback_template_combos, strict=False
            ):
                chosen = combo.currentData()
                fits = chosen in {r.id for r in self._fitting(channel)}
                d.fallback_templates[channel] = chosen if fits else None
        d.holdout_percent = self.holdout_spin.value()
        d.minimum_per_arm = self.minimum_spin.value()
        if self.at_radio.isChecked():
            local = cast(datetime, self.at_edit.dateTime().toPython())
            d.send_at = local.replace(tzinfo=self._zone)
        else:
            d.send_at = None
        d.trigger_kind = str(self.trigger_combo.currentData() or "")
        d.trigger_action = str(self.action_combo.currentData())
        d.trigger_days = self.trigger_days_spin.value()
        d.trigger_delay_minutes = self.delay_spin.value()
        d.budget = self.budget_edit.text()
        for channel, edit in zip(self._cost_channels, self.cost_edits, strict=False):
            d.costs[channel] = edit.text()
        if d.channels() != self._cost_channels:
            self._list_costs()
        d.promotion_code = self.promotion_edit.text()
        d.personal_codes = self.personal_check.isChecked()
        d.attribution_days = self.attribution_spin.value()
        kind = d.trigger_kind
        self.action_combo.setEnabled(bool(kind))
        self.delay_spin.setEnabled(bool(kind))
        self.trigger_days_spin.setEnabled(kind in ("no_visit_days", "promotion_expiring"))
        self.minimum_spin.setEnabled(self.ab_check.isChecked())
        self._list_preview_choices()
        self._show_estimate()
        self.message_label.setText("")

    def _audience_edited(self) -> None:
        self._read_widgets()
        self.schedule_count()

    def _content_edited(self) -> None:
        self._read_widgets()
        self.preview_now()

    # -- steps ---------------------------------------------------------------------------------

    def step(self) -> Step:
        return Step(self.pages.currentIndex())

    def _show_step(self, step: Step) -> None:
        self._reached = max(self._reached, step)
        self.pages.setCurrentIndex(step)
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(step)
        self.steps.blockSignals(False)
        for row in range(self.steps.count()):
            item = self.steps.item(row)
            flags = item.flags()
            if row <= self._reached:
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled)
            else:
                item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled)
        # The audience step shows its count in full; the others keep it in one line below.
        self.count_label.setVisible(step != Step.AUDIENCE)
        last = step == Step.REVIEW
        self.next_button.setText("&Create" if last else "&Next >")
        self.next_button.setToolTip(
            "Create the campaign as a draft (Ctrl+Enter)" if last else "Next step (Ctrl+Enter)"
        )
        self.back_button.setEnabled(step > Step.BASICS)
        if last:
            self._fill_review()
        if step == Step.CONTENT:
            self.read_samples()
            self.preview_now()
        first = {
            Step.BASICS: self.name_edit,
            Step.AUDIENCE: self.segment_combo,
            Step.CONTENT: self.template_a_combo,
            Step.SCHEDULE: self.now_radio,
            Step.BUDGET: self.budget_edit,
            Step.REVIEW: self.next_button,
        }[step]
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _step_clicked(self, row: int) -> None:
        if 0 <= row <= self._reached:
            self.go_to(Step(row))
        else:
            self.steps.blockSignals(True)
            self.steps.setCurrentRow(self.step())
            self.steps.blockSignals(False)

    def go_to(self, step: Step) -> bool:
        """Open `step` if it was reached already, or if it is the next one and every step
        before it is complete (the steps are taken in order the first time)."""
        self._read_widgets()
        if step > self._reached + 1:
            self._say(f"Go through the steps in order: {STEP_TITLES[self._reached + 1]} next.")
            return False
        if step > self._reached:
            refused = self.draft.first_refusal(step)
            if refused is not None:
                self._refuse(*refused)
                return False
        self._show_step(step)
        return True

    def next(self) -> None:
        """The next step, or, on Review, create the campaign."""
        self._read_widgets()
        step = self.step()
        if step == Step.REVIEW:
            self.create_campaign()
            return
        if step == Step.AUDIENCE and (self._count_timer.isActive() or not self._counting.idle):
            self._say("Counting the audience...")
            return
        why = self.draft.refusal(step)
        if why:
            self._refuse(step, why)
            return
        self._show_step(Step(step + 1))

    def back(self) -> None:
        if self.step() > Step.BASICS:
            self._show_step(Step(self.step() - 1))

    def _refuse(self, step: Step, why: str) -> None:
        if step != self.step():
            self._show_step(step)
        self._say(why, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message_label.setObjectName("FieldError" if error else "Muted")
        self.message_label.setText(text)
        restyle(self.message_label)

    def message(self) -> str:
        return self.message_label.text()

    # -- the audience --------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().astimezone(self._zone).date()

    def schedule_count(self) -> None:
        """Count the audience a moment after the last change (typing does not count each key)."""
        self.draft.count = None
        self.count_label.setText("Counting the audience...")
        self._count_timer.start()

    def count_now(self) -> None:
        """Count the audience as it stands, in the background."""
        self._count_timer.stop()
        number = self._counting.begin()
        try:
            spec = audiences.parse_audience(self.draft.audience_spec())
        except Exception as exc:  # a filter the service refuses, said in its words
            self._count_failed(number, exc)
            return
        db, user, channels, purpose = (
            self._db,
            self._user,
            self.draft.channels(),
            self.draft.purpose,
        )
        today, now = self._today(), self._clock()

        def count() -> AudienceCount:
            return audiences.count_channels(
                db, user, spec, channels, purpose=purpose, today=today, now=now
            )

        self._counting.run(
            count,
            lambda found: self._counted(number, found),
            lambda error: self._count_failed(number, error),
        )

    def _counted(self, number: int, count: AudienceCount) -> None:
        if not self._counting.is_latest(number):
            return
        self.draft.count = count
        head, detail = count_lines(count)
        channel, each = channel_text(count.channel), channel_counts(count)
        self.count_label.setText(f"<b>{head}</b> by {channel}" + (f": {each}" if each else ""))
        self.count_label.setToolTip(detail)
        first = f"<br>Each gets the first channel that reaches them: {each}." if each else ""
        self.count_detail.setText(f"<b>{head}</b> by {channel}.{first}<br>{detail}")
        self._samples = []
        self._show_estimate()
        self.counted.emit(count)

    def _count_failed(self, number: int, error: Exception) -> None:
        if not self._counting.is_latest(number):
            return
        self.draft.count = None
        self.count_label.setText(f"The audience cannot be counted: {error_sentence(error)}")
        self.count_detail.setText("")

    def _list_costs(self) -> None:
        """A cost row for each channel used, in their order, with what was typed for it."""
        channels = self.draft.channels()
        self._filling = True
        try:
            for row, (label, edit) in enumerate(
                zip(self.cost_labels, self.cost_edits, strict=True)
            ):
                channel = channels[row] if row < len(channels) else ""
                self._budget_form.setRowVisible(edit, bool(channel))
                if not channel:
                    continue
                name = CHANNEL_NAMES[channel]
                label.setText(f"Cost per &{name} Rs.")  # Alt+E, Alt+S, Alt+W
                edit.setAccessibleName(f"Cost per {name} message")
                edit.setPlaceholderText(COST_EXAMPLES.get(channel, "0.20"))
                edit.setText(self.draft.costs.get(channel, ""))
        finally:
            self._filling = False
        self._cost_channels = channels

    def _show_estimate(self) -> None:
        words = self.draft.cost_words()
        self.estimate_label.setText(
            f"If launched now: {words}. The hold-out gets none." if words else ""
        )

    # -- the content ---------------------------------------------------------------------------

    def _read_templates(self) -> None:
        db, user = self._db, self._user
        self._reads.run(
            lambda: templates.list_templates(db, user),
            self._templates_read,
            lambda error: self._say(error_sentence(error), error=True),
        )

    def _templates_read(self, rows: list[TemplateRow]) -> None:
        self._templates = rows
        self._templates_read_once = True
        self.draft.template_names = {row.id: row.name for row in rows}
        self._list_templates()

    def _fitting(self, channel: str) -> list[TemplateRow]:
        """The library's templates for `channel` and the chosen purpose."""
        purpose = self.purpose_combo.currentData()
        return [r for r in self._templates if r.channel == channel and r.purpose == purpose]

    def _list_templates(self) -> None:
        """The templates of the chosen channel and purpose in the A and B lists, and each
        channel fallen back on's in its own row (the rows of channels not chosen hidden)."""
        fitting = self._fitting(str(self.channel_combo.currentData()))
        wanted = (self.draft.template_a, self.draft.template_b)
        self._filling = True
        try:
            then = [str(c.currentData() or "") for c in self.fallback_combos]
            chosen = [c for c in (then[0], then[1] if then[0] else "") if c]
            rows = zip(self.fallback_labels, self.fallback_template_combos, strict=True)
            for number, (label, combo) in enumerate(rows):
                channel = chosen[number] if number < len(chosen) else ""
                label.setVisible(bool(channel))
                combo.setVisible(bool(channel))
                if not channel:
                    continue
                label.setText(f"Then &{CHANNEL_NAMES[channel]}")
                keep = self.draft.fallback_templates.get(channel)
                _fill_templates(combo, self._fitting(channel), keep)
            for combo, keep in zip(
                (self.template_a_combo, self.template_b_combo), wanted, strict=True
            ):
                _fill_templates(combo, fitting, keep)
            if self.template_b_combo.count() > 1 and self.template_b_combo.currentIndex() == 0:
                self.template_b_combo.setCurrentIndex(1)
        finally:
            self._filling = False
        self._content_edited()

    def read_samples(self) -> None:
        """The first patients the audience reaches, to preview the message for."""
        if self._samples or self.draft.count is None or not self.draft.count.reachable:
            return
        try:
            spec = audiences.parse_audience(self.draft.audience_spec())
        except Exception:  # the count said why already
            return
        db, user, channels, purpose = (
            self._db,
            self._user,
            self.draft.channels(),
            self.draft.purpose,
        )
        today, now = self._today(), self._clock()

        def read() -> list[tuple[uuid.UUID, str]]:
            ids = [
                patient
                for patient, _channel in audiences.reachable_by_channel(
                    db, user, spec, channels, purpose=purpose, today=today, now=now
                )[:SAMPLES]
            ]
            return [(i, patient_service.get_patient(db, i).name) for i in ids]

        number = self._sampling.begin()
        self._sampling.run(read, lambda rows: self._sampled(number, rows), lambda _e: None)

    def _sampled(self, number: int, rows: list[tuple[uuid.UUID, str]]) -> None:
        if not self._sampling.is_latest(number):
            return
        self._samples = rows
        keep = self.sample_combo.currentData()
        self._filling = True
        try:
            while self.sample_combo.count() > 1:
                self.sample_combo.removeItem(1)
            for patient_id, name in rows:
                self.sample_combo.addItem(name, patient_id)
            self.sample_combo.setCurrentIndex(max(0, index_of(self.sample_combo, keep)))
        finally:
            self._filling = False

    def preview_now(self) -> None:
        """Render the chosen template for the chosen patient, in the background."""
        if self._filling:
            return
        variant = self.preview_variant.currentData() or "A"
        template_id = {"A": self.draft.template_a, "B": self.draft.template_b}.get(
            variant, self.draft.fallback_templates.get(variant)
        )
        if template_id is None:
            self.preview_edit.setPlainText("")
            return
        patient_id = self.sample_combo.currentData()
        db, user, today = self._db, self._user, self._today()
        number = self._previewing.begin()
        self._previewing.run(
            lambda: templates.preview(db, user, template_id, patient_id=patient_id, today=today),
            lambda preview: self._previewed(number, preview),
            lambda error: self._previewed_failed(number, error),
        )

    def _list_preview_choices(self) -> None:
        """What the preview can show: template A, B in an A/B test, each fallback's."""
        wanted = [("Template A", "A")]
        if self.ab_check.isChecked():
            wanted.append(("Template B", "B"))
        wanted += [(f"Then {CHANNEL_NAMES[c]}", c) for c in self.draft.fallback_channels]
        combo = self.preview_variant
        shown = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        combo.setEnabled(len(wanted) > 1)
        if shown == wanted:
            return
        keep = combo.currentData()
        self._filling = True
        try:
            combo.clear()
            for text, data in wanted:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
        finally:
            self._filling = False

    def _previewed(self, number: int, preview: Preview) -> None:
        if not self._previewing.is_latest(number):
            return
        text = preview_text(preview)
        self.preview_edit.setPlainText(text)
        self.previewed.emit(text)

    def _previewed_failed(self, number: int, error: Exception) -> None:
        if self._previewing.is_latest(number):
            self.preview_edit.setPlainText(error_sentence(error))

    # -- review and create ---------------------------------------------------------------------

    def _fill_review(self) -> None:
        while self.review_grid.count():
            item = self.review_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        zone = self._zone.key
        for row, (what, chosen) in enumerate(self.draft.review_lines(zone)):
            caption = QLabel(what)
            caption.setObjectName("Muted")
            caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            value = QLabel(chosen)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.review_grid.addWidget(caption, row, 0)
            self.review_grid.addWidget(value, row, 1)

    def review_text(self) -> str:
        lines = self.draft.review_lines(self._zone.key)
        return "\n".join(f"{what}: {chosen}" for what, chosen in lines)

    def is_idle(self) -> bool:
        """Nothing counted, read, previewed or created in the background, none waiting."""
        ops = (self._reads, self._counting, self._sampling, self._previewing, self._creating)
        return not self._count_timer.isActive() and all(op.idle for op in ops)

    def create_campaign(self) -> None:
        """Create the campaign as a draft (and its trigger); the dialog closes once done."""
        if not self._creating.idle:
            return
        refused = self.draft.first_refusal(Step.REVIEW)
        if refused is not None:
            self._refuse(*refused)
            return
        db, user, now = self._db, self._user, self._clock()
        data, trigger = self.draft.campaign_spec(), self.draft.trigger_spec()

        def create() -> uuid.UUID:
            spec = campaigns.parse_spec(data)
            if trigger is None:
                return campaigns.create_campaign(db, user, spec, now=now)
            # One transaction: a trigger refused leaves no draft behind to be made twice.
            return triggers.create_with_trigger(db, user, spec, trigger, now=now)

        self._say("Creating the campaign...")
        self.next_button.setEnabled(False)
        self._creating.run(create, self._created, self._create_failed)

    def _created(self, campaign_id: uuid.UUID) -> None:
        self.next_button.setEnabled(True)
        self.created.emit(campaign_id)
        self.accept()

    def _create_failed(self, error: Exception) -> None:
        self.next_button.setEnabled(True)
        self._say(error_sentence(error), error=True)

    def done(self, result: int) -> None:
        self._count_timer.stop()
        super().done(result)
