"""The patients behind one bar of the dashboard: who they are, when they last came, and
their R, F and M scores, with Export CSV. (The list is what a campaign audience will be
built from.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.promotion_models import Column, RowsModel, short_day
from desktop.panels.dashboard_figures import customers_table, plural
from desktop.widgets.chart_data import write_csv
from desktop.widgets.empty_table import EmptyStateTable
from domain.money import format_rupees, group_indian
from services.dashboard import CustomerRow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter


class CustomersModel(RowsModel[CustomerRow]):
    """The customers of a bar, most valuable first (the service's order)."""

    columns = (
        Column[CustomerRow]("Name", lambda r: r.name),
        Column[CustomerRow]("Mobile", lambda r: r.mobile),
        Column[CustomerRow]("Last visit", lambda r: short_day(r.last_visit)),
        Column[CustomerRow](
            "Days since",
            lambda r: group_indian(r.recency),
            _RIGHT,
            tooltip=lambda r: f"{r.recency} days from the last visit to the as-of date",
        ),
        Column[CustomerRow]("Visits", lambda r: str(r.frequency), _RIGHT),
        Column[CustomerRow]("Spent", lambda r: format_rupees(r.monetary), _RIGHT),
        Column[CustomerRow]("R", lambda r: str(r.r), _CENTRE),
        Column[CustomerRow]("F", lambda r: str(r.f), _CENTRE),
        Column[CustomerRow]("M", lambda r: str(r.m), _CENTRE),
        Column[CustomerRow]("Segment", lambda r: r.segment),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: str(r.patient_id), parent)


class CustomersDialog(QDialog):
    """Lists the customers behind a bar; Export CSV asks where and writes them.

    Signals:
        exported(str): the list was written to this path.
        audience_requested(str): "Make this an audience" was pressed for this segment.
    """

    exported = Signal(str)
    audience_requested = Signal(str)

    def __init__(
        self,
        heading: str,
        detail: str,
        rows: Sequence[CustomerRow],
        *,
        ask_path: Callable[[str, str], Path | None],
        file_stem: str,
        audience_segment: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`audience_segment`: the dashboard segment these customers are, offered as a
        campaign's audience (None: no such button, as for another chart's bar)."""
        super().__init__(parent)
        self._ask_path = ask_path
        self._file_stem = file_stem
        self.setWindowTitle(f"Customers - {heading}")
        self.resize(1100, 600)

        self.model = CustomersModel(self)
        self.model.set_rows(rows)
        self.heading_label = QLabel(f"{heading}: {plural(len(rows), 'customer')}")
        self.heading_label.setObjectName("FormHeading")
        self.detail_label = QLabel(detail)
        self.detail_label.setObjectName("Muted")
        self.detail_label.setWordWrap(True)

        self.table = EmptyStateTable("No customers", "No customer of the figures is in this bar.")
        self.table.setObjectName("CustomersTable")
        self.table.setAccessibleName("Customers")
        self.table.setModel(self.model)
        self.table.set_widths(
            {1: 120, 2: 118, 3: 104, 4: 70, 5: 144, 6: 44, 7: 44, 8: 44, 9: 150}, stretch=0
        )

        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setAutoDefault(False)
        self.export_button.setEnabled(bool(rows))
        self.export_button.clicked.connect(self.export)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        self.audience_button: QPushButton | None = None
        if audience_segment is not None:
            self.audience_button = QPushButton("Make this an audience  Alt+A")
            self.audience_button.setAutoDefault(False)
            self.audience_button.setToolTip(
                "Build a campaign for this segment (Alt+A); its audience is the segment over "
                "all the clinic's history, counted again as you narrow it"
            )
            self.audience_button.clicked.connect(lambda: self._make_audience(audience_segment))
            shortcut = QShortcut(QKeySequence("Alt+A"), self)
            shortcut.activated.connect(lambda: self._make_audience(audience_segment))
            buttons.addWidget(self.audience_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(8)
        column.addWidget(self.heading_label)
        column.addWidget(self.detail_label)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self.table.setFocus()

    def _make_audience(self, segment: str) -> None:
        self.accept()
        self.audience_requested.emit(segment)

    def rows(self) -> list[CustomerRow]:
        return self.model.rows()

    def export(self) -> None:
        """Ask where, then write the list as CSV."""
        path = self._ask_path("csv", f"{self._file_stem}.csv")
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> bool:
        """Write the list to `path`; says in the dialog whether it worked."""
        try:
            write_csv(path, customers_table(self.model.rows()))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._say(f"{path.name} could not be saved ({reason}). Choose another folder.", True)
            return False
        self._say(f"Saved {path.name} in {path.parent}.", False)
        self.exported.emit(str(path))
        return True

    def _say(self, text: str, error: bool) -> None:
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        self.status_label.setText(text)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
