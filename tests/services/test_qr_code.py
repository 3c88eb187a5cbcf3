"""services.qr_code picks the mask as ReportLab does, so a printed QR stays as it was."""

import pytest
from reportlab.graphics.barcode import qrencoder

from services.qr_code import lost_points, qr_modules

UPI_LINK = (
    "upi://pay?pa=lumen.indiranagar@okhdfcbank&pn=Indiranagar&am=12520.00&cu=INR"
    "&tn=SVC-2026-2027-00123"
)
PAYLOADS = [UPI_LINK, "A", "upi://pay?pa=x@y&am=1.00", "0123456789" * 12, "Ünïcode ₹ " * 20]


def reportlab_code(payload: str) -> qrencoder.QRCode:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    return code


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_mask_scores_what_reportlab_scores(payload):
    code = reportlab_code(payload)
    code.version = code.calculate_version()
    for pattern in range(8):
        code.makeImpl(True, pattern)

        assert lost_points(code.modules) == qrencoder.QRUtil.getLostPoint(code)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_modules_are_reportlabs_bit_for_bit(payload):
    code = reportlab_code(payload)
    code.make()

    assert qr_modules(payload) == [[bool(dark) for dark in row] for row in code.modules]
