"""Creating or changing a promotion: every rule type of the engine, as the spec JSON that
services.promotions.save_promotion and `frontdesk promo add` read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.spec_form import (
    INPUT_WIDTH,
    CategoriesField,
    ItemCodesField,
    OptionalDateEdit,
    SpecDialog,
    optional_text,
    plain_number_box,
)
from desktop.workers import BackgroundOp
from services import catalog
from services import promotions as promotion_service
from services.auth import CurrentUser

TYPES = (
    ("percentage", "Percentage off"),
    ("fixed_amount", "Fixed amount off"),
    ("buy_x_get_y", "Buy X, get Y"),
)
SCOPES = (
    ("category", "Items in categories"),
    ("items", "Chosen items"),
    ("invoice", "The whole invoice"),
)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("FormHeading")
    return label


def _grid() -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(14)
    grid.setVerticalSpacing(8)
    grid.setColumnMinimumWidth(0, 150)
    grid.setColumnMinimumWidth(1, INPUT_WIDTH)
    grid.setColumnStretch(2, 1)
    return grid


def _quantity() -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, 999)
    box.setMaximumWidth(90)
    plain_number_box(box)
    return box


class PromotionDialog(SpecDialog):
    """A promotion's name, rule, amounts, dates, priority, limits and switches.

    `spec` is the exported JSON of the promotion being changed (None for a new one).

    Signals (from SpecDialog):
        saved(object): the PromotionSpec as saved.
    """

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        now: Callable[[], datetime],
        today: date,
        spec: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._now = now
        self.replacing: str | None = None if spec is None else str(spec["campaign_code"])
        self.setWindowTitle("New promotion" if spec is None else f"Edit {self.replacing}")
        self.setObjectName("PromotionDialog")
        self.setStyleSheet(theme.section("spec-dialog"))
        self.fallback_field = "rules"
        form = self.form

        # -- what it is
        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(40)
        self.code_edit.setPlaceholderText("e.g. PEELS10")
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("Optional")
        self.type_combo = QComboBox()
        for value, text in TYPES:
            self.type_combo.addItem(text, value)
        basics = _grid()
        form.add_row(
            basics,
            0,
            "campaign_code",
            "Campaign &code",
            self.code_edit,
            hint="2-40 letters, digits, '-' or '_'.",
        )
        form.add_row(basics, 1, "campaign_name", "&Name", self.name_edit)
        form.add_row(basics, 2, "description", "&Description", self.description_edit)
        form.add_row(basics, 3, "promotion_type", "&Type", self.type_combo)

        # -- the rule: percentage or fixed amount
        self.percent_edit = QLineEdit()
        self.percent_edit.setPlaceholderText("e.g. 10")
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("Rupees, e.g. 500")
        self.scope_combo = QComboBox()
        for value, text in SCOPES:
            self.scope_combo.addItem(text, value)
        self.items_edit = ItemCodesField(db)
        self.categories_edit = CategoriesField()
        self.requires_edit = ItemCodesField(db)
        self.requires_edit.setPlaceholderText("Optional: any one of these items")
        target = _grid()
        form.add_row(
            target,
            0,
            "discount_percent",
            "Discount &%",
            self.percent_edit,
            hint="More than 0, at most 100.",
        )
        form.add_row(
            target,
            1,
            "discount_amount",
            "Discount &amount",
            self.amount_edit,
            hint="Per unit on items; once on the whole invoice.",
        )
        form.add_row(target, 2, "scope", "Applies &to", self.scope_combo)
        form.add_row(
            target,
            3,
            "item_codes",
            "&Items",
            self.items_edit,
            hint="Item codes, separated by commas.",
        )
        form.add_row(
            target,
            4,
            "categories",
            "Cate&gories",
            self.categories_edit,
            hint="Categories, separated by commas.",
        )
        form.add_row(
            target,
            5,
            "requires_item_codes",
            "&Requires items",
            self.requires_edit,
            hint="Applies only when one of these is on the invoice.",
        )
        self.target_page = QWidget()
        self.target_page.setLayout(target)

        # -- the rule: buy X get Y
        self.buy_items = ItemCodesField(db)
        self.buy_categories = CategoriesField()
        self.buy_categories.setPlaceholderText("Optional: categories")
        self.buy_quantity = _quantity()
        self.get_items = ItemCodesField(db)
        self.get_categories = CategoriesField()
        self.get_categories.setPlaceholderText("Optional: categories")
        self.get_quantity = _quantity()
        self.get_percent = QLineEdit("100")
        self.get_percent.setMaximumWidth(90)
        self.repeat_box = QCheckBox("Every further complete set counts too")
        self.max_sets_edit = QLineEdit()
        self.max_sets_edit.setPlaceholderText("No limit")
        self.max_sets_edit.setMaximumWidth(120)
        bxgy = _grid()
        form.add_row(
            bxgy, 0, "buy_items", "&Buy items", self.buy_items, hint="Any of these item codes ..."
        )
        form.add_row(
            bxgy,
            1,
            "buy_categories",
            "Buy categories",
            self.buy_categories,
            hint="... or any item in these categories.",
        )
        form.add_row(bxgy, 2, "buy_quantity", "Buy &quantity", self.buy_quantity)
        form.add_row(bxgy, 3, "get_items", "&Get items", self.get_items)
        form.add_row(bxgy, 4, "get_categories", "Get categories", self.get_categories)
        form.add_row(bxgy, 5, "get_quantity", "Get q&uantity", self.get_quantity)
        form.add_row(
            bxgy,
            6,
            "get_discount_percent",
            "Get discount %",
            self.get_percent,
            hint="100 makes them free.",
        )
        form.add_row(bxgy, 7, "repeat", "Repeat", self.repeat_box)
        form.add_row(
            bxgy,
            8,
            "max_sets_per_invoice",
            "Max sets per invoice",
            self.max_sets_edit,
            hint="Only with repeat.",
        )
        self.bxgy_page = QWidget()
        self.bxgy_page.setLayout(bxgy)

        # One page of the rule shows at a time; a hidden page takes no room.
        self.rule_box = QWidget()
        rule_column = QVBoxLayout(self.rule_box)
        rule_column.setContentsMargins(0, 0, 0, 0)
        rule_column.setSpacing(0)
        rule_column.addWidget(self.target_page)
        rule_column.addWidget(self.bxgy_page)
        for page_grid in (target, bxgy):
            page_grid.setContentsMargins(0, 0, 0, 0)
        self.rules_message = QLabel()
        self.rules_message.setObjectName("Hint")
        self.rules_message.setWordWrap(True)
        # Errors in the rule as a whole ("No item has the code X") show under the rule.
        form.add_field("rules", self.rule_box, self.rules_message, hide_when_empty=True)

        # -- conditions
        self.min_spend_edit = QLineEdit()
        self.min_spend_edit.setPlaceholderText("None")
        self.cap_edit = QLineEdit()
        self.cap_edit.setPlaceholderText("No cap")
        self.start_edit = OptionalDateEdit("No start date")
        self.end_edit = OptionalDateEdit("No end date")
        self.priority_spin = QSpinBox()
        self.priority_spin.setRange(0, 9999)
        self.priority_spin.setValue(100)
        self.priority_spin.setMaximumWidth(90)
        plain_number_box(self.priority_spin)
        self.stackable_box = QCheckBox("Combines with other promotions")
        self.override_box = QCheckBox("May exceed the items' maximum discount")
        self.requires_code_box = QCheckBox("Only with a promo code typed at the counter")
        conditions = _grid()
        form.add_row(
            conditions,
            0,
            "min_purchase_amount",
            "&Minimum spend",
            self.min_spend_edit,
            hint="Rupees; the invoice must reach it.",
        )
        form.add_row(
            conditions,
            1,
            "max_discount_amount",
            "Ca&p per invoice",
            self.cap_edit,
            hint="Rupees; the most it gives on one invoice.",
        )
        form.add_row(
            conditions, 2, "start_date", "&Starts", self.start_edit, focus=self.start_edit.date_edit
        )
        form.add_row(
            conditions, 3, "end_date", "&Ends", self.end_edit, focus=self.end_edit.date_edit
        )
        form.add_row(
            conditions,
            4,
            "priority",
            "Pr&iority",
            self.priority_spin,
            hint="Lower numbers apply first.",
        )
        form.add_row(conditions, 5, "is_stackable", "Combining", self.stackable_box)
        form.add_row(conditions, 6, "override_max_discount", "Item limits", self.override_box)
        form.add_row(
            conditions,
            7,
            "requires_code",
            "Promo code",
            self.requires_code_box,
            hint="Create the code itself with + Code.",
        )

        # -- limits
        self.max_total_edit = QLineEdit()
        self.max_total_edit.setPlaceholderText("No limit")
        self.per_patient_edit = QLineEdit()
        self.per_patient_edit.setPlaceholderText("No limit")
        self.quota_edit = QLineEdit()
        self.quota_edit.setPlaceholderText("No quota")
        self.active_box = QCheckBox("Active (untick to pause it)")
        self.active_box.setChecked(True)
        limits = _grid()
        form.add_row(limits, 0, "max_total_uses", "Uses in &total", self.max_total_edit)
        form.add_row(limits, 1, "max_uses_per_patient", "Uses per patie&nt", self.per_patient_edit)
        form.add_row(
            limits,
            2,
            "branch_offline_quota",
            "Off&line quota a branch",
            self.quota_edit,
            hint="Uses a branch may make that the centre has not counted yet (with a limit).",
        )
        form.add_row(limits, 3, "is_active", "Status", self.active_box)
        for edit in (
            self.max_total_edit,
            self.quota_edit,
            self.per_patient_edit,
            self.min_spend_edit,
            self.cap_edit,
            self.percent_edit,
            self.amount_edit,
        ):
            edit.setMaximumWidth(160)

        body = QWidget()
        body.setObjectName("DialogBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(24, 18, 24, 12)
        column.setSpacing(10)
        column.addWidget(_heading("Promotion"))
        column.addLayout(basics)
        column.addSpacing(6)
        column.addWidget(_heading("Rule"))
        column.addWidget(self.rule_box)
        column.addWidget(self.rules_message)
        column.addSpacing(6)
        column.addWidget(_heading("Conditions"))
        column.addLayout(conditions)
        column.addSpacing(6)
        column.addWidget(_heading("Limits"))
        column.addLayout(limits)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        buttons = self.button_box()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 16)
        outer.setSpacing(8)
        outer.addWidget(scroll, 1)
        footer = QVBoxLayout()
        footer.setContentsMargins(24, 0, 24, 0)
        footer.addWidget(self.status_label)
        footer.addWidget(buttons)
        outer.addLayout(footer)
        self.fit(900, 680)

        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.scope_combo.currentIndexChanged.connect(self._scope_changed)
        self.start_edit.set_date(None, default=today)
        self.end_edit.set_date(None, default=today)
        if spec is not None:
            self.show_spec(spec)
        self._type_changed()
        self._load_categories()

    # -- showing -------------------------------------------------------------------------

    def _load_categories(self) -> None:
        db = self._db
        fields = (self.categories_edit, self.buy_categories, self.get_categories)

        def loaded(names: list[str]) -> None:
            for field in fields:
                field.set_choices(names)

        self._categories_op = (
            BackgroundOp(self, lambda: catalog.categories(db)).success(loaded).run_in_background()
        )

    def promotion_type(self) -> str:
        return str(self.type_combo.currentData())

    def _type_changed(self) -> None:
        kind = self.promotion_type()
        self.bxgy_page.setVisible(kind == "buy_x_get_y")
        self.target_page.setVisible(kind != "buy_x_get_y")
        self._set_row_visible("discount_percent", kind == "percentage")
        self._set_row_visible("discount_amount", kind == "fixed_amount")
        self._scope_changed()

    def _scope_changed(self) -> None:
        scope = self.scope_combo.currentData()
        self._set_row_visible("item_codes", scope == "items")
        self._set_row_visible("categories", scope == "category")

    def _set_row_visible(self, field: str, visible: bool) -> None:
        self.form.set_visible(field, visible)

    def show_spec(self, spec: dict[str, Any]) -> None:
        """Fill the form from a promotion's spec JSON."""
        self.code_edit.setText(str(spec.get("campaign_code") or ""))
        self.name_edit.setText(str(spec.get("campaign_name") or ""))
        self.description_edit.setText(str(spec.get("description") or ""))
        for edit in (self.code_edit, self.name_edit, self.description_edit):
            edit.setCursorPosition(0)  # show the start of a long text, not its end
        kind = str(spec.get("promotion_type") or "percentage")
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(kind), 0))
        rules = spec.get("rules") or {}
        self.percent_edit.setText(_number(spec.get("discount_percent")))
        self.amount_edit.setText(_number(spec.get("discount_amount")))
        if kind == "buy_x_get_y":
            buy, get = rules.get("buy") or {}, rules.get("get") or {}
            self.buy_items.set_values(buy.get("item_codes") or [])
            self.buy_categories.set_values(buy.get("categories") or [])
            self.buy_quantity.setValue(int(buy.get("quantity") or 1))
            self.get_items.set_values(get.get("item_codes") or [])
            self.get_categories.set_values(get.get("categories") or [])
            self.get_quantity.setValue(int(get.get("quantity") or 1))
            percent = get.get("discount_percent", spec.get("discount_percent"))
            self.get_percent.setText(_number(percent) or "100")
            self.repeat_box.setChecked(bool(rules.get("repeat")))
            sets = rules.get("max_sets_per_invoice")
            self.max_sets_edit.setText("" if sets is None else str(sets))
        else:
            scope = str(rules.get("scope") or "invoice")
            self.scope_combo.setCurrentIndex(max(self.scope_combo.findData(scope), 0))
            self.items_edit.set_values(rules.get("item_codes") or [])
            self.categories_edit.set_values(rules.get("categories") or [])
            self.requires_edit.set_values(rules.get("requires_item_codes") or [])
        minimum = _number(spec.get("min_purchase_amount"))
        self.min_spend_edit.setText("" if minimum == "0" else minimum)
        self.cap_edit.setText(_number(spec.get("max_discount_amount")))
        self.start_edit.set_date(_day(spec.get("start_date")))
        self.end_edit.set_date(_day(spec.get("end_date")))
        self.priority_spin.setValue(int(spec.get("priority") or 0))
        self.stackable_box.setChecked(bool(spec.get("is_stackable")))
        self.override_box.setChecked(bool(spec.get("override_max_discount")))
        self.requires_code_box.setChecked(bool(spec.get("requires_code")))
        total, per_patient = spec.get("max_total_uses"), spec.get("max_uses_per_patient")
        self.max_total_edit.setText("" if total is None else str(total))
        self.per_patient_edit.setText("" if per_patient is None else str(per_patient))
        quota = spec.get("branch_offline_quota")
        self.quota_edit.setText("" if quota is None else str(quota))
        self.active_box.setChecked(bool(spec.get("is_active", True)))

    # -- reading -------------------------------------------------------------------------

    def rules(self) -> dict[str, Any]:
        """The `rules` JSON of the rule on show."""
        if self.promotion_type() == "buy_x_get_y":
            sets_text = self.max_sets_edit.text().strip()
            sets: Any = int(sets_text) if sets_text.isdigit() else (sets_text or None)
            rules: dict[str, Any] = {
                "buy": {
                    "item_codes": self.buy_items.values(),
                    "categories": self.buy_categories.values(),
                    "quantity": self.buy_quantity.value(),
                },
                "get": {
                    "item_codes": self.get_items.values(),
                    "categories": self.get_categories.values(),
                    "quantity": self.get_quantity.value(),
                    "discount_percent": self.get_percent.text().strip() or "100",
                },
                "repeat": self.repeat_box.isChecked(),
            }
            if sets is not None:
                rules["max_sets_per_invoice"] = sets
            return rules
        scope = str(self.scope_combo.currentData())
        rules = {"scope": scope}
        if scope == "items":
            rules["item_codes"] = self.items_edit.values()
        elif scope == "category":
            rules["categories"] = self.categories_edit.values()
        required = self.requires_edit.values()
        if required:
            rules["requires_item_codes"] = required
        return rules

    def spec(self) -> dict[str, Any]:
        kind = self.promotion_type()
        percent = self.percent_edit.text().strip() if kind == "percentage" else None
        if kind == "buy_x_get_y":
            percent = self.get_percent.text().strip() or "100"
        return {
            "campaign_code": self.code_edit.text(),
            "campaign_name": self.name_edit.text(),
            "description": self.description_edit.text(),
            "promotion_type": kind,
            "rules": self.rules(),
            "discount_percent": percent,
            "discount_amount": optional_text(self.amount_edit) if kind == "fixed_amount" else None,
            "min_purchase_amount": optional_text(self.min_spend_edit),
            "max_discount_amount": optional_text(self.cap_edit),
            "start_date": self.start_edit.iso(),
            "end_date": self.end_edit.iso(),
            "priority": self.priority_spin.value(),
            "is_stackable": self.stackable_box.isChecked(),
            "override_max_discount": self.override_box.isChecked(),
            "requires_code": self.requires_code_box.isChecked(),
            "max_total_uses": optional_text(self.max_total_edit),
            "max_uses_per_patient": optional_text(self.per_patient_edit),
            "is_active": self.active_box.isChecked(),
            "branch_offline_quota": optional_text(self.quota_edit),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now, replacing = self._db, self._user, self._now(), self.replacing
        return lambda: promotion_service.save_promotion(
            db, user, spec, now=now, replacing=replacing
        )

    def refused_field(self, field: str) -> str:
        # A percentage refused on a buy X get Y belongs to its "get" discount.
        if field == "discount_percent" and self.promotion_type() == "buy_x_get_y":
            return "get_discount_percent"
        return field


def _number(value: Any) -> str:
    """'10.00' -> '10', '500.50' -> '500.50', None -> ''."""
    if value in (None, ""):
        return ""
    text = str(value)
    if "." in text:
        whole, fraction = text.split(".", 1)
        return whole if not fraction.strip("0") else text
    return text


def _day(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))
