"""A payload as the modules of a QR code (error correction M), as ReportLab's encoder makes it.

ReportLab's `qrencoder` picks the mask by scoring all eight with pure-Python list code
(`QRUtil.getLostPoint`), two thirds of the ~10 ms it takes to encode a UPI link. The score
here is the same four rules computed on each row and column as an integer bit mask and a
string, so the same mask is chosen and the modules are ReportLab's, bit for bit.
"""

from __future__ import annotations

import re
from itertools import pairwise

from reportlab.graphics.barcode import qrencoder

# Rule 3's finder-like pattern, in the one direction ReportLab looks for it.
_FINDER_LIKE = "10111010000"
_LONG_RUN = re.compile(r"0{5,}|1{5,}")


def qr_modules(payload: str) -> list[list[bool]]:
    """The QR code of `payload` (error correction M), row by row, True for a dark module."""
    code = _FastMaskQRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(dark) for dark in row] for row in code.modules]


class _FastMaskQRCode(qrencoder.QRCode):
    def getBestMaskPattern(self) -> int:  # noqa: N802 (ReportLab's name)
        scores = []
        for pattern in range(8):
            self.makeImpl(True, pattern)
            scores.append(lost_points(self.modules))
        return scores.index(min(scores))  # the first of equals, as ReportLab keeps it


def lost_points(modules: list[list[bool]]) -> int:
    """The mask penalty ReportLab's `QRUtil.getLostPoint` gives `modules`, computed faster."""
    rows = ["".join("1" if dark else "0" for dark in row) for row in modules]
    columns = ["".join(column) for column in zip(*rows, strict=True)]
    count = len(rows)
    # Rule 1: a run of five or more of one colour, across or down, costs its length minus two.
    score = sum(len(run) - 2 for line in (*rows, *columns) for run in _LONG_RUN.findall(line))
    # Rule 3: ReportLab scans starts 0 .. count - 12 of each row, skipping past each match.
    # Its scan of the columns compares tuples with a list, never equal, so they score nothing.
    score += 40 * sum(row[: count - 1].count(_FINDER_LIKE) for row in rows)
    # Rule 2: each 2x2 block of one colour costs 3.
    full = (1 << count) - 1
    pairs = full >> 1  # bit j: columns j and j + 1
    bits = [int(row, 2) for row in rows]
    for upper, lower in pairwise(bits):
        same_across = ~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & pairs
        score += 3 * (same_across & ~(upper ^ lower)).bit_count()
    # Rule 4: the share of dark modules away from half, in steps of 5 %.
    dark = sum(row.count("1") for row in rows)
    return score + 10 * (abs(100 * dark // (count * count) - 50) // 5)
