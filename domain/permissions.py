"""Who may do what: the one table the services, the app and the README read (issue #13).

1. Each action is one line of `PERMISSIONS`: its name (`area.verb`), the least role that
   may do it (each role can do everything the roles before it can, domain.roles), and the
   sentence a refusal starts with ("Changing the catalog needs a manager; ...").
2. A service checks its action with `require(actor.role, "catalog.change")`; the app shows
   or hides what a role may do with `allowed(role, action)`. Neither spells a role itself.
3. An action a front-desk user may do is listed too, so that the table says everything a
   person may do; its check is then a statement of intent, not a barrier.
4. An approval on the spot ("discount.approve", "refund.approve", "payment.reverse") is an
   action of the person approving: the front desk does it with a manager's name and PIN.
5. A new action is a new line here. tests/services/test_access_matrix.py fails, naming
   the service, until every service that acts for a user is walked with every role, and
   until the README's "Who may do what" table is `markdown_table()` again.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import Role, has_role, require_role


@dataclass(frozen=True)
class Permission:
    """The least role an action needs and the words a refusal uses for it."""

    needs: Role
    what: str


FD, MANAGER, ADMIN = Role.FRONT_DESK, Role.MANAGER, Role.ADMIN

# One line per action (rule 1); grouped as the app's panels are.
PERMISSIONS: dict[str, Permission] = {
    # The counter
    "invoice.save": Permission(FD, "Saving an invoice"),
    "invoice.read": Permission(FD, "Finding, reprinting and refunding invoices"),
    "invoice.backdate": Permission(ADMIN, "Dating an invoice other than now"),
    "invoice.cancel": Permission(MANAGER, "Cancelling an invoice"),
    "discount.approve": Permission(MANAGER, "Approving a discount"),
    "refund.approve": Permission(MANAGER, "Approving a refund"),
    "patient.edit": Permission(FD, "Adding or changing a patient"),
    "patient.merge": Permission(MANAGER, "Merging patients"),
    "payment.take": Permission(FD, "Taking a payment"),
    "payment.reverse": Permission(MANAGER, "Reversing a payment"),
    "credit_limit.change": Permission(MANAGER, "Changing a credit limit"),
    "credit.allow": Permission(MANAGER, "Allowing credit over a patient's limit"),
    "session.open": Permission(FD, "Opening the counter session"),
    "session.cash": Permission(FD, "Moving cash in or out of the drawer"),
    "session.close": Permission(FD, "Closing the counter session"),
    "record.backdate": Permission(ADMIN, "Dating a record other than now (--at)"),
    # Callbacks
    "callback.read": Permission(FD, "Reading the callback queue"),
    "callback.work": Permission(FD, "Working on a callback"),
    "callback.settings": Permission(MANAGER, "Changing the callback settings and opening hours"),
    # Promotions and the catalog
    "promotion.manage": Permission(MANAGER, "Managing promotions"),
    "promotion.read": Permission(MANAGER, "Reading promotions and their analytics"),
    "usage.rebuild": Permission(MANAGER, "Rebuilding promotion usage"),
    "catalog.read": Permission(MANAGER, "Reading the catalog with its costs"),
    "catalog.change": Permission(MANAGER, "Changing the catalog"),
    "history.import": Permission(MANAGER, "Importing history"),
    "campaign.manage": Permission(MANAGER, "Managing campaigns"),
    "sponsor.manage": Permission(MANAGER, "Managing sponsors, their campaigns and billing"),
    "sponsor.impression": Permission(FD, "Recording sponsored badges shown and used"),
    # Reports
    "dashboard.read": Permission(MANAGER, "Reading the dashboard"),
    "promotion_reports.read": Permission(MANAGER, "Reading promotion reports"),
    "takings.read": Permission(MANAGER, "Reading the takings"),
    "gst.read": Permission(MANAGER, "Reading the GST summary"),
    # Settings
    "settings.open": Permission(MANAGER, "Opening Settings"),
    "branch.change": Permission(MANAGER, "Changing the branch's details"),
    "printer.change": Permission(MANAGER, "Changing the receipt printer"),
    "payment_methods.change": Permission(MANAGER, "Changing the payment methods"),
    "screen_lock.change": Permission(ADMIN, "Changing when the screen locks"),
    "staff.manage": Permission(ADMIN, "Managing staff"),
    "sync.settings": Permission(ADMIN, "Changing the central connection"),
    "backup.settings": Permission(ADMIN, "Changing where backups go"),
    "backup.restore": Permission(ADMIN, "Restoring a backup"),
    "data.export": Permission(ADMIN, "Exporting all the clinic's data"),
    "audit.verify": Permission(ADMIN, "Verifying the audit log"),
}


def needs(action: str) -> Role:
    """The least role `action` needs; a name not in the table is a programming error."""
    return PERMISSIONS[action].needs


def allowed(role: Role, action: str) -> bool:
    """True when a user with `role` may do `action` (rule 2)."""
    return has_role(role, needs(action))


def require(role: Role, action: str, what: str | None = None) -> None:
    """Refuse `action` (PermissionDenied, with a sentence) unless `role` may do it; `what`
    words the refusal when the caller knows better ("Approving a refund of Rs.500")."""
    permission = PERMISSIONS[action]
    require_role(role, permission.needs, permission.what if what is None else what)


def markdown_table() -> str:
    """The table as the README shows it: one row per action, a mark under each role that
    may do it."""
    roles = list(Role)
    lines = [
        "| action | what | " + " | ".join(role.label.lower() for role in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for action, permission in PERMISSIONS.items():
        marks = " | ".join("yes" if has_role(role, permission.needs) else "-" for role in roles)
        lines.append(f"| `{action}` | {permission.what} | {marks} |")
    return "\n".join(lines) + "\n"
