"""The counter session's report as an A4 PDF: the Z report at the close (the X report while
the session is open), drawn with ReportLab in the invoice's fonts, colours and styles
(services.invoice_pdf), so that the rupee sign prints and the two documents look kin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from domain.cash_count import COINS, DENOMINATIONS
from domain.log import pdf as log
from services.counter_sessions import SessionReport
from services.invoice_pdf import (
    ACCENT,
    ACCENT_TINT,
    ALERT,
    ALERT_TINT,
    FONT_BOLD,
    MUTED,
    RULE,
    SAVING,
    _money,
    _p,
    _styles,
    _table_style,
    write_a4,
)

METHOD_LABELS = {"cash": "Cash", "upi": "UPI", "card": "Card", "wallet": "Wallet"}


def default_pdf_name(report: SessionReport) -> str:
    """A file name that sorts by date and names the desk: Z-2026-12-02-front-desk-1a2b3c4d.pdf."""
    desk = re.sub(r"[^a-z0-9]+", "-", report.session.desk.lower()).strip("-") or "desk"
    day = report.session.business_date.isoformat()
    return f"{report.kind}-{day}-{desk}-{report.session.id.hex[:8]}.pdf"


def write_z_report(report: SessionReport, folder: Path) -> Path:
    """Write the report's PDF into `folder` under its default name; returns the path."""
    path = folder / default_pdf_name(report)
    render_z_report_pdf(report, path)
    return path


def _when(report: SessionReport, moment: Any) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(ZoneInfo(report.branch_timezone))
    return f"{local:%d %b %Y, %H:%M} {local.tzname() or ''}".strip()


def _label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " ").capitalize())


def _two_columns(rows: list[list[Any]], width: float, commands: list[tuple[Any, ...]]) -> Table:
    table = Table(rows, colWidths=[width * 0.62, width * 0.38], hAlign="LEFT")
    table.setStyle(
        _table_style(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                *commands,
            ]
        )
    )
    return table


def _cash_table(report: SessionReport, width: float) -> Table:
    s = report.session
    rows: list[list[Any]] = [
        ["Opening float", _money(s.opening_float)],
        ["+ Cash takings", _money(report.cash_takings)],
        ["- Cash refunds", _money(report.cash_refunds)],
        ["+ Cash put in", _money(report.cash_in)],
        ["- Cash taken out", _money(report.cash_out)],
        ["Expected cash", _money(report.expected_cash)],
    ]
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 5), (-1, 5), FONT_BOLD, 9),
        ("BACKGROUND", (0, 5), (-1, 5), ACCENT_TINT),
    ]
    if report.counted_cash is not None:
        difference = report.difference or 0
        rows += [
            ["Counted cash", _money(report.counted_cash)],
            ["Difference (over + / short -)", ("+" if difference > 0 else "") + _money(difference)],
        ]
        commands += [("FONT", (0, 6), (-1, 7), FONT_BOLD, 9)]
        if difference:
            commands += [
                ("BACKGROUND", (0, 7), (-1, 7), ALERT_TINT),
                ("TEXTCOLOR", (0, 7), (-1, 7), ALERT),
            ]
        else:
            commands += [("TEXTCOLOR", (0, 7), (-1, 7), SAVING)]
    return _two_columns(rows, width, commands)


def _method_table(report: SessionReport, width: float) -> Table:
    rows: list[list[Any]] = [["Payment method", "Expected"]]
    rows += [[_label(method), _money(amount)] for method, amount in report.expected.items()]
    rows.append(["All methods", _money(sum(report.expected.values()))])
    return _two_columns(
        rows,
        width,
        [
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
            ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9),
        ],
    )


def _count_table(report: SessionReport, width: float) -> Table:
    rows: list[list[Any]] = [["Denomination", "Count", "Amount"]]
    total = 0
    for label in DENOMINATIONS:
        count = int(report.denominations.get(label, 0))
        if label == COINS:
            rows.append(["Coins", "", _money(count)])
            total += count
        else:
            amount = int(label) * 100 * count
            total += amount
            rows.append([_money(int(label) * 100).replace(".00", ""), str(count), _money(amount)])
    rows.append(["Counted", "", _money(total)])
    table = Table(rows, colWidths=[width * 0.4, width * 0.2, width * 0.4], hAlign="LEFT")
    table.setStyle(
        _table_style(
            [
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _side_by_side(left: list[Any], right: list[Any], width: float) -> Table:
    table = Table([[left, right]], colWidths=[width / 2, width / 2], hAlign="LEFT")
    table.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 8 * mm),
            ]
        )
    )
    return table


def _story(report: SessionReport, width: float) -> list[Any]:
    styles = _styles("a4")
    s = report.session
    title = "Z report: counter session closed" if report.kind == "Z" else "X report: session open"
    story: list[Any] = [
        _p(report.branch_name or "Frontdesk", styles.branch),
        _p(title, styles.title),
        _p(f"{s.desk}, business date {s.business_date:%d %b %Y}", styles.body),
        _p(f"Session {s.id}", styles.muted),
        Spacer(1, 4 * mm),
    ]
    who = [
        ["Opened by", s.opened_by, "at", _when(report, s.opened_at)],
        ["Closed by", s.closed_by or "- (still open)", "at", _when(report, s.closed_at)],
    ]
    who_table = Table(who, colWidths=[width * 0.13, width * 0.25, width * 0.04, width * 0.58])
    who_table.setStyle(
        _table_style([("TEXTCOLOR", (0, 0), (0, -1), MUTED), ("TEXTCOLOR", (2, 0), (2, -1), MUTED)])
    )
    story += [who_table, Spacer(1, 5 * mm)]

    half = width / 2 - 8 * mm
    left: list[Any] = [_p("Cash in the drawer", styles.title), _cash_table(report, half)]
    if report.difference:
        reason = report.difference_reason or "(no reason given)"
        left += [Spacer(1, 2 * mm), _p(f"Reason: {reason}", styles.alert)]
    right: list[Any] = [_p("By payment method", styles.title), _method_table(report, half)]
    story.append(_side_by_side(left, right, width))
    story.append(Spacer(1, 6 * mm))

    activity: list[list[Any]] = [
        ["Invoices saved", str(report.invoices), _money(report.invoice_total)],
        ["Invoices cancelled", str(report.cancelled_invoices), ""],
        ["Credit notes", str(report.credit_notes), _money(report.credit_note_total)],
        ["Dues raised (left owing at the sale)", "", _money(report.dues_raised)],
    ]
    activity_table = Table(
        activity, colWidths=[half * 0.6, half * 0.15, half * 0.25], hAlign="LEFT"
    )
    activity_table.setStyle(
        _table_style(
            [
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
            ]
        )
    )
    left = [_p("The session's business", styles.title), activity_table]
    right = [_p("Cash counted", styles.title)]
    right.append(
        _count_table(report, half)
        if report.counted_cash is not None
        else _p("Not counted yet: the session is open.", styles.muted)
    )
    story.append(_side_by_side(left, right, width))

    if report.movements:
        story += [Spacer(1, 6 * mm), _p("Cash put in and taken out", styles.title)]
        rows: list[list[Any]] = [["Time", "", "Amount", "Reason", "By"]]
        for m in report.movements:
            rows.append(
                [
                    _when(report, m.created_at).split(", ")[-1],
                    "in" if m.kind == "in" else "out",
                    _money(m.amount),
                    _p(m.reason, styles.body),
                    m.created_by,
                ]
            )
        table = Table(
            rows,
            colWidths=[width * 0.16, width * 0.06, width * 0.16, width * 0.42, width * 0.2],
            hAlign="LEFT",
            repeatRows=1,
        )
        table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
                    ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)

    story += [Spacer(1, 14 * mm)]
    signatures = Table(
        [["Counted and closed by", "", "Checked by (manager)"], [s.closed_by or "", "", ""]],
        colWidths=[width * 0.42, width * 0.16, width * 0.42],
        hAlign="LEFT",
    )
    signatures.setStyle(
        _table_style(
            [
                ("LINEABOVE", (0, 0), (0, 0), 0.6, ACCENT),
                ("LINEABOVE", (2, 0), (2, 0), 0.6, ACCENT),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ]
        )
    )
    story.append(signatures)
    return story


def render_z_report_pdf(report: SessionReport, target: Path | BinaryIO) -> None:
    """Write the session's report (Z once closed, X while open) as an A4 PDF."""
    write_a4(
        target,
        title=f"{report.kind} report {report.session.desk} {report.session.business_date}",
        author=report.branch_name,
        story=lambda width: _story(report, width),
    )
    log.info("Wrote the %s report of session %s", report.kind, report.session.id)
