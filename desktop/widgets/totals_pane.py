"""The invoice's figures at a glance: gross, each promotion's saving, GST, round-off, payable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.models.cart_model import amount_text
from domain.money import format_rupees
from domain.promotions import PricedCart

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class TotalsPane(QFrame):
    """A card listing the priced cart's totals; `rows()` returns what it shows.

    Signals: none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TotalsPane")
        self._rows: list[tuple[str, str]] = []

        heading = QLabel("Summary")
        heading.setObjectName("PaneHeading")
        self.state_label = QLabel()
        self.state_label.setObjectName("Muted")
        self.state_label.setAlignment(_RIGHT)
        head = QGridLayout()
        head.addWidget(heading, 0, 0)
        head.addWidget(self.state_label, 0, 1)

        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(0, 1)

        rule = QFrame()
        rule.setObjectName("TotalsRule")
        rule.setFrameShape(QFrame.Shape.HLine)

        payable_caption = QLabel("Payable")
        payable_caption.setObjectName("PayableCaption")
        self.payable_label = QLabel(format_rupees(0))
        self.payable_label.setObjectName("PayableAmount")
        self.payable_label.setAlignment(_RIGHT)
        self.payable_label.setAccessibleName("Payable")
        self.save_caption = QLabel("You save")
        self.save_caption.setObjectName("YouSave")
        self.you_save_label = QLabel(format_rupees(0))
        self.you_save_label.setObjectName("YouSave")
        self.you_save_label.setAlignment(_RIGHT)
        self.you_save_label.setAccessibleName("You save")
        bottom = QGridLayout()
        bottom.setHorizontalSpacing(12)
        bottom.setVerticalSpacing(4)
        bottom.setColumnStretch(0, 1)
        bottom.addWidget(payable_caption, 0, 0)
        bottom.addWidget(self.payable_label, 0, 1)
        bottom.addWidget(self.save_caption, 1, 0)
        bottom.addWidget(self.you_save_label, 1, 1)

        column = QVBoxLayout(self)
        column.setContentsMargins(18, 14, 18, 16)
        column.setSpacing(10)
        column.addLayout(head)
        column.addWidget(self._grid_host)
        column.addWidget(rule)
        column.addLayout(bottom)
        self.show_priced(None)

    def rows(self) -> list[tuple[str, str]]:
        """(caption, amount) as shown, top to bottom, Payable and You save included."""
        shown = list(self._rows) + [("Payable", self.payable_label.text())]
        if self.you_save_label.isVisibleTo(self):
            shown.append(("You save", self.you_save_label.text()))
        return shown

    def set_updating(self, updating: bool) -> None:
        self.state_label.setText("Updating..." if updating else "")

    def show_priced(self, priced: PricedCart | None) -> None:
        """Show a priced cart's totals, or zeros for an empty cart."""
        rows: list[tuple[str, str, str, str]] = []  # caption, amount, object name, tooltip
        if priced is None:
            rows.append(("Gross", format_rupees(0), "", ""))
            rows.append(("GST included", amount_text(0), "", ""))
            payable = saved = 0
        else:
            totals = priced.totals
            rows.append(("Gross", format_rupees(totals.gross), "", ""))
            for applied in priced.applied:
                rows.append(
                    (
                        applied.campaign_code,
                        f"-{amount_text(applied.discount_amount)}",
                        "PromotionSaving",
                        applied.campaign_name,
                    )
                )
            if totals.manual_discount:
                rows.append(("Manual discount", f"-{amount_text(totals.manual_discount)}", "", ""))
            rows.append(
                ("GST included", amount_text(totals.tax), "", "The GST inside the amounts above")
            )
            if totals.round_off:
                sign = "+" if totals.round_off > 0 else "-"
                rows.append(("Round off", f"{sign}{amount_text(abs(totals.round_off))}", "", ""))
            else:
                rows.append(("Round off", amount_text(0), "", ""))
            payable, saved = totals.payable, totals.you_save
        self._fill(rows)
        self.payable_label.setText(format_rupees(payable))
        self.you_save_label.setText(format_rupees(saved))
        self.you_save_label.setVisible(saved > 0)
        self.save_caption.setVisible(saved > 0)

    def _fill(self, rows: list[tuple[str, str, str, str]]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._rows = []
        for number, (caption, amount, name, tip) in enumerate(rows):
            left, right = QLabel(caption), QLabel(amount)
            right.setAlignment(_RIGHT)
            left.setObjectName(name or "TotalsCaption")
            right.setObjectName(name or "TotalsAmount")
            if tip:
                left.setToolTip(tip)
            self._grid.addWidget(left, number, 0)
            self._grid.addWidget(right, number, 1)
            self._rows.append((caption, amount))
