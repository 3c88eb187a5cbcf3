"""The invoice PDF, read back with pypdf: what a patient and a tax inspector would see."""

import io
import logging
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from domain.branch import BranchDetails
from domain.gst import split_line
from services.invoice_document import (
    DocumentLine,
    DocumentPayment,
    InvoiceDocument,
    PromotionSaving,
)
from services.invoice_pdf import render_invoice_pdf, savings_sentence, upi_payload

UPI_ID = "lumen.indiranagar@okhdfcbank"
BRANCH = BranchDetails(
    name="Indiranagar",
    address="Lumen Skin & Aesthetics, 12 100 Feet Road, Indiranagar, Bengaluru 560038",
    gstin="29ABCDE1234F1ZW",
    timezone="Asia/Kolkata",
    fiscal_year_start_month=4,
    invoice_series="SVC",
    phone="080 4123 4567",
    legal_name="Lumen Skin & Aesthetics Private Limited",
    state_code="29",
)


def make_line(
    line_no,
    code,
    name,
    unit_price,
    *,
    quantity=1,
    discount=0,
    percent=0,
    badge=None,
    tax_rate=0,
    discount_type="promotion",
    item_type=None,
    hsn_sac="",
):
    gross = unit_price * quantity
    total = gross - discount
    gst = split_line(total, Decimal(tax_rate), inter_state=False)
    return DocumentLine(
        line_no=line_no,
        item_code=code,
        item_name=name,
        item_type=item_type or ("product" if tax_rate else "service"),
        quantity=quantity,
        unit_price=unit_price,
        gross_amount=gross,
        discount_type=discount_type if discount else None,
        discount_percent=Decimal(percent),
        discount_amount=discount,
        promotion_id=uuid.uuid4() if badge else None,
        badge_text=badge,
        tax_rate=Decimal(tax_rate),
        tax_amount=gst.tax,
        line_total=total,
        hsn_sac=hsn_sac,
        taxability="taxable" if tax_rate else "exempt",
        taxable_value=gst.taxable_value,
        cgst_amount=gst.cgst,
        sgst_amount=gst.sgst,
        igst_amount=gst.igst,
    )


def seed_000_invoice(**changes):
    """Seed 000: Botox with the Consultation free under PREMIUM_CONSULT; Rs.4,500 to pay."""
    document = InvoiceDocument(
        id=uuid.uuid4(),
        invoice_number="SVC-2026-2027-00123",
        invoice_date=date(2026, 11, 24),
        created_at=datetime(2026, 11, 24, 5, 30, tzinfo=UTC),
        status="issued",
        cancel_reason=None,
        branch=BRANCH,
        branch_timezone="Asia/Kolkata",
        patient_name="Priya Sharma",
        patient_mobile="9845012345",
        created_by="Asha Rao",
        lines=(
            make_line(
                1,
                "BOTOX50",
                "Botox (50 units)",
                450_000,
                tax_rate=18,
                item_type="service",
                hsn_sac="999722",
            ),
            make_line(
                2,
                "CONSULT",
                "Consultation",
                50_000,
                discount=50_000,
                percent=100,
                badge="Rs.500 Free (PREMIUM_CONSULT)",
                hsn_sac="999312",
            ),
        ),
        gross_amount=500_000,
        total_discount=50_000,
        promotion_savings=(
            PromotionSaving("PREMIUM_CONSULT", "Premium Service - Free Consultation", 50_000),
        ),
        manual_discount=0,
        tax_amount=68_644,
        round_off=0,
        total_amount=450_000,
        campaigns_applied=None,
        document_type="invoice_cum_bill_of_supply",
        place_of_supply="29",
    )
    return replace(document, **changes)


def forty_line_invoice():
    lines = tuple(
        make_line(
            n,
            f"SPF{n}",
            f"Sunscreen SPF 50 (50 g), batch {n}",
            85_000,
            quantity=2,
            tax_rate=18,
            discount=17_000 if n % 4 == 0 else 0,
            percent=10,
            badge="10% off (GLOW20)" if n % 4 == 0 else None,
        )
        for n in range(1, 41)
    )
    gross = sum(line.gross_amount for line in lines)
    discount = sum(line.discount_amount for line in lines)
    return seed_000_invoice(
        lines=lines,
        gross_amount=gross,
        total_discount=discount,
        promotion_savings=(PromotionSaving("GLOW20", "Glow Bundle", discount),),
        tax_amount=sum(line.tax_amount for line in lines),
        total_amount=gross - discount,
        document_type="tax_invoice",
    )


def render(document, **options):
    buffer = io.BytesIO()
    render_invoice_pdf(document, buffer, **options)
    buffer.seek(0)
    return PdfReader(buffer)


def page_texts(reader):
    """Each page's text with runs of whitespace made single spaces (layout wraps lines)."""
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def all_text(reader):
    return " ".join(page_texts(reader))


def image_count(page):
    xobjects = page["/Resources"].get("/XObject", {})
    return sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")


@pytest.mark.parametrize("variant", ["a4", "receipt"])
def test_seed_000_invoice_shows_the_free_consultation_and_the_payable(variant):
    text = all_text(render(seed_000_invoice(), variant=variant))

    assert "SVC-2026-2027-00123" in text
    assert "Priya Sharma" in text and "9845012345" in text
    assert "GSTIN: 29ABCDE1234F1ZW" in text
    # Botox is taxable, the consultation exempt: one invoice-cum-bill of supply (rule 46A).
    assert "INVOICE-CUM-BILL OF SUPPLY" in text
    assert "Botox (50 units)" in text and "Consultation" in text
    assert "Rs.500 Free (PREMIUM_CONSULT)" in text
    assert "You saved ₹500.00 with PREMIUM_CONSULT" in text
    assert "Amount payable ₹4,500.00" in text
    assert "Rupees Four Thousand Five Hundred Only" in text
    assert "Asha Rao" in text


def test_a4_lines_carry_quantity_rate_discount_and_amount():
    text = all_text(render(seed_000_invoice()))

    assert "# Item Qty Rate Discount Taxable value GST Amount" in text
    assert (
        "Consultation CONSULT · SAC 999312 Rs.500 Free (PREMIUM_CONSULT) 1 ₹500.00 -₹500.00"
        " 100% ₹0.00 Exempt ₹0.00" in text
    )
    assert "Gross amount ₹5,000.00" in text
    assert "Promotion PREMIUM_CONSULT -₹500.00" in text
    assert "Taxable value ₹3,813.56 CGST ₹343.22 SGST ₹343.22" in text
    assert "Round off ₹0.00" in text


def test_receipt_is_one_80_mm_page_that_grows_with_the_lines():
    short = render(seed_000_invoice(), variant="receipt")
    long = render(forty_line_invoice(), variant="receipt")

    for reader in (short, long):
        assert len(reader.pages) == 1
        assert float(reader.pages[0].mediabox.width) == pytest.approx(80 / 25.4 * 72)
    assert float(long.pages[0].mediabox.height) > 2.5 * float(short.pages[0].mediabox.height)
    assert "Sunscreen SPF 50 (50 g), batch 40" in all_text(long)


def test_the_rupee_sign_comes_from_an_embedded_font():
    reader = render(seed_000_invoice())
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = {
        font.get_object()["/BaseFont"].split("+")[-1]
        for font in fonts.values()
        if "/FontFile2" in font.get_object()["/FontDescriptor"]
    }

    assert embedded == {"DejaVuSans", "DejaVuSans-Bold"}
    assert "₹4,500.00" in all_text(reader)


def test_the_time_is_the_branch_time_and_the_date_the_invoice_date():
    text = all_text(render(seed_000_invoice()))

    assert "Date: 24 Nov 2026" in text
    assert "Time: 11:00 AM IST" in text


def test_paise_and_round_off_are_printed_and_spelled():
    document = seed_000_invoice(round_off=-40, total_amount=449_960)
    text = all_text(render(document))

    assert "Round off -₹0.40" in text
    assert "Amount payable ₹4,499.60" in text
    assert "Rupees Four Thousand Four Hundred Ninety Nine and Paise Sixty Only" in text


def test_several_promotions_are_each_named_in_the_saving_and_the_totals():
    document = seed_000_invoice(
        promotion_savings=(
            PromotionSaving("GLOW20", "Glow Bundle", 20_000),
            PromotionSaving("PREMIUM_CONSULT", "Premium Service - Free Consultation", 50_000),
        ),
        manual_discount=5_000,
    )
    text = all_text(render(document))

    assert "You saved ₹700.00 with GLOW20 (₹200.00) and PREMIUM_CONSULT (₹500.00)" in text
    assert "Promotion GLOW20 -₹200.00" in text
    assert "Manual discount -₹50.00" in text


def test_no_saving_sentence_without_a_promotion():
    document = seed_000_invoice(promotion_savings=())

    assert savings_sentence(document) is None
    assert "You saved" not in all_text(render(document))


@pytest.mark.parametrize("variant", ["a4", "receipt"])
def test_a_cancelled_invoice_says_cancelled_and_why_and_offers_no_payment(variant):
    document = seed_000_invoice(status="cancelled", cancel_reason="Booked twice by mistake")
    text = all_text(render(document, variant=variant, upi_id=UPI_ID))

    assert "CANCELLED" in text
    assert "Reason: Booked twice by mistake" in text
    assert "UPI" not in text


def test_a_cancelled_invoice_is_marked_on_every_page():
    document = replace(forty_line_invoice(), status="cancelled", cancel_reason="Duplicate")
    pages = page_texts(render(document))

    assert len(pages) > 1
    assert all("CANCELLED" in page for page in pages)


def test_a_upi_id_adds_a_payment_qr_for_the_payable_amount():
    plain = render(seed_000_invoice())
    with_qr = render(seed_000_invoice(), upi_id=UPI_ID)
    text = all_text(with_qr)

    assert "Scan to pay ₹4,500.00 with any UPI app" in text
    assert f"UPI ID: {UPI_ID}" in text
    assert "UPI" not in all_text(plain)
    # The QR is drawn as filled module rectangles: hundreds more 're' operators.
    extra = with_qr.pages[0].get_contents().get_data().count(b" re") - plain.pages[
        0
    ].get_contents().get_data().count(b" re")
    assert extra > 200


@pytest.mark.parametrize("variant", ["a4", "receipt"])
def test_a_half_paid_invoice_shows_its_payments_the_balance_and_a_qr_for_the_rest(variant):
    half_by_upi = DocumentPayment("upi", "UPI", 225_000, reference="4411")
    document = seed_000_invoice(payments=(half_by_upi,))
    text = all_text(render(document, variant=variant, upi_id=UPI_ID))

    assert "Amount payable ₹4,500.00 Paid: UPI ref 4411 ₹2,250.00" in text
    assert "Balance due ₹2,250.00 Status PARTLY PAID" in text
    assert "Scan to pay ₹2,250.00 with any UPI app" in text


@pytest.mark.parametrize("variant", ["a4", "receipt"])
def test_a_paid_invoice_says_paid_with_the_change_and_asks_for_nothing(variant):
    payments = (
        DocumentPayment("upi", "UPI", 225_000),
        DocumentPayment("cash", "Cash", 225_000),
    )
    document = seed_000_invoice(payments=payments, change_given=25_000)
    text = all_text(render(document, variant=variant, upi_id=UPI_ID))

    assert "Paid: UPI ₹2,250.00 Cash ₹2,250.00 Change ₹250.00 Status PAID" in text
    assert "Balance due" not in text and "Scan to pay" not in text


def test_an_unpaid_invoice_with_a_credit_note_shows_what_it_took_off():
    text = all_text(render(seed_000_invoice(credited=400_000)))

    # Nothing was paid of what the credit note left: unpaid (as the receipt says).
    assert "Credit notes -₹4,000.00 Balance due ₹500.00 Status UNPAID" in text


def test_a_cancelled_invoice_has_no_status_row():
    text = all_text(render(seed_000_invoice(status="cancelled", cancel_reason="Typo")))

    assert "Status" not in text and "Balance due" not in text


def test_the_upi_link_names_payee_amount_and_invoice():
    document = seed_000_invoice(branch=replace(BRANCH, name="Lumen Skin & Aesthetics"))

    assert upi_payload(document, UPI_ID) == (
        "upi://pay?pa=lumen.indiranagar@okhdfcbank&pn=Lumen%20Skin%20%26%20Aesthetics"
        "&am=4500.00&cu=INR&tn=SVC-2026-2027-00123"
    )


def test_forty_lines_run_over_pages_with_numbers_and_totals_on_the_last():
    pages = page_texts(render(forty_line_invoice()))

    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"SVC-2026-2027-00123 Page {number} of {len(pages)}" in text
        if "batch" in text:
            assert "# Item Qty Rate Discount Taxable value GST Amount" in text
    assert "Tax invoice SVC-2026-2027-00123 (continued)" in pages[1]
    assert "HSN/SAC Taxable value CGST rate CGST SGST rate SGST" in " ".join(pages)
    assert "Amount payable" in pages[-1]
    assert all("Amount payable" not in text for text in pages[:-1])
    assert "Sunscreen SPF 50 (50 g), batch 40" in pages[-1]
    assert "You saved ₹1,700.00 with GLOW20" in pages[-1]


def test_the_logo_is_drawn_when_present_and_skipped_when_missing(tmp_path, caplog):
    with_logo = render(seed_000_invoice())
    without = render(seed_000_invoice(), logo=None)
    with caplog.at_level(logging.WARNING, logger="frontdesk.pdf"):
        missing = render(seed_000_invoice(), logo=tmp_path / "no-such-logo.png")

    assert image_count(with_logo.pages[0]) == 1
    assert image_count(without.pages[0]) == 0
    assert image_count(missing.pages[0]) == 0
    assert "no-such-logo.png not found" in caplog.text
    assert "₹4,500.00" in all_text(missing)


def test_an_unreadable_logo_is_skipped(tmp_path, caplog):
    broken = tmp_path / "logo.png"
    broken.write_bytes(b"not a picture")
    with caplog.at_level(logging.WARNING, logger="frontdesk.pdf"):
        reader = render(seed_000_invoice(), logo=broken)

    assert image_count(reader.pages[0]) == 0
    assert "cannot be read" in caplog.text


def test_names_with_markup_characters_print_as_typed():
    line = make_line(1, "CREAM", "Cream <50 g> & serum", 100_000)
    document = seed_000_invoice(lines=(line,), patient_name="A & B <Test>")
    text = all_text(render(document))

    assert "Cream <50 g> & serum" in text
    assert "A & B <Test>" in text


def test_writes_to_a_path(tmp_path):
    target = tmp_path / "invoice.pdf"
    render_invoice_pdf(seed_000_invoice(), target, variant="receipt")

    assert "₹4,500.00" in all_text(PdfReader(target))


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="unknown invoice layout"):
        render_invoice_pdf(seed_000_invoice(), io.BytesIO(), variant="letter")


def test_the_shipped_fonts_and_licence_are_in_the_resources():
    fonts = Path(__file__).parents[2] / "resources" / "fonts"

    assert {p.name for p in fonts.glob("*.ttf")} == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}
    assert "Bitstream" in (fonts / "LICENSE").read_text()


def test_write_a4_writes_every_time_it_is_asked(tmp_path):
    from reportlab.platypus import Paragraph

    from services.invoice_pdf import write_a4

    def story(width: float) -> list[Paragraph]:
        return [Paragraph("Z report")]

    target = tmp_path / "z.pdf"
    write_a4(target, title="Z", author="Branch", story=story)
    target.unlink()
    write_a4(target, title="Z", author="Branch", story=story)

    assert "Z report" in all_text(PdfReader(target))
