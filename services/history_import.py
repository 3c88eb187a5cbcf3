"""Importing years of billing from another system as history invoices (issue #6).

The file is a CSV with one row per invoice line (COLUMNS, amounts in rupees). It is read and
checked in full before anything is written: a bad row stops the import with its file line
and the reason, and nothing is written. The rows to add (the invoices, `is_history`, with
their old numbers outside the branch's own series: `series` and `sequence_no` NULL and
`invoice_sequences` untouched; their lines; the patients and (inactive) catalog items not on
record yet) are then staged, a chunk at a time, in TEMP tables of the import's own
connection: SQLite keeps those apart from the clinic's file, so staging takes no write lock
and the counter saves meanwhile (issue #13 item 4: a 601,000-line import held the lock for
53 s and counter saves failed). Then they are published with INSERT ... SELECT (SQLite's own
loop, in key order) in steps of PUBLISH_CHUNK rows, each its own short write transaction, so
a counter saving meanwhile waits for one step at most (one transaction for 601,000 lines
held the lock 14 s, longer than a counter waits). All or nothing still holds:

1. The first step checks what changed while the file was staged (a patient the counter
   registered meanwhile is used, not added twice; an invoice number or item code added
   meanwhile refuses the import with a sentence), writes the new (inactive) items, a
   journal (app_settings JOURNAL) naming them, the new patients and the batch, and the
   import's audit entry (a withdrawal later has an entry of its own).
2. The new patients go in. The invoices go in hidden: status 'cancelled' with the batch's
   HIDDEN reason, which every report, account and search leaves out or shows as not
   issued. Then their lines.
3. The journal is marked "revealing": from then on the batch goes in. The invoices are
   revealed (status 'issued') and the new patients queued for the centre, a step at a
   time; the last step clears the journal. (One UPDATE for
   200,000 invoices held the lock 11 s: revealing in steps lets the counter through, and
   a report read meanwhile may see part of the batch for those seconds.)

A failure or a cancel before revealing withdraws what the batch wrote (its invoices and
lines, and the patients and items nothing else uses yet). An import cut off by a crash or
a power cut is withdrawn, or if it was revealing finished, by the next import, which finds
its journal. One import publishes at a time per clinic file (a lock file beside it). An invoice number already imported as history is
skipped, so importing the same file twice adds nothing.

A clinic's history runs to a million lines, so rows are checked in plain Python and written
as chunked INSERTs (no ORM object per row). New patients fire the FTS5 triggers like any
insert, so the type-ahead finds them, and they are queued for the centre as `add_patient`
queues a patient. The history invoices are not queued: they were billed by the old system,
and the centre collects what Frontdesk bills.
"""

from __future__ import annotations

import csv
import logging
import re
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout
from sqlalchemy import Column, Connection, MetaData, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    AppSetting,
    CatalogItem,
    InvoiceHeader,
    InvoiceLineItem,
    Patient,
    SyncOutbox,
)
from domain import bounds
from domain.bounds import clean_text
from domain.fiscal import fiscal_year_label
from domain.invoice_numbers import SEEDS_FORMAT, number_pattern
from domain.money import paise_to_decimal
from domain.patients import PatientDetailsError, normalise_mobile
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.branch import BranchInfo, get_branch
from services.errors import ServiceError
from services.uow import UnitOfWork

COLUMNS = (
    "invoice_number",
    "invoice_date",
    "patient_mobile",
    "patient_name",
    "item_code",
    "item_name",
    "quantity",
    "unit_price",
    "discount",
    "cost",
)

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5_000  # rows between progress calls while checking
INVOICE_CHUNK = 2_000  # invoices (with their lines) per INSERT batch
LOOKUP_CHUNK = 500  # values per IN (...) when looking up numbers and mobiles
INSERT_CHUNK = 5_000  # patients per INSERT batch
IMPORT_CACHE_KIB = 256 * 1024  # SQLite page cache while writing (negative PRAGMA: KiB)
# Rows a publishing step writes: about half a second of the write lock on a desk PC.
PUBLISH_CHUNK = 20_000
WITHDRAW_CHUNK = 2_000  # invoices a withdrawing step deletes, with their lines
PUBLISHING_SHARE = 0.8  # of the publishing progress: the rest is revealing
JOURNAL = "history_import.publishing"  # app_settings key of a batch being published
HIDDEN = "Being imported, batch "  # cancel_reason of a batch's invoices until revealed
MAX_QUANTITY = bounds.MAX_QUANTITY  # the counter's limit
MAX_UNIT_PAISE = bounds.MAX_AMOUNT  # Rs.1 crore a unit: far above any clinic's price
IMPORTED_CATEGORY = "Imported"

# The column widths of the tables the values land in.
MAX_NUMBER = 40
MAX_CODE = 30
MAX_NAME = 120

# ASCII digits only: a Unicode \\d would take Arabic-Indic or full-width digits.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_QUANTITY = re.compile(r"\s*(\d{1,9})\s*", re.ASCII)
_AMOUNT = re.compile(r"\s*(\d{1,7})(?:\.(\d{1,2}))?\s*", re.ASCII)  # the usual shape, fast


class HistoryImportError(ServiceError):
    """The file cannot be imported; `line` is the file line at fault (the header is line 1),
    None when the file as a whole is (unreadable, empty)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class ImportResult:
    """What an import added, and how many invoices of the file were already imported."""

    invoices_added: int
    lines_added: int
    patients_added: int
    items_added: int
    invoices_skipped: int


def import_transactions(
    db: Database,
    actor: CurrentUser,
    source: Path,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the invoices of a CSV file as history (manager), all or nothing.

    Raises HistoryImportError naming the line and column of the first bad row, or when
    another desk is importing into the same file. `progress`, if given, is called now and
    then with (done, total): each row counts once when checked and once when staged, and
    publishing counts for a tenth more (progress_total), so `done` climbs steadily to
    `total`. It runs on the caller's thread; an exception it raises (a cancel button) stops
    the import and nothing of it is kept.
    """
    require(actor.role, "history.import")
    branch = get_branch(db)
    today = now.astimezone(ZoneInfo(branch.details.timezone)).date()
    parsed = _read(source, today, progress)
    total = progress_total(parsed.physical_lines)
    with _one_import_at_a_time(db):  # before the plan: a cut-off batch's numbers are free
        _withdraw_unfinished(db, actor, now)
    with db.session(write=False) as session:
        plan = _plan(session, branch, parsed, now)
    hidden = HIDDEN + uuid.uuid4().hex
    # One connection: its TEMP tables hold the staged rows until they are published.
    with db.engine.connect() as connection:
        stage = _Stage(connection)
        try:
            _stage_rows(stage, actor, branch, parsed, plan, now, progress, hidden)
            staged = 2 * parsed.physical_lines

            def published(share: float) -> None:
                if progress is not None:
                    progress(staged + int((total - staged) * share), total)

            with _one_import_at_a_time(db), _big_page_cache(connection):
                batch = (source.name, hidden)
                return _publish(db, actor, now, stage, branch, plan, batch, published)
        finally:
            stage.drop()


def progress_total(lines: int) -> int:
    """The progress total of a file of `lines` rows: each checked, then staged, then a
    tenth more for publishing them."""
    return 2 * lines + max(1, lines // 10)


@contextmanager
def _one_import_at_a_time(db: Database) -> Iterator[None]:
    """Hold the clinic file's import lock (a file beside it) for the block, or refuse."""
    lock = FileLock(f"{db.path}.import.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise HistoryImportError(
            "Another desk is importing history into this clinic's file. Import this file "
            "when it has finished."
        ) from None
    try:
        yield
    finally:
        lock.release()


# ----------------------------------------------------------------------------- reading


def _bad(line: int, text: str) -> HistoryImportError:
    return HistoryImportError(f"Line {line}: {text}.", line)


@dataclass(slots=True)
class _Item:
    """An item as the file first names it (the catalog's own fields win when it exists)."""

    key: str  # the code in upper case: codes match whatever their case
    code: str
    name: str
    price: int
    cost: int


@dataclass(slots=True)
class _Invoice:
    """An invoice of the file: where it begins, its patient and its lines (a million-line
    file makes some 300,000 of these, so they hold no more than that)."""

    number: str
    line: int
    invoice_date: date
    mobile: str
    name: str
    lines: array[int] = field(default_factory=lambda: array("q"))  # indexes into _Rows


@dataclass
class _Rows:
    """Every checked line of the file, column by column (a million lines take ~50 MB)."""

    item: list[_Item] = field(default_factory=list)
    quantity: array[int] = field(default_factory=lambda: array("q"))
    price: array[int] = field(default_factory=lambda: array("q"))
    discount: array[int] = field(default_factory=lambda: array("q"))
    cost: array[int] = field(default_factory=lambda: array("q"))


@dataclass
class _Parsed:
    invoices: dict[str, _Invoice]
    rows: _Rows
    physical_lines: int  # the file's lines after the header, for progress


def _squeeze(text: str) -> str:
    return clean_text(text)


def _name_key(name: str) -> str:
    return _squeeze(name).casefold()


def _count_lines(source: Path) -> int:
    count = 0
    last = b"\n"
    with source.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _first_undecodable_line(source: Path) -> int:
    with source.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1  # UTF-8 never splits a character across lines; this is not reached


def _read(source: Path, today: date, progress: Progress | None) -> _Parsed:
    try:
        physical = _count_lines(source)
        with source.open(encoding="utf-8-sig", newline="") as handle:
            checker = _Checker(today)
            checker.read(handle, source.name, progress, max(physical - 1, 0))
    except UnicodeDecodeError:
        line = _first_undecodable_line(source)
        raise _bad(
            line, "the file is not UTF-8 text; save it as 'CSV UTF-8' and import it again"
        ) from None
    except OSError as exc:
        raise HistoryImportError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    return _Parsed(checker.invoices, checker.rows, max(physical - 1, 0))


def _header_positions(header: list[str]) -> list[int]:
    names = [name.strip().lower() for name in header]
    for name in COLUMNS:
        if names.count(name) > 1:
            raise _bad(1, f"the header names the column {name} twice")
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise _bad(
            1,
            f"the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            f" (it needs {', '.join(COLUMNS)})",
        )
    return [names.index(name) for name in COLUMNS]


class _Checker:
    """Checks rows one by one and collects the invoices, items and lines they make."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.invoices: dict[str, _Invoice] = {}
        self.items: dict[str, _Item] = {}
        self.rows = _Rows()
        self._dates: dict[str, date] = {}
        self._mobiles: dict[str, str] = {}

    def read(self, handle: TextIO, name: str, progress: Progress | None, total: int) -> None:
        """Check every row of the open file; `total` is its line count after the header."""
        reader = csv.reader(handle)
        start = 1  # the line where the record being read begins
        try:
            header = next(reader, None)
            if header is None:
                raise HistoryImportError(
                    f"{name} is empty; it needs a header line naming the columns"
                    f" {', '.join(COLUMNS)}, then one line per invoice line."
                )
            positions = _header_positions(header)
            width = len(header)
            start = reader.line_num + 1
            checked = 0
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not any(value.strip() for value in fields):
                    continue  # blank lines and rows of empty cells, as spreadsheets save them
                if len(fields) != width and (
                    len(fields) < width or any(value.strip() for value in fields[width:])
                ):
                    raise _bad(
                        line, f"it has {len(fields)} values where the header has {width} columns"
                    )
                self.add(line, *[fields[i] for i in positions])
                checked += 1
                if progress is not None and checked % PROGRESS_EVERY == 0:
                    progress(min(reader.line_num - 1, total), progress_total(total))
        except csv.Error as exc:
            raise _bad(start, f"it cannot be read as CSV ({exc})") from None
        if not self.invoices:
            raise HistoryImportError(f"{name} has a header but no invoice lines to import.")
        if progress is not None:
            progress(total, progress_total(total))

    def add(
        self,
        line: int,
        number: str,
        day: str,
        mobile: str,
        name: str,
        code: str,
        item_name: str,
        quantity: str,
        price: str,
        discount: str,
        cost: str,
    ) -> None:
        """Check one row and add it to its invoice."""
        number = number.strip()
        invoice = self.invoices.get(number)
        if invoice is None:
            invoice = self._new_invoice(line, number, day, mobile, name)
        elif not (
            self._dates.get(day) == invoice.invoice_date
            and self._mobiles.get(mobile) == invoice.mobile
            and name == invoice.name
        ):  # the quick test (as written before, and equal) failed: compare with care
            self._check_agrees(invoice, line, day, mobile, name)
        units = _quantity(line, quantity)
        unit_price = _paise(line, "unit_price", price)
        off = _paise(line, "discount", discount, blank=0)
        unit_cost = _paise(line, "cost", cost)
        item = self._item(line, code, item_name, unit_price, unit_cost)
        gross = units * unit_price
        if off > gross:
            raise _bad(
                line,
                f"discount {paise_to_decimal(off)} is more than quantity x unit_price"
                f" ({paise_to_decimal(gross)}); discount is the line's whole discount in rupees",
            )
        rows = self.rows
        invoice.lines.append(len(rows.item))
        rows.item.append(item)
        rows.quantity.append(units)
        rows.price.append(unit_price)
        rows.discount.append(off)
        rows.cost.append(unit_cost)

    def _new_invoice(self, line: int, number: str, day: str, mobile: str, name: str) -> _Invoice:
        if not number:
            raise _bad(line, "invoice_number is empty")
        if len(number) > MAX_NUMBER:
            raise _bad(line, f"invoice_number is longer than {MAX_NUMBER} characters")
        invoice = _Invoice(
            number=number,
            line=line,
            invoice_date=self._date(line, day),
            mobile=self._mobile(line, mobile),
            name=_patient_name(line, name),
        )
        self.invoices[number] = invoice
        return invoice

    def _check_agrees(self, invoice: _Invoice, line: int, day: str, mobile: str, name: str) -> None:
        begins = f"on line {invoice.line}, where invoice {invoice.number} begins"
        if (when := self._date(line, day)) != invoice.invoice_date:
            raise _bad(line, f"invoice_date {when} differs from {invoice.invoice_date} {begins}")
        if (number := self._mobile(line, mobile)) != invoice.mobile:
            raise _bad(line, f"patient_mobile {number} differs from {invoice.mobile} {begins}")
        if _name_key(_patient_name(line, name)) != _name_key(invoice.name):
            raise _bad(
                line, f"patient_name '{_squeeze(name)}' differs from '{invoice.name}' {begins}"
            )

    def _date(self, line: int, text: str) -> date:
        known = self._dates.get(text)
        if known is not None:
            return known
        raw = text.strip()
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError(raw)
            day = date.fromisoformat(raw)
        except ValueError:
            raise _bad(
                line, f"invoice_date must be a date written YYYY-MM-DD, not '{text}'"
            ) from None
        if day > self.today:
            raise _bad(line, f"invoice_date {day} is after today ({self.today})")
        if day < bounds.EARLIEST_DAY:
            raise _bad(line, f"invoice_date {day} is before {bounds.EARLIEST_DAY}; check the year")
        self._dates[text] = day
        return day

    def _mobile(self, line: int, text: str) -> str:
        known = self._mobiles.get(text)
        if known is not None:
            return known
        try:
            mobile = normalise_mobile(text)
        except PatientDetailsError:
            raise _bad(
                line,
                f"patient_mobile must be a 10-digit mobile number starting with 6-9, not '{text}'",
            ) from None
        self._mobiles[text] = mobile
        return mobile

    def _item(self, line: int, code: str, name: str, price: int, cost: int) -> _Item:
        code = code.strip()
        key = code.upper()
        item = self.items.get(key)
        if item is not None:
            if not name.strip():
                raise _bad(line, "item_name is empty")
            return item
        if not code:
            raise _bad(line, "item_code is empty")
        if len(code) > MAX_CODE:
            raise _bad(line, f"item_code is longer than {MAX_CODE} characters")
        clean = _squeeze(name)
        if not clean:
            raise _bad(line, "item_name is empty")
        if len(clean) > MAX_NAME:
            raise _bad(line, f"item_name is longer than {MAX_NAME} characters")
        item = _Item(key, code, clean, price, cost)
        self.items[key] = item
        return item


def _patient_name(line: int, text: str) -> str:
    name = _squeeze(text)
    if len(name) < 2:
        raise _bad(line, f"patient_name must have at least two letters, not '{text}'")
    if len(name) > MAX_NAME:
        raise _bad(line, f"patient_name is longer than {MAX_NAME} characters")
    return name


def _quantity(line: int, text: str) -> int:
    match = _QUANTITY.fullmatch(text)
    units = int(match.group(1)) if match else 0
    if units < 1:
        raise _bad(line, f"quantity must be a whole number above 0, not '{text}'")
    if units > MAX_QUANTITY:
        raise _bad(line, f"quantity {units} is more than {MAX_QUANTITY:,}")
    return units


def _paise(line: int, column: str, text: str, *, blank: int | None = None) -> int:
    """Rupees as paise: the usual shape by a regular expression, grouped figures by
    domain.bounds.read_number; anything else (1E+3, other digits, a sign) is refused."""
    match = _AMOUNT.fullmatch(text)
    if match:
        whole, fraction = match.groups()
        return int(whole) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    raw = text.strip()
    if not raw:
        if blank is not None:
            return blank
        raise _bad(line, f"{column} is empty; write 0 if it was nothing")
    if raw.startswith("-") and bounds.read_number(raw[1:]) is not None:
        raise _bad(line, f"{column} cannot be negative, not '{text}'")
    amount = bounds.read_number(raw)
    if amount is None:
        raise _bad(
            line,
            f"{column} must be an amount in rupees such as 1500, 1500.50 or 1,00,000.50"
            f" (digits 0-9, no exponent or sign), not '{text}'",
        )
    paise = amount * 100
    if paise != paise.to_integral_value():
        raise _bad(line, f"{column} has more than two decimal places, '{text}'")
    if paise > MAX_UNIT_PAISE:
        raise _bad(line, f"{column} {raw} is more than Rs.1 crore")
    return int(paise)


# ----------------------------------------------------------------------------- writing


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_numbers(
    session: Session, branch_id: uuid.UUID, numbers: list[str]
) -> dict[str, bool]:
    """The numbers already used in the branch, each with its `is_history`."""
    found: dict[str, bool] = {}
    for chunk in _chunks(numbers, LOOKUP_CHUNK):
        rows = session.execute(
            select(InvoiceHeader.invoice_number, InvoiceHeader.is_history).where(
                InvoiceHeader.branch_id == branch_id, InvoiceHeader.invoice_number.in_(chunk)
            )
        )
        found.update((number, is_history) for number, is_history in rows)
    return found


def _invoices_to_add(
    session: Session, branch: BranchInfo, invoices: Iterable[_Invoice]
) -> tuple[list[_Invoice], int]:
    """The file's invoices not imported before, and how many were; refuses a number of the
    branch's own: one it used, or one its series may still reach (the counter would then
    fail to save)."""
    ordered = list(invoices)
    existing = _existing_numbers(session, branch.id, [invoice.number for invoice in ordered])
    details = branch.details
    # The branch's format now, and the seeds' one it may have numbered with before.
    own = [
        number_pattern(
            template, branch_code=details.branch_code or "", series=details.invoice_series
        )
        for template in {details.number_format or SEEDS_FORMAT, SEEDS_FORMAT}
    ]
    added: list[_Invoice] = []
    skipped = 0
    for invoice in ordered:
        is_history = existing.get(invoice.number)
        if is_history:
            skipped += 1
        elif is_history is not None:
            raise _bad(
                invoice.line,
                f"invoice number {invoice.number} is already used by one of this branch's invoices",
            )
        elif any(pattern.fullmatch(invoice.number) for pattern in own):
            raise _bad(
                invoice.line,
                f"invoice number {invoice.number} belongs to this branch's own numbering,"
                " which the counter uses; give the old numbers another prefix",
            )
        else:
            added.append(invoice)
    return added, skipped


def _registered(session: Session, mobiles: list[str]) -> dict[tuple[str, str], uuid.UUID]:
    """The oldest active patient with each (mobile, name key) among `mobiles`."""
    known: dict[tuple[str, str], uuid.UUID] = {}
    for chunk in _chunks(mobiles, LOOKUP_CHUNK):
        rows = session.execute(
            select(Patient.id, Patient.mobile, Patient.name)
            .where(Patient.mobile.in_(chunk), Patient.retired_at.is_(None))
            .order_by(Patient.created_at, Patient.id)
        )
        for patient_id, mobile, name in rows:
            known.setdefault((mobile, _name_key(name)), patient_id)
    return known


def _patients(
    session: Session, invoices: list[_Invoice]
) -> tuple[dict[tuple[str, str], uuid.UUID], list[tuple[uuid.UUID, str, str]]]:
    """Each invoice's patient by (mobile, name key): the oldest active patient with that
    mobile and name, else a new one (family members may share a mobile). Returns the ids
    and the new patients as (id, name, mobile)."""
    known = _registered(session, sorted({invoice.mobile for invoice in invoices}))
    new: list[tuple[uuid.UUID, str, str]] = []
    for invoice in invoices:
        key = (invoice.mobile, _name_key(invoice.name))
        if key not in known:
            known[key] = uuid.uuid4()
            new.append((known[key], invoice.name, invoice.mobile))
    return known, new


def _patient_rows(
    branch_id: uuid.UUID, patients: list[tuple[uuid.UUID, str, str]], now: datetime
) -> list[dict[str, Any]]:
    """The new patients' rows: nothing but a name and a mobile is known of them (no
    consents)."""
    return [
        {
            "id": patient_id,
            "branch_id": branch_id,
            "name": name,
            "mobile": mobile,
            "email": None,
            "birth_date": None,
            "gender": None,
            "consent_sms": False,
            "consent_email": False,
            "consent_whatsapp": False,
            "created_at": now,
            "updated_at": now,
        }
        for patient_id, name, mobile in patients
    ]


def _catalog(
    session: Session, rows: _Rows, invoices: list[_Invoice], now: datetime
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The catalog fields each line copies, by item key; items not in the catalog are
    added switched off, in the category 'Imported', at the first price and cost seen."""
    catalog: dict[str, dict[str, Any]] = {}
    columns = (
        CatalogItem.id,
        CatalogItem.code,
        CatalogItem.name,
        CatalogItem.item_type,
        CatalogItem.category,
    )
    for found in session.execute(select(*columns).order_by(CatalogItem.code)).mappings():
        catalog.setdefault(found["code"].upper(), dict(found))
    new: list[dict[str, Any]] = []
    seen: set[str] = set()
    for invoice in invoices:
        for index in invoice.lines:
            item = rows.item[index]
            if item.key in seen:
                continue
            seen.add(item.key)
            if item.key in catalog:
                continue
            row = {
                "id": uuid.uuid4(),
                "code": item.code,
                "name": item.name,
                "item_type": "service",
                "category": IMPORTED_CATEGORY,
            }
            catalog[item.key] = row
            new.append(
                {
                    **row,
                    "price": item.price,
                    "cost": item.cost,
                    "tax_rate": Decimal(0),
                    "max_discount_percent": Decimal(100),
                    "barcode": None,
                    "is_active": False,
                    "created_at": now,
                    "updated_at": now,
                    "retired_at": None,
                }
            )
    return catalog, new


@contextmanager
def _big_page_cache(connection: Connection) -> Iterator[None]:
    """A page cache large enough for the indexes being filled, for the block only:
    with SQLite's default 2 MB, inserts at random places of the UUID indexes keep reading
    and spilling pages, and a million lines took half as long again."""
    with connection.begin():  # a transaction of its own: each step begins another
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        connection.exec_driver_sql(f"PRAGMA cache_size={-IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.begin():
            connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _line_rows(
    invoice_id: uuid.UUID, invoice: _Invoice, rows: _Rows, catalog: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The invoice's lines as rows: the catalog's code, name, type and category, the file's
    amounts; the discount is manual (it was given by hand in the old system)."""
    lines = []
    for line_no, index in enumerate(invoice.lines, start=1):
        item = catalog[rows.item[index].key]
        quantity, price, discount = rows.quantity[index], rows.price[index], rows.discount[index]
        gross = quantity * price
        lines.append(
            {
                "id": uuid.uuid4(),
                "invoice_id": invoice_id,
                "line_no": line_no,
                "item_id": item["id"],
                "item_code": item["code"],
                "item_name": item["name"],
                "item_type": item["item_type"],
                "category": item["category"],
                "quantity": quantity,
                "unit_price": price,
                "unit_cost": rows.cost[index],
                "gross_amount": gross,
                "discount_type": "manual" if discount else None,
                "discount_percent": _discount_percent(discount, gross),
                "discount_amount": discount,
                "promotion_id": None,
                "badge_text": None,
                "tax_rate": Decimal(0),
                "tax_amount": 0,
                "line_total": gross - discount,
            }
        )
    return lines


def _discount_percent(discount: int, gross: int) -> Decimal:
    if not discount:
        return Decimal(0)
    return (Decimal(discount * 100) / gross).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class _Plan:
    """What the file adds, worked out from a read of the database before staging."""

    invoices: list[_Invoice]
    skipped: int
    patient_ids: dict[tuple[str, str], uuid.UUID]
    new_patients: list[tuple[uuid.UUID, str, str]]
    catalog: dict[str, dict[str, Any]]
    new_items: list[dict[str, Any]]


def _plan(session: Session, branch: BranchInfo, parsed: _Parsed, now: datetime) -> _Plan:
    invoices, skipped = _invoices_to_add(session, branch, parsed.invoices.values())
    patient_ids, new_patients = _patients(session, invoices)
    catalog, new_items = _catalog(session, parsed.rows, invoices, now)
    return _Plan(invoices, skipped, patient_ids, new_patients, catalog, new_items)


class _Stage:
    """TEMP tables on one connection, shaped as the tables they are published into (the
    columns the import fills, with the same types)."""

    MODELS = (CatalogItem, Patient, InvoiceHeader, InvoiceLineItem)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tables: dict[str, Table] = {}
        self._metadata = MetaData()

    def add(self, model: Any, rows: list[dict[str, Any]]) -> None:
        """Stage `rows` for `model`'s table in a short transaction of their own (on TEMP
        tables only: the clinic's file stays unlocked)."""
        if not rows:
            return
        source: Table = model.__table__
        with self.connection.begin():
            table = self.tables.get(source.name)
            if table is None:
                keys = set(rows[0])
                table = Table(
                    f"stage_{source.name}",
                    self._metadata,
                    *(Column(c.name, c.type) for c in source.columns if c.name in keys),
                    prefixes=["TEMPORARY"],
                )
                # A pooled connection may hold an earlier import's (one cut off).
                self.connection.exec_driver_sql(f'DROP TABLE IF EXISTS temp."{table.name}"')
                table.create(self.connection)
                self.tables[source.name] = table
            self.connection.execute(insert(table), rows)

    def table(self, model: Any) -> Table | None:
        return self.tables.get(model.__table__.name)

    def drop(self) -> None:
        """Drop the TEMP tables: the connection goes back to the pool."""
        with self.connection.begin():
            for table in self.tables.values():
                table.drop(self.connection)
        self.tables.clear()

    def steps(self, model: Any, size: int) -> list[tuple[int, int]]:
        """The staged rows of `model` as ranges of their rowid, `size` rows each."""
        table = self.table(model)
        if table is None:
            return []
        with self.connection.begin():
            last = self.connection.exec_driver_sql(
                f'SELECT MAX(rowid) FROM temp."{table.name}"'
            ).scalar_one()
        return [(start, start + size - 1) for start in range(1, (last or 0) + 1, size)]

    def publish(
        self, connection: Connection, model: Any, rows: tuple[int, int] | None = None
    ) -> None:
        """Copy the staged rows (those whose rowid is in `rows`, or all) into the model's
        table in key order (the indexes fill page by page rather than at random places)."""
        table = self.table(model)
        if table is None:
            return
        names = ", ".join(f'"{column.name}"' for column in table.columns)
        where = "" if rows is None else f" WHERE rowid BETWEEN {int(rows[0])} AND {int(rows[1])}"
        connection.exec_driver_sql(
            f'INSERT INTO main."{model.__table__.name}" ({names}) '
            f'SELECT {names} FROM temp."{table.name}"{where} ORDER BY id'
        )


def _stage_rows(
    stage: _Stage,
    actor: CurrentUser,
    branch: BranchInfo,
    parsed: _Parsed,
    plan: _Plan,
    now: datetime,
    progress: Progress | None,
    hidden: str,
) -> None:
    """Stage the new items and patients, then the invoices (hidden by the `hidden` reason
    until the import's last step) and their lines, a chunk of invoices at a time."""
    stage.add(CatalogItem, plan.new_items)
    for some in _chunks(plan.new_patients, INSERT_CHUNK):
        stage.add(Patient, _patient_rows(branch.id, some, now))
    start_month = branch.details.fiscal_year_start_month
    years: dict[date, str] = {}
    lines_total = sum(len(invoice.lines) for invoice in plan.invoices)
    written = 0
    for chunk in _chunks(plan.invoices, INVOICE_CHUNK):
        headers: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        for invoice in chunk:
            invoice_id = uuid.uuid4()
            mine = _line_rows(invoice_id, invoice, parsed.rows, plan.catalog)
            lines.extend(mine)
            day = invoice.invoice_date
            year = years.get(day)
            if year is None:
                year = years[day] = fiscal_year_label(day, start_month)
            gross = sum(line["gross_amount"] for line in mine)
            discount = sum(line["discount_amount"] for line in mine)
            headers.append(
                {
                    "id": invoice_id,
                    "branch_id": branch.id,
                    "invoice_number": invoice.number,
                    "series": None,
                    "fiscal_year": year,
                    "sequence_no": None,
                    "invoice_date": day,
                    "patient_id": plan.patient_ids[(invoice.mobile, _name_key(invoice.name))],
                    "created_by": actor.id,
                    "created_at": now,
                    "status": "cancelled",
                    "cancel_reason": hidden,
                    "cancelled_at": now,
                    "gross_amount": gross,
                    "total_discount": discount,
                    "tax_amount": 0,
                    "round_off": 0,
                    "total_amount": gross - discount,
                    "campaigns_applied": None,
                    "promo_codes_entered": None,
                    "is_history": True,
                    "paid_outside": True,
                    "notes": "",
                    "total_quantity": sum(line["quantity"] for line in mine),
                    "total_cost": sum(line["quantity"] * line["unit_cost"] for line in mine),
                }
            )
        stage.add(InvoiceHeader, headers)
        stage.add(InvoiceLineItem, lines)
        written += len(lines)
        if progress is not None:
            total = parsed.physical_lines
            progress(total + total * written // max(lines_total, 1), progress_total(total))


class ChangedMeanwhile(HistoryImportError):
    """An invoice number or item code of the file was added while the file was staged."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


def _recheck(
    session: Session, stage: _Stage, branch: BranchInfo, plan: _Plan
) -> list[tuple[uuid.UUID, str, str]]:
    """Inside the write lock, what changed since the plan was read: a patient registered
    meanwhile with a staged patient's mobile and name is used instead of a second one; an
    invoice number or item code added meanwhile refuses the import. Returns the new
    patients that are still new."""
    taken = _existing_numbers(session, branch.id, [invoice.number for invoice in plan.invoices])
    if taken:
        raise ChangedMeanwhile(
            f"Invoice {min(taken)} was added while the file was being imported, so nothing "
            "was written. Import the file again: what is already there is skipped."
        )
    for codes in _chunks([item["code"] for item in plan.new_items], LOOKUP_CHUNK):
        code = session.scalar(select(CatalogItem.code).where(CatalogItem.code.in_(codes)))
        if code is not None:
            raise ChangedMeanwhile(
                f"Item {code} was added to the catalog while the file was being imported, "
                "so nothing was written. Import the file again."
            )
    staged = {(mobile, _name_key(name)): pid for pid, name, mobile in plan.new_patients}
    registered = _registered(session, sorted({mobile for mobile, _key in staged}))
    replaced = {staged[key]: registered[key] for key in staged.keys() & registered.keys()}
    patients, headers = stage.table(Patient), stage.table(InvoiceHeader)
    for staged_id, patient_id in replaced.items():
        assert patients is not None and headers is not None  # staged with their invoices
        session.execute(
            headers.update().where(headers.c.patient_id == staged_id), {"patient_id": patient_id}
        )
        session.execute(patients.delete().where(patients.c.id == staged_id))
    return [patient for patient in plan.new_patients if patient[0] not in replaced]


def _publish(
    db: Database,
    actor: CurrentUser,
    now: datetime,
    stage: _Stage,
    branch: BranchInfo,
    plan: _Plan,
    batch: tuple[str, str],
    published: Callable[[float], None],
) -> ImportResult:
    """Publish the staged rows in steps (see the module's docstring): the first writes the
    items and the journal; then the patients, and the invoices and lines hidden (`batch`: the
    file's name and the reason hiding them), a step at a time; then they are revealed.
    `published` hears the share done."""
    source_name, hidden = batch
    connection = stage.connection
    with UnitOfWork(db, actor, now, connection=connection) as uow:
        new_patients = _recheck(uow.session, stage, branch, plan)
        stage.publish(uow.session.connection(), CatalogItem)
        result = ImportResult(
            invoices_added=len(plan.invoices),
            lines_added=sum(len(invoice.lines) for invoice in plan.invoices),
            patients_added=len(new_patients),
            items_added=len(plan.new_items),
            invoices_skipped=plan.skipped,
        )
        journal: dict[str, Any] = {
            "hidden": hidden,
            "file": source_name,
            "branch": str(branch.id),
            "result": asdict(result),
            "patients": [str(patient_id) for patient_id, _name, _mobile in new_patients],
            "items": [str(item["id"]) for item in plan.new_items],
        }
        uow.session.add(AppSetting(key=JOURNAL, value=journal))
        if plan.invoices:  # audited as it begins: a withdrawal is audited after it
            uow.audit(
                "history.import",
                "invoice_header",
                details={"file": source_name, **asdict(result)},
                branch_id=branch.id,
            )
        uow.commit()
    try:
        steps = [(model, rows) for model in (Patient, InvoiceHeader, InvoiceLineItem)
                 for rows in stage.steps(model, PUBLISH_CHUNK)]  # fmt: skip
        for done, (model, rows) in enumerate(steps, start=1):
            with UnitOfWork(db, actor, now, connection=connection) as uow:
                stage.publish(uow.session.connection(), model, rows)
                uow.commit()
            published(PUBLISHING_SHARE * done / len(steps))
        # The last chance to cancel. From here on the batch goes in: an import cut off
        # while revealing is finished by the next one, not withdrawn.
        published(PUBLISHING_SHARE)
        journal["revealing"] = True
        with UnitOfWork(db, actor, now, connection=connection) as uow:
            uow.session.merge(AppSetting(key=JOURNAL, value=journal))
            uow.commit()
    except BaseException:
        try:
            _withdraw(db, actor, now, journal)
        except Exception:  # the next import withdraws it from the journal
            log.exception("Could not withdraw the unfinished import of %s", source_name)
        raise

    def revealed(share: float) -> None:
        with suppress(Exception):  # a cancel comes too late now: the import completes
            published(PUBLISHING_SHARE + (1 - PUBLISHING_SHARE) * share)

    _reveal(db, actor, now, journal, revealed)
    return result


def _reveal(
    db: Database,
    actor: CurrentUser,
    now: datetime,
    journal: dict[str, Any],
    revealed: Callable[[float], None] = lambda _share: None,
) -> None:
    """Reveal a batch's hidden invoices (status 'issued'), queue its new patients for the
    centre (those not queued yet), a step at a time, then clear the journal. Finishing a
    revealing cut off half-way does the rest."""
    hidden, branch_id = journal["hidden"], uuid.UUID(journal["branch"])
    result = journal["result"]
    steps = max(1, -(-result["invoices_added"] // PUBLISH_CHUNK))
    steps += -(-len(journal["patients"]) // PUBLISH_CHUNK)
    done = 0
    while True:
        with UnitOfWork(db, actor, now) as uow:
            ids = _hidden_invoices(uow.session, hidden, PUBLISH_CHUNK)
            if ids:
                uow.session.execute(
                    update(InvoiceHeader)
                    .where(InvoiceHeader.id.in_(ids))
                    .values(status="issued", cancel_reason=None, cancelled_at=None)
                )
            uow.commit()
        done += 1
        revealed(min(done / steps, 1.0))
        if len(ids) < PUBLISH_CHUNK:
            break
    for some in _chunks([uuid.UUID(value) for value in journal["patients"]], PUBLISH_CHUNK):
        with UnitOfWork(db, actor, now) as uow:
            _queue_patients(uow, branch_id, some)
            uow.commit()
        done += 1
        revealed(min(done / steps, 1.0))
    with UnitOfWork(db, actor, now) as uow:
        uow.session.execute(delete(AppSetting).where(AppSetting.key == JOURNAL))
        uow.commit()


def _hidden_invoices(session: Session, hidden: str, limit: int) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(InvoiceHeader.id)
            .where(InvoiceHeader.status == "cancelled", InvoiceHeader.cancel_reason == hidden)
            .limit(limit)
        )
    )


def _queue_patients(uow: UnitOfWork, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Queue the batch's new patients for the centre (add_patient's document), but for
    those a cut-off revealing queued already."""
    session = uow.session
    queued = set(
        session.scalars(
            select(SyncOutbox.doc_id).where(
                SyncOutbox.doc_type == documents.PATIENT, SyncOutbox.doc_id.in_(ids)
            )
        )
    )
    rows = session.execute(
        select(Patient.id, Patient.name, Patient.mobile).where(Patient.id.in_(ids))
    )
    uow.outbox_many(
        [
            (
                documents.PATIENT,
                patient_id,
                documents.patient_fields_json(patient_id, branch_id, name, mobile),
            )
            for patient_id, name, mobile in rows
            if patient_id not in queued
        ]
    )


def _withdraw_unfinished(db: Database, actor: CurrentUser, now: datetime) -> None:
    """Withdraw what an import cut off mid-publish (a crash, a power cut) left, or finish
    revealing it if it had begun: its journal says what. Runs under the import lock, so
    that import is not running."""
    with db.session(write=False) as session:
        found = session.get(AppSetting, JOURNAL)
        journal = None if found is None else dict(found.value)
    if journal is None:
        return
    if journal.get("revealing"):
        _reveal(db, actor, now, journal)
    else:
        _withdraw(db, actor, now, journal)


def _delete_unused(session: Session, model: Any, ids: list[uuid.UUID]) -> int:
    """Delete the rows of `ids` (patients or items), all at once unless something uses
    some of them by now (a foreign key refuses): then one by one, keeping those. Returns
    how many were kept."""
    try:
        with session.begin_nested():
            session.execute(delete(model).where(model.id.in_(ids)))
        return 0
    except IntegrityError:
        pass
    kept = 0
    for row_id in ids:
        try:
            with session.begin_nested():
                session.execute(delete(model).where(model.id == row_id))
        except IntegrityError:
            kept += 1  # used since: it stays
    return kept


def _withdraw(db: Database, actor: CurrentUser, now: datetime, journal: dict[str, Any]) -> None:
    """Delete what a batch published (`journal`: its hiding reason, new patients and
    items), a step at a time, then the journal, with an audit entry saying so. Patients and
    items something else uses by now (the counter billed a new patient meanwhile) stay."""
    hidden = journal.get("hidden")
    while hidden is not None:
        with UnitOfWork(db, actor, now) as uow:
            session = uow.session
            ids = _hidden_invoices(session, hidden, WITHDRAW_CHUNK)
            if ids:
                session.execute(delete(InvoiceLineItem).where(InvoiceLineItem.invoice_id.in_(ids)))
                session.execute(delete(InvoiceHeader).where(InvoiceHeader.id.in_(ids)))
            uow.commit()
        if len(ids) < WITHDRAW_CHUNK:
            break
    kept = 0
    for model, key in ((Patient, "patients"), (CatalogItem, "items")):
        for some in _chunks([uuid.UUID(value) for value in journal.get(key, [])], WITHDRAW_CHUNK):
            with UnitOfWork(db, actor, now) as uow:
                kept += _delete_unused(uow.session, model, some)
                uow.commit()
    with UnitOfWork(db, actor, now) as uow:
        uow.session.execute(delete(AppSetting).where(AppSetting.key == JOURNAL))
        uow.audit(
            "history.import.withdrawn",
            "invoice_header",
            details={"file": journal.get("file"), "kept_in_use": kept},
        )
        uow.commit()
