"""The counter's session: one invoice, from its first item to its saved PDF, in named states.

The rules, in the order the counter meets them:

1. States. `editing`: the cart can change and the prices shown are those of the cart (or it
   is empty). `pricing`: the cart can change and a quote for it is on its way. `saving`:
   Save was pressed; the cart is frozen while it is priced (if need be) and saved.
   `tendering`: the cart is frozen at its quote while the payments are typed (rule 8).
   `saved`: the invoice is saved; its PDF can be opened again; only a new invoice leaves it.
2. The cart, the patient and the codes change only while editing or pricing. Any other
   state refuses the change with a sentence saying what was not done and why: a barcode
   scanned while the invoice saves is refused, never added to the invoice being saved.
3. Every change asks for a new quote; each quote carries a sequence number and only the
   newest is kept, so the prices on show are never those of a cart that is gone.
4. A quantity is a whole number from 1 to 999; anything else is refused with the reason.
   More than 20 of a service is unusual and is asked about before it is taken.
5. A manual discount is applied only once the service accepted it for this user, and only
   if the cart can still change by then.
6. Save waits for the quote of the cart as it is, then saves exactly that quote's request;
   when the prices changed meanwhile, the new quote is shown and the cart is editable again.
7. An unsaved cart can be parked (sign-out) and restored later, for another user: it is
   priced again for them, so their own limits apply.
8. The tender (F9, or Ctrl+S from the cart) starts from the quote of the cart as it is;
   payment lines are added and removed only while tendering; Esc goes back to the cart and
   drops them. The save sends them with the cart (none: all of it on account). A save the
   prices refuse goes back to the cart; any other refusal (no counter session open for
   cash, a credit limit) back to the tender, lines kept, to be put right.
9. What the person may not do alone (a discount over their limit, credit over the
   patient's) is said through `approval_needed`; a manager's PIN given on the spot is
   kept for this invoice (`approve`) and the refused step is tried again with it.

The session holds no widget. It starts its service calls through a `Run` handed to it (the
panel runs them in its thread pools; the unit tests step them one at a time) and tells its
view what happened through signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from db.engine import Database
from desktop.errors import error_sentence
from desktop.models.cart_model import CartModel
from domain import log
from domain.bounds import MAX_QUANTITY
from domain.errors import FrontdeskError
from domain.money import format_rupees
from domain.payments import Method, TenderLine, TenderState, tender_state
from services import invoicing, promotions
from services.auth import CurrentUser
from services.catalog import CatalogEntry
from services.invoice_document import InvoiceDocument
from services.invoicing import (
    CartRequest,
    CodeRefused,
    DiscountOverLimit,
    InvoiceError,
    PriceChanged,
    Quote,
)
from services.patients import PatientMatch
from services.payments import CreditLimitExceeded
from services.promotions import CodeRow

T = TypeVar("T")

# Rule 4: more of one service than this on a line is asked about first.
UNUSUAL_SERVICE_QUANTITY = 20


class Run(Protocol):
    """Starts `call` away from the UI thread and hands its outcome back on it. `reads`
    says the call only reads (the counter keeps those in order on one thread)."""

    def __call__(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object],
        *,
        reads: bool = True,
    ) -> None: ...


class CounterState(StrEnum):
    """Where the invoice at the counter is (rule 1)."""

    EDITING = "editing"
    PRICING = "pricing"
    TENDERING = "tendering"
    SAVING = "saving"
    SAVED = "saved"


EDITABLE = (CounterState.EDITING, CounterState.PRICING)


@dataclass(frozen=True)
class QuantityQuestion:
    """An unusual quantity to be confirmed before it is taken (rule 4)."""

    uid: int
    quantity: int
    question: str


@dataclass(frozen=True)
class ParkedLine:
    """One line of a parked cart."""

    entry: CatalogEntry
    quantity: int
    manual_discount_percent: Decimal | None


@dataclass(frozen=True)
class ParkedCart:
    """An unsaved cart set aside at sign-out, to come back at the next sign-in (rule 7)."""

    patient: PatientMatch | None
    lines: tuple[ParkedLine, ...]
    codes: tuple[str, ...]
    parked_by: str


def pdf_file_name(invoice_number: str) -> str:
    """'IND/26-27/02216' -> 'IND-26-27-02216.pdf': a number's slashes are not folders."""
    return invoice_number.replace("/", "-").replace("\\", "-") + ".pdf"


def quantity_refusal(quantity: int) -> str | None:
    """Why `quantity` cannot be on a line (rule 4), or None when it can."""
    if quantity < 1:
        return "A quantity is at least 1. To take the item off the invoice, press Del."
    if quantity > MAX_QUANTITY:
        return f"A line holds at most {MAX_QUANTITY:,} of one item; {quantity:,} was not taken."
    return None


def unusual_quantity(entry: CatalogEntry, quantity: int) -> str | None:
    """The question to ask before billing `quantity` of `entry` (rule 4), or None."""
    if entry.item_type == "service" and quantity > UNUSUAL_SERVICE_QUANTITY:
        return (
            f"Bill {quantity} of {entry.name}? More than {UNUSUAL_SERVICE_QUANTITY} of one "
            "service on an invoice is unusual."
        )
    return None


class CounterSession(QObject):
    """The invoice being written at the counter: cart, patient, codes, quote, save and PDF.

    Signals:
        state_changed(str): the session entered this state (a CounterState value).
        changed(): the cart, the patient or the codes changed; a new quote is on its way.
        quote_changed(): the quote on show changed (read `current_quote()`).
        said(str, bool): a sentence for the person, and whether it reports a problem
            ('' clears the message).
        saved(object): the InvoiceDocument just saved.
        pdf_written(str): the saved invoice's PDF was written to this path.
        pdf_failed(str): the PDF could not be written, and why.
        code_known(str): what this applied code is (uses left, ...) was read again.
        tender_changed(): the payment lines changed (read `payments()`).
        approval_needed(str): a manager's PIN would allow this refused step (rule 9).
    """

    state_changed = Signal(str)
    changed = Signal()
    quote_changed = Signal()
    said = Signal(str, bool)
    saved = Signal(object)
    pdf_written = Signal(str)
    pdf_failed = Signal(str)
    code_known = Signal(str)
    tender_changed = Signal()
    approval_needed = Signal(str)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        run: Run,
        clock: Callable[[], datetime],
        invoice_folder: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._run = run
        self._clock = clock
        self.invoice_folder = invoice_folder
        self.cart = CartModel(self)
        self._state = CounterState.EDITING
        self._patient: PatientMatch | None = None
        self._codes: list[str] = []
        self._code_rows: dict[str, CodeRow | None] = {}
        self._quote: Quote | None = None
        self._quote_sequence = 0
        self._document: InvoiceDocument | None = None
        self._pdf_path: Path | None = None
        self._payments: list[TenderLine] = []
        self._tender_when_priced = False
        self._saving_from_tender = False
        self._approver: CurrentUser | None = None
        self._retry: Callable[[], object] | None = None

    # -- reading -------------------------------------------------------------------------

    @property
    def state(self) -> CounterState:
        return self._state

    def can_edit(self) -> bool:
        return self._state in EDITABLE

    def patient(self) -> PatientMatch | None:
        return self._patient

    def codes(self) -> list[str]:
        return list(self._codes)

    def code_row(self, code: str) -> CodeRow | None:
        """What an applied code is, once read (None while unknown or when there is none)."""
        return self._code_rows.get(code)

    def request(self) -> CartRequest:
        """The cart as it stands, for the services."""
        patient_id = self._patient.id if self._patient else None
        return CartRequest(patient_id, self.cart.items(), tuple(self._codes))

    def current_quote(self) -> Quote | None:
        """The last quote, if it is for the cart as it is now (rule 3)."""
        quote = self._quote
        return quote if quote is not None and quote.request == self.request() else None

    def saved_invoice(self) -> InvoiceDocument | None:
        return self._document

    def pdf_path(self) -> Path | None:
        return self._pdf_path

    def has_unsaved_cart(self) -> bool:
        """Something would be lost if the counter closed now."""
        return self._document is None and not self.cart.is_empty()

    # -- states --------------------------------------------------------------------------

    def _enter(self, state: CounterState) -> None:
        if state == self._state:
            return
        log.ui.debug("counter: %s -> %s", self._state, state)
        self._state = state
        self.cart.set_read_only(state not in EDITABLE)
        self.state_changed.emit(state.value)

    def _say(self, text: str, *, error: bool = True) -> None:
        self.said.emit(text, error)

    def refuses(self, what: str) -> bool:
        """Rule 2: True, and a sentence said, when the cart cannot change now; `what` says
        what was not done ("Botox (50 units) was not added")."""
        if self.can_edit():
            return False
        if self._state == CounterState.SAVING:
            self._say(
                f"The invoice is being saved: {what}. "
                "Once it is saved, press Ctrl+N and do it on the next invoice."
            )
        elif self._state == CounterState.TENDERING:
            self._say(f"The payment is being taken: {what}. Press Esc to go back to the cart.")
        else:
            self._say(f"This invoice is saved: {what}. Press Ctrl+N to start a new one.")
        return True

    # -- the patient ---------------------------------------------------------------------

    def choose_patient(self, patient: PatientMatch) -> bool:
        """Bill `patient`; False when refused."""
        if self.refuses(f"{patient.name} was not chosen"):
            return False
        self._patient = patient
        self._say("")
        self._after_change()
        return True

    # -- lines ---------------------------------------------------------------------------

    def add_item(self, entry: CatalogEntry) -> int | None:
        """Add one of `entry` (a line already holding it without a manual discount gets one
        more); returns the line's row, or None when refused."""
        if self.refuses(f"{entry.name} was not added"):
            return None
        row = next(
            (
                number
                for number, line in enumerate(self.cart.rows())
                if line.entry.id == entry.id and line.manual_discount_percent is None
            ),
            None,
        )
        if row is None:
            row = self.cart.add(entry)
        else:
            current = self.cart.row(row)
            if quantity_refusal(current.quantity + 1) is not None:
                self._say(quantity_refusal(current.quantity + 1) or "")
                return None
            self.cart.set_quantity(current.uid, current.quantity + 1)
        self._say("")
        self._after_change()
        return row

    def remove_line(self, row: int) -> bool:
        """Take line `row` off the invoice; False when refused or there is no such line."""
        if not 0 <= row < self.cart.rowCount():
            return False
        if self.refuses(f"{self.cart.row(row).entry.name} was not removed"):
            return False
        self.cart.remove(row)
        self._after_change()
        return True

    def step_quantity(self, row: int, step: int) -> QuantityQuestion | None:
        """One more (+1) or one less (-1) of line `row` (the + and - keys)."""
        if not 0 <= row < self.cart.rowCount():
            return None
        line = self.cart.row(row)
        return self.set_quantity(line.uid, line.quantity + step)

    def set_quantity(
        self, uid: int, quantity: int, *, confirmed: bool = False
    ) -> QuantityQuestion | None:
        """Set a line's quantity (rule 4). A refusal is said; an unusual quantity comes back
        as a question, to be asked and then set again with `confirmed=True`."""
        try:
            line = self.cart.row(self.cart.row_of(uid))
        except KeyError:
            return None  # the line was removed meanwhile
        if self.refuses(f"the quantity of {line.entry.name} was not changed"):
            return None
        refusal = quantity_refusal(quantity)
        if refusal is not None:
            self._say(refusal)
            return None
        if quantity == line.quantity:
            return None
        question = unusual_quantity(line.entry, quantity)
        if question is not None and not confirmed:
            return QuantityQuestion(uid, quantity, question)
        self.cart.set_quantity(uid, quantity)
        self._say("")
        self._after_change()
        return None

    def propose_discount(self, uid: int, percent: Decimal | None) -> None:
        """Check a manual discount with the service, then apply it (rule 5)."""
        try:
            number = self.cart.row_of(uid)
        except KeyError:
            return
        if self.refuses("the discount was not applied"):
            return
        items = list(self.cart.items())
        items[number] = replace(items[number], manual_discount_percent=percent)
        request = replace(self.request(), items=tuple(items))
        db, user, now = self._db, self._user, self._clock()

        def accepted(_quote: Quote) -> None:
            if self.refuses("the discount was not applied"):
                return
            try:
                changed = self.cart.set_manual_discount(uid, percent)
            except KeyError:
                return  # the line was removed meanwhile
            if changed:
                self._after_change()

        def refused(error: Exception) -> None:
            if isinstance(error, DiscountOverLimit) and self._approver is None:
                self._ask_approval(str(error), lambda: self.propose_discount(uid, percent))
                return
            self._failed(error)

        approver = self._approver
        self._run(
            lambda: invoicing.quote(db, user, request, now=now, approver=approver),
            accepted,
            refused,
        )

    # -- promo codes ---------------------------------------------------------------------

    def apply_code(self, code: str) -> bool:
        """Add a promo code to the invoice; False when refused or already there."""
        code = code.strip().upper()
        if not code or self.refuses(f"the code {code} was not applied"):
            return False
        if code in self._codes:
            return False
        self._codes.append(code)
        self._look_up_code(code)
        self._after_change()
        return True

    def remove_code(self, code: str) -> bool:
        if code not in self._codes or self.refuses(f"the code {code} was not removed"):
            return False
        self._codes.remove(code)
        self._after_change()
        return True

    def _look_up_code(self, code: str) -> None:
        db = self._db

        def found(row: CodeRow | None) -> None:
            self._code_rows[code] = row
            if code in self._codes:
                self.code_known.emit(code)

        self._run(lambda: promotions.code_at_counter(db, code), found, self._failed)

    # -- pricing (rule 3) ----------------------------------------------------------------

    def _after_change(self) -> None:
        self.changed.emit()
        self._reprice()

    def reprice(self) -> None:
        """Ask for the prices again (the cart is unchanged, but the promotions may not be)."""
        if self.can_edit():
            self._reprice()

    def _reprice(self) -> None:
        self._quote_sequence += 1
        if self.cart.is_empty():
            self._quote = None
            if self._state == CounterState.PRICING:
                self._enter(CounterState.EDITING)
            self.quote_changed.emit()
            return
        sequence, request = self._quote_sequence, self.request()
        db, user, now = self._db, self._user, self._clock()
        if self._state == CounterState.EDITING:
            self._enter(CounterState.PRICING)
        approver = self._approver
        self._run(
            lambda: invoicing.quote(db, user, request, now=now, approver=approver),
            lambda quote: self._priced(sequence, quote),
            lambda error: self._price_failed(sequence, error),
        )

    def _priced(self, sequence: int, quote: Quote) -> None:
        if sequence != self._quote_sequence:
            return  # the cart changed again; a newer quote is on its way
        self._quote = quote
        if self._state == CounterState.PRICING:
            self._enter(CounterState.EDITING)
        self.quote_changed.emit()
        if self._state == CounterState.SAVING:
            self._save_priced(quote)
        elif self._tender_when_priced:
            self._tender_when_priced = False
            self.tender()

    def _price_failed(self, sequence: int, error: Exception) -> None:
        if sequence != self._quote_sequence:
            return
        self._tender_when_priced = False
        self._quote = None
        if self._state in (CounterState.PRICING, CounterState.SAVING):
            self._enter(CounterState.EDITING)
        self.quote_changed.emit()
        self._failed(error)

    # -- the tender (rule 8) -------------------------------------------------------------

    def _ready(self) -> bool:
        if self.cart.is_empty():
            self._say("Add at least one item to the invoice.")
            return False
        if self._patient is None:
            self._say("Choose the patient before saving the invoice.")
            return False
        return True

    def tender(self) -> bool:
        """Go to the payment step with the cart's quote (waiting for it if it is on its
        way); False when refused (said why)."""
        if self._state == CounterState.TENDERING:
            return True
        if self._state not in EDITABLE or not self._ready():
            return False
        if self.current_quote() is None:
            self._tender_when_priced = True
            if self._state == CounterState.EDITING:
                self._reprice()
            return True
        self._payments = []
        self._enter(CounterState.TENDERING)
        self._say("")
        self.tender_changed.emit()
        return True

    def back_to_cart(self) -> bool:
        """Leave the payment step (Esc): its lines are dropped, the cart can change again."""
        if self._state != CounterState.TENDERING:
            return False
        self._payments = []
        self._enter(CounterState.EDITING)
        self.tender_changed.emit()
        return True

    def payable(self) -> int:
        quote = self.current_quote()
        return 0 if quote is None else quote.priced.totals.payable

    def payments(self) -> tuple[TenderLine, ...]:
        return tuple(self._payments)

    def tender_state(self) -> TenderState:
        """Paid so far, what is left and the change, for the lines typed."""
        return tender_state(self.payable(), self._payments)

    def add_payment(self, line: TenderLine) -> bool:
        """Add a payment line while tendering; False when refused (said why)."""
        if self._state != CounterState.TENDERING:
            return False
        if line.amount <= 0:
            self._say(f"Type the {line.method.label} amount (above 0).")
            return False
        before = self.tender_state()
        if line.method is not Method.CASH and line.amount > before.due:
            self._say(
                f"{line.method.label} takes at most what is due ({format_rupees(before.due)});"
                " only cash gives change."
            )
            return False
        if before.due <= 0:
            self._say("The payable is covered: press Ctrl+S to save.", error=False)
            return False
        self._payments.append(line)
        self._say("")
        self.tender_changed.emit()
        return True

    def remove_payment(self, index: int) -> bool:
        if self._state != CounterState.TENDERING or not 0 <= index < len(self._payments):
            return False
        del self._payments[index]
        self.tender_changed.emit()
        return True

    # -- approvals (rule 9) --------------------------------------------------------------

    def _ask_approval(self, sentence: str, retry: Callable[[], object]) -> None:
        self._retry = retry
        self._say(sentence)
        self.approval_needed.emit(sentence)

    def approve(self, manager: CurrentUser) -> None:
        """A manager gave their PIN: keep them for this invoice and try the refused step
        again."""
        self._approver = manager
        self._say(f"Allowed by {manager.full_name}.", error=False)
        retry, self._retry = self._retry, None
        if retry is not None:
            retry()

    def approver(self) -> CurrentUser | None:
        return self._approver

    # -- saving (rule 6) -----------------------------------------------------------------

    def save(self) -> bool:
        """Save the invoice as priced, with the payment lines typed (from the cart: none,
        all of it on account); False when there is nothing to save yet (said why)."""
        if self._state in (CounterState.SAVING, CounterState.SAVED):
            return False
        if not self._ready():
            return False
        waiting = self._state == CounterState.PRICING
        self._saving_from_tender = self._state == CounterState.TENDERING
        if not self._saving_from_tender:
            self._payments = []
        self._enter(CounterState.SAVING)
        self._say("Saving...", error=False)
        quote = self.current_quote()
        if quote is not None:
            self._save_priced(quote)
        elif not waiting:
            self._reprice()
        # else: the quote on its way is saved when it comes (_priced)
        return True

    def _save_priced(self, quote: Quote) -> None:
        db, user, now = self._db, self._user, self._clock()
        allow_refused = bool(quote.refused_codes)
        request = quote.request
        lines, approver = tuple(self._payments), self._approver
        self._run(
            lambda: invoicing.save_invoice(
                db,
                user,
                request,
                now=now,
                seen=quote,
                allow_refused_codes=allow_refused,
                payments=lines,
                approver=approver,
            ),
            self._save_done,
            self._save_failed,
            reads=False,
        )

    def _save_done(self, document: InvoiceDocument) -> None:
        self._document = document
        self._enter(CounterState.SAVED)
        self._say("")
        log.invoicing.info("invoice %s saved", document.invoice_number)
        self.saved.emit(document)
        for code in self._codes:  # the invoice used it: read what is left now
            self._look_up_code(code)
        self.write_pdf()

    def _save_failed(self, error: Exception) -> None:
        if self._saving_from_tender and not isinstance(error, PriceChanged | CodeRefused):
            self._enter(CounterState.TENDERING)
            self.tender_changed.emit()
            if isinstance(error, CreditLimitExceeded) and self._approver is None:
                self._ask_approval(str(error), self.save)
                return
            self._failed(error, prefix="The invoice was not saved. ")
            return
        self._payments = []
        self._enter(CounterState.EDITING)
        if isinstance(error, PriceChanged | CodeRefused):
            # Show the new prices; the person checks them and saves again.
            self._quote = error.quote
            self.quote_changed.emit()
            self._say(str(error))
        else:
            self._failed(error, prefix="The invoice was not saved. ")

    def _failed(self, error: Exception, *, prefix: str = "") -> None:
        if isinstance(error, InvoiceError | FrontdeskError):
            self._say(prefix + str(error))
            return
        log.ui.error("counter: %s", error, exc_info=error)
        self._say(prefix + error_sentence(error))

    # -- the PDF -------------------------------------------------------------------------

    def write_pdf(self) -> None:
        """Write the saved invoice's PDF (again); `pdf_written` or `pdf_failed` follows."""
        document = self._document
        if document is None:
            return
        folder = self.invoice_folder
        path = folder / pdf_file_name(document.invoice_number)

        def write() -> Path:
            folder.mkdir(parents=True, exist_ok=True)
            # Imported on first save: ReportLab is not needed to start the app.
            from services.invoice_pdf import render_invoice_pdf

            render_invoice_pdf(document, path, variant="a4")
            return path

        def written(done: Path) -> None:
            if self._document is not document:
                return  # a new invoice was started meanwhile
            self._pdf_path = done
            self.pdf_written.emit(str(done))

        def failed(error: Exception) -> None:
            log.pdf.error("could not write %s", path, exc_info=error)
            self.pdf_failed.emit(f"{folder}: {error}")

        self._run(write, written, failed, reads=False)

    # -- starting over, parking ----------------------------------------------------------

    def new_invoice(self) -> bool:
        """Start an empty invoice; refused (False) while one is being saved."""
        if self._state == CounterState.SAVING:
            self._say("Wait a moment: the invoice is being saved.")
            return False
        self._quote_sequence += 1  # any quote on its way is for the old cart
        self._document = None
        self._pdf_path = None
        self._payments = []
        self._tender_when_priced = False
        self._approver = None
        self._retry = None
        self._patient = None
        self._codes = []
        self._code_rows = {}
        self._quote = None
        self._enter(CounterState.EDITING)
        self.cart.clear()
        self._say("")
        self.changed.emit()
        self.quote_changed.emit()
        return True

    def park(self) -> ParkedCart | None:
        """The unsaved cart, to restore after the next sign-in (rule 7); None if nothing
        would be lost. The session itself is left as it is."""
        if not self.has_unsaved_cart() or not self.can_edit():
            return None  # a cart being saved is not parked: it would be billed twice
        lines = tuple(
            ParkedLine(row.entry, row.quantity, row.manual_discount_percent)
            for row in self.cart.rows()
        )
        return ParkedCart(self._patient, lines, tuple(self._codes), self._user.full_name)

    def restore(self, parked: ParkedCart) -> bool:
        """Put a parked cart back as a new invoice, priced again for this user."""
        if self._state == CounterState.SAVING:
            return False
        self.new_invoice()
        self._patient = parked.patient
        for line in parked.lines:
            row = self.cart.add(line.entry, line.quantity)
            if line.manual_discount_percent is not None:
                self.cart.set_manual_discount(self.cart.row(row).uid, line.manual_discount_percent)
        self._codes = list(parked.codes)
        for code in self._codes:
            self._look_up_code(code)
        self._say(f"The cart {parked.parked_by} parked at sign-out is back.", error=False)
        self._after_change()
        return True
