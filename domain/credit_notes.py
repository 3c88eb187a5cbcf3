"""Credit notes: what refunding some lines or units of an invoice gives back (issue #11).

Pure: the invoice's lines, its promotions and the money it holds are passed in; amounts
are paise. The rules (services.credit_notes carries them out):

1. A credit note refunds whole units of the invoice's lines, each at most the units that
   earlier credit notes have not refunded. A line that is not on the invoice, a line named
   twice, a quantity below 1 or beyond what is left is refused, naming the line.
2. The kept cart is the invoice's units less every unit refunded (earlier and now), each
   at the unit price of the sale and with the manual discount of the sale, taken again as
   the same percentage of what the promotions left of the line.
3. The kept cart is priced again (domain.promotions) with only the promotions the invoice
   used and earlier credit notes did not reverse, as they qualified at the sale: their
   dates, switch, usage limits and code are not asked again. What they need of the invoice
   (items bought, minimum spend) is judged on the kept items: a promotion that no longer
   qualifies gives nothing. (Buy-X-get-Y: refunding the X leaves the Y at full price.)
4. The credit note's value V is what the invoice still stands at (its payable less earlier
   credit notes) less the payable of the kept cart. So a discount the kept items lose is
   given back out of the refund (Botox Rs.4,500 with a free Consultation: refunding the
   Botox gives Rs.4,500 - Rs.500 = Rs.4,000), refunding everything left gives back the
   rest of the payable, and V never exceeds what is left to refund. A refund worth nothing
   (the kept items lose as much as the refunded ones cost) is refused with the reason.
5. A promotion the invoice used that gives nothing on the kept cart is reversed: its use is
   given back (the usage row marked reversed, its counter and its code's counter moved
   back, switched on again under its limit). "Discount given back" is what the kept lines'
   amounts rose by.
6. V is spread over the refunded lines in proportion to what each line's amount fell by
   (by gross, if none fell), in exact paise by largest remainder (ties to the earlier
   line), so the lines add up to V. Each line's GST is backed out of its share at the
   line's rate, CGST/SGST or IGST as on the invoice (domain.gst rules 1 and 2).
7. The money: r = min(V, what the invoice still owes) cancels that much of the due
   (`reduced_due`, no money moves). The rest x = V - r had been paid: it is taken back
   from the invoice (a negative allocation of x) and either paid back by a method
   (`refunded`) or kept on the patient's account as an advance (`to_advance`). The walk-in
   customer has no account: their refund is paid back. An invoice paid outside Frontdesk
   owes nothing, so all of V is taken back (x = V), with the negative allocation too: the
   money paid back then leaves the patient's advance where it was, and money kept raises it
   by x, exactly as for an invoice paid at the counter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from domain.errors import BadInput, Refused
from domain.money import format_rupees
from domain.promotion_rules import Promotion
from domain.promotions import CartLine, PricedCart, price_cart

_HUNDRED = Decimal(100)


class RefundError(BadInput):
    """A refund line that cannot be read or exceeds what is left (rule 1)."""


class NothingToRefund(Refused):
    """The refund would give nothing back (rule 4)."""


@dataclass(frozen=True)
class SoldLine:
    """One invoice line as sold: the cart line (key = str(line_no), quantity as sold, the
    manual discount percent of rule 2), its amount on the invoice and the units earlier
    credit notes refunded."""

    line_no: int
    cart_line: CartLine
    line_total: int
    refunded_before: int = 0

    @property
    def left(self) -> int:
        """Units that can still be refunded."""
        return self.cart_line.quantity - self.refunded_before


def manual_percent(gross: int, promoted: int, manual: int) -> Decimal | None:
    """Rule 2: the manual discount of a line as the percentage of what promotions left of
    it (exact, so the same units price to the same paise)."""
    remaining = gross - promoted
    if manual <= 0 or remaining <= 0:
        return None
    return Decimal(manual) * _HUNDRED / Decimal(remaining)


def check_refund(lines: Sequence[SoldLine], wanted: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Rule 1: line number -> units to refund."""
    by_no = {line.line_no: line for line in lines}
    refund: dict[int, int] = {}
    if not wanted:
        raise RefundError("Choose at least one line and how many units to refund")
    for line_no, quantity in wanted:
        line = by_no.get(line_no)
        if line is None:
            raise RefundError(f"The invoice has no line {line_no}")
        name = f"line {line_no} ({line.cart_line.name})"
        if line_no in refund:
            raise RefundError(f"{name.capitalize()} is named twice; name it once")
        if quantity < 1:
            raise RefundError(f"Refund at least 1 unit of {name}")
        if quantity > line.left:
            already = f" ({line.refunded_before} already refunded)" if line.refunded_before else ""
            raise RefundError(
                f"Only {line.left} of {line.cart_line.quantity} units of {name} are left to "
                f"refund{already}, not {quantity}"
            )
        refund[line_no] = quantity
    return refund


def relaxed(promotion: Promotion) -> Promotion:
    """Rule 3: the promotion as it qualified at the sale (no dates, limits or code)."""
    return replace(
        promotion,
        start_date=None,
        end_date=None,
        is_active=True,
        requires_code=False,
        max_total_uses=None,
        max_uses_per_patient=None,
        current_uses=0,
    )


def _price(
    lines: Sequence[SoldLine],
    removed: Mapping[int, int],
    promotions: Sequence[Promotion],
    now: datetime,
    today: date,
) -> PricedCart | None:
    kept = [
        replace(line.cart_line, quantity=line.cart_line.quantity - removed.get(line.line_no, 0))
        for line in lines
        if line.cart_line.quantity - removed.get(line.line_no, 0) > 0
    ]
    if not kept:
        return None
    return price_cart(kept, [relaxed(p) for p in promotions], now=now, today=today, hints=False)


def _amounts(priced: PricedCart | None) -> dict[str, int]:
    if priced is None:
        return {}
    return {line.line.line_key: line.line_total for line in priced.lines}


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (non-negative, not all 0) in whole paise,
    the paise left going to the largest remainders, ties to the earlier place."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class RefundedLine:
    """A refunded line's units and its share of the value (rule 6), paise."""

    line_no: int
    quantity: int
    gross_amount: int
    line_total: int

    @property
    def discount_amount(self) -> int:
        return self.gross_amount - self.line_total


@dataclass(frozen=True)
class RefundPricing:
    """What a refund gives back (rules 3 to 6): the value, its lines, the kept cart's
    payable, the promotions still applying to it and the discount given back."""

    value: int
    lines: tuple[RefundedLine, ...]
    kept_payable: int
    still_applied: frozenset[str]
    discount_given_back: int


def price_refund(
    lines: Sequence[SoldLine],
    refund: Mapping[int, int],
    promotions: Sequence[Promotion],
    *,
    standing: int,
    now: datetime,
    today: date,
) -> RefundPricing:
    """Rules 3 to 6. `refund` comes from `check_refund`; `promotions` are those the invoice
    used and no earlier credit note reversed; `standing` is the invoice's payable less its
    earlier credit notes."""
    earlier = {line.line_no: line.refunded_before for line in lines if line.refunded_before}
    after = {n: earlier.get(n, 0) + refund.get(n, 0) for n in {*earlier, *refund}}
    if earlier:
        before_amounts = _amounts(_price(lines, earlier, promotions, now, today))
    else:
        before_amounts = {str(line.line_no): line.line_total for line in lines}
    kept = _price(lines, after, promotions, now, today)
    after_amounts = _amounts(kept)
    kept_payable = 0 if kept is None else kept.totals.payable
    value = standing - kept_payable
    rose = sum(max(0, after_amounts[key] - before_amounts.get(key, 0)) for key in after_amounts)
    refunded = [line for line in lines if line.line_no in refund]
    if value <= 0:
        names = ", ".join(line.cart_line.name for line in refunded)
        raise NothingToRefund(
            f"Refunding {names} gives nothing back: the items kept lose "
            f"{format_rupees(rose)} of discount, as much as the refund is worth"
        )
    fell = [
        max(0, before_amounts.get(str(n.line_no), 0) - after_amounts.get(str(n.line_no), 0))
        for n in refunded
    ]
    if not any(fell):
        fell = [n.cart_line.unit_price * refund[n.line_no] for n in refunded]
    if not any(fell):
        fell = [1] * len(refunded)
    shares = largest_remainder(value, fell)
    return RefundPricing(
        value=value,
        lines=tuple(
            RefundedLine(
                line.line_no,
                refund[line.line_no],
                line.cart_line.unit_price * refund[line.line_no],
                share,
            )
            for line, share in zip(refunded, shares, strict=True)
        ),
        kept_payable=kept_payable,
        still_applied=frozenset(
            () if kept is None else (a.promotion_id for a in kept.applied if a.discount_amount)
        ),
        discount_given_back=rose,
    )


@dataclass(frozen=True)
class MoneySplit:
    """Rule 7: how V splits (paise); `taken_back` is the negative allocation's size."""

    reduced_due: int
    taken_back: int
    refunded: int
    to_advance: int


def split_money(value: int, owed: int, *, pay_back: bool, walk_in: bool) -> MoneySplit:
    """Rule 7. `owed` is what the invoice still owes (0 when it was paid outside)."""
    if walk_in and not pay_back:
        raise Refused(
            "The walk-in customer has no account to keep an advance on: pay the refund back"
        )
    reduced = min(value, max(0, owed))
    taken = value - reduced
    return MoneySplit(
        reduced_due=reduced,
        taken_back=taken,
        refunded=taken if pay_back else 0,
        to_advance=0 if pay_back else taken,
    )
