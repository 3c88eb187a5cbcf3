"""The branch's payment methods (issue #11): their names, which are offered at the tender
and in what order, which need a reference (a card slip, a UPI transaction id), and the
credit limit for patients with none of their own. Kept in app_settings; a manager changes
them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting
from domain.payments import Method, PaymentError
from domain.permissions import require
from services.auth import CurrentUser
from services.centre_settings import refuse_centre_setting
from services.uow import UnitOfWork

PAYMENT_SETTINGS_KEY = "payment_methods"


@dataclass(frozen=True)
class MethodSetting:
    """How the branch offers one way of paying: its name, whether it is on, whether it
    needs a reference (a card slip, a UPI transaction id)."""

    method: Method
    label: str
    enabled: bool = True
    needs_reference: bool = False


DEFAULT_METHODS = (
    MethodSetting(Method.CASH, "Cash"),
    MethodSetting(Method.UPI, "UPI", needs_reference=False),
    MethodSetting(Method.CARD, "Card", needs_reference=True),
    MethodSetting(Method.WALLET, "Wallet"),
    MethodSetting(Method.ON_ACCOUNT, "On account"),
)


@dataclass(frozen=True)
class PaymentSettings:
    """The branch's payment methods, in the order the tender offers them (1 to 5), and the
    credit limit for a patient with none of their own (paise; None: no limit)."""

    methods: tuple[MethodSetting, ...] = DEFAULT_METHODS
    default_credit_limit: int | None = None

    def setting(self, method: Method) -> MethodSetting:
        for setting in self.methods:
            if setting.method is method:
                return setting
        return MethodSetting(method, method.label, enabled=method is Method.ADVANCE)

    def label(self, method: Method | str) -> str:
        return self.setting(Method(method)).label

    @property
    def offered(self) -> tuple[MethodSetting, ...]:
        return tuple(s for s in self.methods if s.enabled)

    @property
    def labels(self) -> dict[Method, str]:
        return {s.method: s.label for s in self.methods}

    def check_offered(self, methods: Iterable[Method]) -> None:
        """Refuse a method the branch has switched off (an advance is always offered)."""
        for method in methods:
            if method is not Method.ADVANCE and not self.setting(method).enabled:
                raise PaymentError(f"{self.label(method)} is not offered at this branch")

    @property
    def needing_reference(self) -> tuple[Method, ...]:
        return tuple(s.method for s in self.methods if s.needs_reference)


def settings_from_json(data: dict[str, Any] | None) -> PaymentSettings:
    if not data:
        return PaymentSettings()
    by_method = {s.method: s for s in DEFAULT_METHODS}
    for entry in data.get("methods", []):
        method = Method(entry["method"])
        if method in by_method:
            by_method[method] = MethodSetting(
                method,
                str(entry.get("label") or method.label),
                bool(entry.get("enabled", True)),
                bool(entry.get("needs_reference", False)),
            )
    order = [
        Method(e["method"]) for e in data.get("methods", []) if Method(e["method"]) in by_method
    ]
    order += [m for m in by_method if m not in order]
    limit = data.get("default_credit_limit")
    return PaymentSettings(
        tuple(by_method[m] for m in order), None if limit is None else int(limit)
    )


def settings_to_json(settings: PaymentSettings) -> dict[str, Any]:
    return {
        "methods": [
            {
                "method": s.method.value,
                "label": s.label,
                "enabled": s.enabled,
                "needs_reference": s.needs_reference,
            }
            for s in settings.methods
        ],
        "default_credit_limit": settings.default_credit_limit,
    }


def read_payment_settings(session: Session) -> PaymentSettings:
    row = session.get(AppSetting, PAYMENT_SETTINGS_KEY)
    return settings_from_json(None if row is None else row.value)


def payment_settings(db: Database) -> PaymentSettings:
    with db.session(write=False) as session:
        return read_payment_settings(session)


def save_payment_settings(
    db: Database, actor: CurrentUser, settings: PaymentSettings, *, now: datetime
) -> PaymentSettings:
    """Change the methods' names, which are offered and which need a reference, and the
    default credit limit (manager); audited. Cash cannot be switched off."""
    require(actor.role, "payment_methods.change")
    clean: list[MethodSetting] = []
    for setting in settings.methods:
        label = " ".join(setting.label.split())
        if not label or len(label) > 20:
            raise PaymentError(f"Give {setting.method.label} a name of 1 to 20 characters")
        if setting.method is Method.CASH and not setting.enabled:
            raise PaymentError("Cash cannot be switched off: the drawer and the close need it")
        if setting.method is Method.ADVANCE:
            continue
        clean.append(replace(setting, label=label))
    limit = settings.default_credit_limit
    if limit is not None and limit < 0:
        raise PaymentError("A credit limit cannot be negative")
    result = PaymentSettings(tuple(clean), limit)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        refuse_centre_setting(session, PAYMENT_SETTINGS_KEY, "the payment methods")
        before = read_payment_settings(session)
        row = session.get(AppSetting, PAYMENT_SETTINGS_KEY)
        if row is None:
            session.add(AppSetting(key=PAYMENT_SETTINGS_KEY, value=settings_to_json(result)))
        else:
            row.value = settings_to_json(result)
        uow.audit(
            "payment.settings",
            "branch",
            actor.branch_id,
            {"from": settings_to_json(before), "to": settings_to_json(result)},
        )
        uow.commit()
    return result
