"""Benchmark: render the A4 invoice PDF with logo and UPI QR (goal: median under 30 ms).

Run alone with `python -m bench.pdf`; `make bench` runs it with the others.
"""

from __future__ import annotations

import io
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from bench import BenchResult
from domain.branch import BranchDetails
from services.invoice_document import DocumentLine, InvoiceDocument, PromotionSaving
from services.invoice_pdf import render_invoice_pdf

GOAL_MS = 30.0
RUNS = 50
UPI_ID = "lumen.indiranagar@okhdfcbank"

# code, name, unit price (paise), quantity, GST %, discount (paise), discount %, badge
_LINES: list[tuple[str, str, int, int, int, int, int, str | None]] = [
    ("BOTOX50", "Botox (50 units)", 450_000, 1, 0, 0, 0, None),
    ("CONSULT", "Consultation", 50_000, 1, 0, 50_000, 100, "Rs.500 Free (PREMIUM_CONSULT)"),
    ("HYDRAFACIAL", "HydraFacial", 550_000, 1, 0, 0, 0, None),
    ("SPF50", "Sunscreen SPF 50 (50 g)", 85_000, 2, 18, 34_000, 20, "20% off (GLOW20)"),
    ("VITC-SERUM", "Vitamin C serum", 145_000, 1, 18, 29_000, 20, "20% off (GLOW20)"),
]


def five_line_invoice() -> InvoiceDocument:
    """A realistic five-line invoice with two promotions, as the counter would print it."""
    lines = []
    for number, (code, name, price, qty, rate, discount, percent, badge) in enumerate(_LINES, 1):
        gross = price * qty
        total = gross - discount
        tax = round(Decimal(total) * rate / (100 + rate))
        lines.append(
            DocumentLine(
                line_no=number,
                item_code=code,
                item_name=name,
                item_type="product" if rate else "service",
                quantity=qty,
                unit_price=price,
                gross_amount=gross,
                discount_type="promotion" if discount else None,
                discount_percent=Decimal(percent),
                discount_amount=discount,
                promotion_id=uuid.uuid4() if discount else None,
                badge_text=badge,
                tax_rate=Decimal(rate),
                tax_amount=int(tax),
                line_total=total,
            )
        )
    gross = sum(line.gross_amount for line in lines)
    discount = sum(line.discount_amount for line in lines)
    return InvoiceDocument(
        id=uuid.uuid4(),
        invoice_number="SVC-2026-2027-00123",
        invoice_date=date(2026, 11, 24),
        created_at=datetime(2026, 11, 24, 5, 30, tzinfo=UTC),
        status="issued",
        cancel_reason=None,
        branch=BranchDetails(
            name="Indiranagar",
            address="Lumen Skin & Aesthetics, 12 100 Feet Road, Indiranagar, Bengaluru 560038",
            gstin="29ABCDE1234F1ZW",
            timezone="Asia/Kolkata",
            fiscal_year_start_month=4,
            invoice_series="SVC",
            phone="080 4123 4567",
        ),
        branch_timezone="Asia/Kolkata",
        patient_name="Priya Sharma",
        patient_mobile="9845012345",
        created_by="Asha Rao",
        lines=tuple(lines),
        gross_amount=gross,
        total_discount=discount,
        promotion_savings=(
            PromotionSaving("GLOW20", "Glow Bundle", 63_000),
            PromotionSaving("PREMIUM_CONSULT", "Premium Service - Free Consultation", 50_000),
        ),
        manual_discount=0,
        tax_amount=sum(line.tax_amount for line in lines),
        round_off=0,
        total_amount=gross - discount,
        campaigns_applied=None,
    )


def bench_invoice_pdf(runs: int = RUNS) -> BenchResult:
    """Render the A4 invoice (logo, UPI QR, five lines) `runs` times in memory; median in ms."""
    document = five_line_invoice()
    render_invoice_pdf(document, io.BytesIO(), upi_id=UPI_ID)  # fonts and logo load once
    timings = []
    size = 0
    for _ in range(runs):
        buffer = io.BytesIO()
        start = time.perf_counter()
        render_invoice_pdf(document, buffer, upi_id=UPI_ID)
        timings.append((time.perf_counter() - start) * 1000)
        size = buffer.getbuffer().nbytes
    return BenchResult(
        "A4 invoice PDF with logo and UPI QR, 5 lines (median)",
        statistics.median(timings),
        GOAL_MS,
        unit="ms",
        detail=f"{runs} runs, {size:,} bytes each",
    )


if __name__ == "__main__":
    result = bench_invoice_pdf()
    print(f"{result.name}: {result.measured:.1f} ms (goal < {result.goal:g} ms); {result.detail}")
