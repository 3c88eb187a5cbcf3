"""The UPI QR on the tender pane is the code ReportLab makes of the payload (the one the
invoice PDF prints), drawn module by module with a quiet zone."""

from reportlab.graphics.barcode import qrencoder

from desktop.widgets.tender_pane import qr_pixmap
from tests.services.test_qr_code import UPI_LINK


def test_the_screen_qr_has_reportlabs_modules(qtbot):
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(UPI_LINK)
    code.make()
    expected = [[bool(dark) for dark in row] for row in code.modules]
    count = len(expected)
    box = 6
    size = (count + 4) * box  # two modules of quiet zone on each side

    image = qr_pixmap(UPI_LINK, size).toImage()

    def dark(row: int, column: int) -> bool:
        return image.pixelColor(column * box + box // 2, row * box + box // 2).lightness() < 128

    drawn = [[dark(row + 2, column + 2) for column in range(count)] for row in range(count)]
    assert drawn == expected
    quiet = [
        dark(row, column) for row in range(count + 4) for column in (0, 1, count + 2, count + 3)
    ]
    assert not any(quiet)
