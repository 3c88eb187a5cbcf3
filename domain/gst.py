"""GST on a clinic's documents (India): the tax inside each line, its CGST/SGST or IGST
halves, the document a sale needs, and the place of supply.

The rules, from the CGST Act and Rules as they apply to a clinic's counter:

1. Catalog prices include GST. A line's amount after its discount is what the patient pays
   for it; the tax inside it is amount x rate / (100 + rate), rounded half-up to the paisa,
   and the taxable value is the rest, so taxable value + tax = the line's amount exactly.
2. Within one state (the place of supply in the supplier's state) the tax is split into
   CGST and SGST, each at half the rate; an odd paisa goes to CGST, so CGST + SGST is the
   tax exactly. Across states it is IGST at the whole rate.
3. Health care by a clinical establishment is exempt (notification 12/2017-Central Tax
   (Rate), entry 74); cosmetic and plastic surgery and hair transplant are not (18%). Each
   catalog item says which it is: exempt (rate 0) or taxable at its rate.
4. The document follows from the lines (rules 46, 46A and 49): only taxable lines make a
   tax invoice; only exempt lines a bill of supply; both, sold to an unregistered patient,
   one invoice-cum-bill of supply. Both, sold to a registered recipient (with a GSTIN),
   stay one tax invoice whose exempt lines are shown at a rate of 0 and no tax: rule 46A
   does not cover that case, and a clinic's B2B sales of exempt care are rare enough that
   the accountant is told, not the counter stopped. A branch with no GSTIN is not
   registered: it charges no GST and issues a bill of supply.
5. The place of supply of a service at the clinic, or of goods handed over there, is the
   branch's state, unless the recipient is registered, when it is the state of the
   recipient's GSTIN (its first two digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.errors import BadInput
from domain.money import round_half_up

_HUNDRED = Decimal(100)

# GST state codes (the first two digits of a GSTIN) and their names.
STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}


class GstError(BadInput):
    """A tax setting that cannot be used."""


class Taxability(StrEnum):
    """Rule 3: whether an item's supply carries GST."""

    TAXABLE = "taxable"
    EXEMPT = "exempt"

    @property
    def label(self) -> str:
        return {"taxable": "Taxable", "exempt": "Exempt"}[self.value]


class DocumentType(StrEnum):
    """Rule 4: the document a sale needs."""

    TAX_INVOICE = "tax_invoice"
    BILL_OF_SUPPLY = "bill_of_supply"
    INVOICE_CUM_BILL_OF_SUPPLY = "invoice_cum_bill_of_supply"

    @property
    def heading(self) -> str:
        """The heading the document carries."""
        return {
            "tax_invoice": "TAX INVOICE",
            "bill_of_supply": "BILL OF SUPPLY",
            "invoice_cum_bill_of_supply": "INVOICE-CUM-BILL OF SUPPLY",
        }[self.value]


RATES = (Decimal(0), Decimal("0.25"), Decimal(3), Decimal(5), Decimal(12), Decimal(18), Decimal(28))


def validate_rate(taxability: Taxability, rate: Decimal) -> Decimal:
    """An item's rate: 0 when exempt, one of GST's rates when taxable."""
    if taxability is Taxability.EXEMPT:
        if rate != 0:
            raise GstError("An exempt item carries no GST: set its rate to 0")
        return Decimal(0)
    if rate not in RATES or rate == 0:
        shown = ", ".join(f"{r.normalize():f}" for r in RATES if r)
        raise GstError(f"A taxable item's GST rate is one of {shown} percent, not {rate}")
    return rate


def validate_hsn_sac(code: str, *, is_service: bool) -> str:
    """An HSN (goods: 4, 6 or 8 digits) or SAC (services: 6 digits starting 99) code; empty
    is allowed while the manager completes the catalog (the summary then says so)."""
    text = code.strip().replace(" ", "")
    if not text:
        return ""
    if not text.isdigit():
        raise GstError(f"An HSN or SAC code is digits only, not '{code}'")
    if is_service:
        if len(text) != 6 or not text.startswith("99"):
            raise GstError(f"A service's SAC code is 6 digits starting with 99, not '{code}'")
    elif len(text) not in (4, 6, 8):
        raise GstError(f"A product's HSN code is 4, 6 or 8 digits, not '{code}'")
    return text


@dataclass(frozen=True)
class LineTax:
    """Rules 1 and 2 for one line, in paise: taxable value and the tax's parts."""

    amount: int
    rate: Decimal
    taxable_value: int
    cgst: int
    sgst: int
    igst: int

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst


def tax_inside(amount: int, rate: Decimal) -> int:
    """Rule 1: the GST inside a GST-inclusive amount (paise), half-up to the paisa."""
    if not rate:
        return 0
    return round_half_up(Decimal(amount) * rate / (_HUNDRED + rate))


def split_line(amount: int, rate: Decimal, *, inter_state: bool) -> LineTax:
    """Rules 1 and 2: a line's taxable value and its CGST and SGST (or IGST)."""
    if amount < 0:
        raise GstError("A line's amount cannot be negative")
    tax = tax_inside(amount, rate)
    if inter_state:
        return LineTax(amount, rate, amount - tax, 0, 0, tax)
    sgst = tax // 2
    return LineTax(amount, rate, amount - tax, tax - sgst, sgst, 0)


def document_type(
    taxabilities: list[Taxability], *, supplier_registered: bool, recipient_registered: bool
) -> DocumentType:
    """Rule 4: the document for a sale of these lines."""
    if not supplier_registered or all(t is Taxability.EXEMPT for t in taxabilities):
        return DocumentType.BILL_OF_SUPPLY
    if any(t is Taxability.EXEMPT for t in taxabilities) and not recipient_registered:
        return DocumentType.INVOICE_CUM_BILL_OF_SUPPLY
    return DocumentType.TAX_INVOICE


def state_of(gstin: str) -> str | None:
    """The state code of a GSTIN, or None for an empty one."""
    return gstin[:2] if gstin else None


def place_of_supply(branch_state: str, recipient_gstin: str = "") -> str:
    """Rule 5: the state code of the place of supply."""
    return state_of(recipient_gstin) or branch_state


def state_label(code: str) -> str:
    """'29' -> '29 - Karnataka'."""
    return f"{code} - {STATE_CODES.get(code, 'unknown state')}"
