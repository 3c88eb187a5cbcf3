"""The manager dashboard, driven through its real widgets on the demo clinic: the tiles show
the service's figures, filters change them, a click on a bar lists its patients, charts
export as PNG and CSV, and visit history comes in with a progress bar."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop.panels import dashboard_figures as figures
from desktop.panels.dashboard import CAMPAIGNS_TAB, DashboardPanel
from desktop.widgets.charts import BarChart, StackedBarChart
from domain.money import format_rupees, group_indian, paise_to_decimal
from services import dashboard as dashboard_service
from services.dashboard import DashboardFilters
from tests.desktop.helpers import SCREENSHOTS, TODAY, save_screenshot
from tests.desktop.test_main_window import open_window

WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def dashboard(qtbot, db, manager, branch_info, fresh_settings):
    """The main window at 1366x768 on the Dashboard, signed in as the manager, refreshed."""
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)
    window.show_panel("dashboard")
    panel = window.panel("dashboard")
    assert isinstance(panel, DashboardPanel)
    idle(qtbot, panel)
    return window, panel


def idle(qtbot, panel: DashboardPanel) -> None:
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    QApplication.processEvents()


def expected(db, manager, **chosen) -> dashboard_service.Dashboard:
    return dashboard_service.refresh(db, manager, DashboardFilters(**chosen), today=TODAY)


def tile_values(panel: DashboardPanel) -> dict[str, str]:
    return {key: tile.value() for key, tile in panel.tiles.items()}


def expected_tiles(found: dashboard_service.Dashboard) -> dict[str, str]:
    figures_ = found.rfm.figures
    return {tile.key: tile.value for tile in figures.kpi_tiles(figures_.kpis, figures_.as_of)}


def test_the_tiles_show_the_services_figures_and_a_score_filter_changes_them(
    qtbot, db, manager, dashboard
):
    window, panel = dashboard
    everyone = expected(db, manager)

    assert tile_values(panel) == expected_tiles(everyone)
    assert panel.tiles["customers"].value() == group_indian(
        everyone.rfm.figures.kpis.total_customer
    )
    save_screenshot(window, "dashboard_rfm")

    panel.set_score("R", 5)
    qtbot.mouseClick(panel.refresh_button, LEFT)
    idle(qtbot, panel)

    recent = expected(db, manager, r=5)
    assert tile_values(panel) == expected_tiles(recent)
    assert recent.rfm.figures.kpis.total_customer < everyone.rfm.figures.kpis.total_customer
    segments = panel.cards["segments"]
    assert isinstance(segments, BarChart)
    assert [bar.value_text for bar in segments.bars] == [
        f"{bar.count:,}" for bar in recent.rfm.figures.segments
    ]

    panel.tabs.setCurrentIndex(CAMPAIGNS_TAB)
    QApplication.processEvents()
    save_screenshot(window, "dashboard_campaigns")


def click_bar(qtbot, card, index: int) -> None:
    """Press and release the left button over bar `index`, as a person does."""
    point = card.plot.mapFromScene(card.scene_point(index))
    qtbot.mouseClick(card.plot.viewport(), LEFT, pos=point)


def test_a_click_on_a_segment_lists_exactly_its_patients_and_they_export_as_csv(
    qtbot, db, manager, dashboard, tmp_path, monkeypatch
):
    window, panel = dashboard
    segments = panel.cards["segments"]
    assert isinstance(segments, BarChart)
    champions = next(i for i, bar in enumerate(segments.bars) if bar.key == "CHAMPIONS")

    with qtbot.waitSignal(panel.customers_shown, timeout=WAIT_MS):
        click_bar(qtbot, segments, champions)
    idle(qtbot, panel)

    report = dashboard_service.rfm_report(db, manager, DashboardFilters(), today=TODAY)
    wanted = dashboard_service.customers(db, manager, report, chart="segments", key="CHAMPIONS")
    dialog = panel.customers_dialog
    assert dialog is not None and dialog.isVisible()
    assert [row.patient_id for row in dialog.rows()] == [row.patient_id for row in wanted]
    assert dialog.heading_label.text() == (f"CHAMPIONS: {figures.plural(len(wanted), 'customer')}")
    first = {
        dialog.model.headerData(c, Qt.Orientation.Horizontal): dialog.model.index(0, c).data()
        for c in range(dialog.model.columnCount())
    }
    assert first["Name"] == wanted[0].name and first["Segment"] == "CHAMPIONS"
    assert first["Spent"] == format_rupees(wanted[0].monetary)
    save_screenshot(dialog, "dashboard_patients")

    target = tmp_path / "champions.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(dialog.export_button, LEFT)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["mobile"] for row in rows] == [row.mobile for row in wanted]
    assert rows[0]["value_rupees"] == str(paise_to_decimal(wanted[0].monetary))
    assert rows[0]["segment"] == "CHAMPIONS"
    dialog.close()


def test_a_click_on_a_fiscal_years_new_part_lists_that_years_new_customers(
    qtbot, db, manager, dashboard
):
    window, panel = dashboard
    years = panel.cards["fiscal_years"]
    assert isinstance(years, StackedBarChart)
    last = len(years.stacks) - 1
    label = years.stacks[last].label

    with qtbot.waitSignal(panel.customers_shown, timeout=WAIT_MS):
        click_bar(qtbot, years, last * 2)  # the lower part: new
    idle(qtbot, panel)

    report = dashboard_service.rfm_report(db, manager, DashboardFilters(), today=TODAY)
    wanted = dashboard_service.customers(
        db, manager, report, chart="fiscal_years", key=f"{label} new"
    )
    dialog = panel.customers_dialog
    assert dialog is not None
    assert [row.patient_id for row in dialog.rows()] == [row.patient_id for row in wanted]
    dialog.close()


def test_the_keyboard_steps_along_the_bars_and_enter_lists_a_bars_patients(
    qtbot, db, manager, dashboard
):
    window, panel = dashboard
    segments = panel.cards["segments"]
    assert isinstance(segments, BarChart)
    segments.plot.setFocus()

    qtbot.keyClick(segments.plot, Qt.Key.Key_Down)
    qtbot.keyClick(segments.plot, Qt.Key.Key_Down)
    second = segments.bars[1]
    assert segments.hover_text == second.tooltip
    with qtbot.waitSignal(panel.customers_shown, timeout=WAIT_MS):
        qtbot.keyClick(segments.plot, Qt.Key.Key_Return)
    idle(qtbot, panel)

    report = dashboard_service.rfm_report(db, manager, DashboardFilters(), today=TODAY)
    wanted = dashboard_service.customers(db, manager, report, chart="segments", key=second.key)
    dialog = panel.customers_dialog
    assert dialog is not None
    assert [row.patient_id for row in dialog.rows()] == [row.patient_id for row in wanted]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)
    assert panel.customers_dialog is None


def test_hovering_a_bar_shows_its_exact_figures_and_the_score_edges_are_on_show(
    qtbot, db, manager, dashboard
):
    window, panel = dashboard
    found = expected(db, manager).rfm.figures
    recency = panel.cards["r_scores"]
    assert isinstance(recency, BarChart)

    # R5 is the first (most recent) bin of the recency edges.
    edges = found.edges["recency"]
    five = [bar.key for bar in recency.bars].index("5")
    recency.plot.scene().sigMouseMoved.emit(recency.scene_point(five))
    count = next(bar.count for bar in found.r_scores if bar.label == "5")
    assert recency.hover_text.startswith(f"R5: {figures.plural(count, 'customer')}")
    assert f"{edges.lower[0]} to under {edges.upper[0]} days" in recency.hover_text
    note = recency.note_label.text().replace("\u00a0", " ")
    assert f"R5 {edges.lower[0]}-{edges.upper[0]} days" in note
    assert recency.tick_labels() == ["R1", "R2", "R3", "R4", "R5"]

    money = panel.cards["m_scores"]
    low, high = found.edges["monetary"].lower[0], found.edges["monetary"].upper[0]
    assert f"M1\u00a0{figures.decimal_text(low)}-{figures.decimal_text(high)}" in (
        money.note_label.text()
    )

    assert (
        panel.tiles["spending"]
        .toolTip()
        .startswith(figures.rupees_text(found.kpis.customer_spending))
    )


def test_each_chart_exports_a_png_and_its_rows_as_csv(
    qtbot, db, manager, dashboard, tmp_path, monkeypatch
):
    window, panel = dashboard
    found = expected(db, manager).rfm.figures
    card = panel.cards["segments"]
    picture, table = tmp_path / "segments.png", tmp_path / "segments"

    answers = iter([str(picture), str(table)])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (next(answers), ""))
    card.export_png_action.trigger()
    card.export_csv_action.trigger()

    image = QImage(str(picture))
    image.save(str(SCREENSHOTS / "dashboard_export_segments.png"))
    assert not image.isNull() and image.width() >= 600 and image.height() >= 400
    colours = {image.pixelColor(x, image.height() // 2).name() for x in range(image.width())}
    assert len(colours) > 3  # bars and text, not a blank page
    written = tmp_path / "segments.csv"  # the extension is added
    with written.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["bar", "customers"]
    assert rows[1:] == [[bar.label, str(bar.count)] for bar in found.segments]
    assert panel.status_label.text() == f"Saved segments.csv in {tmp_path}."


def test_a_window_that_ends_before_it_starts_is_refused_and_the_figures_stay(
    qtbot, db, manager, dashboard
):
    window, panel = dashboard
    before = tile_values(panel)

    panel.set_window(date(2026, 6, 1), date(2026, 1, 1))
    panel.mobile_edit.setFocus()
    with qtbot.waitSignal(panel.refresh_refused, timeout=WAIT_MS):
        qtbot.keyClick(panel.mobile_edit, Qt.Key.Key_F5)
    idle(qtbot, panel)

    assert panel.filter_error.text() == (
        "The window starts on 01-06-2026, after it ends on 01-01-2026"
    )
    assert panel.filter_error.isVisible()
    assert tile_values(panel) == before

    panel.value_edit.setText("2000 1000")
    qtbot.keyClick(panel.value_edit, Qt.Key.Key_Return)
    assert panel.filter_error.text().startswith("Value buckets need increasing whole rupees")
    assert panel.is_idle()

    panel.value_edit.setText("500 1500")
    panel.set_window(date(2025, 4, 1), date(2026, 3, 31))
    qtbot.keyClick(panel.value_edit, Qt.Key.Key_Return)
    idle(qtbot, panel)
    assert panel.filter_error.text() == ""
    year = expected(
        db, manager, start=date(2025, 4, 1), end=date(2026, 3, 31), value_ends=(500, 1500)
    )
    assert tile_values(panel) == expected_tiles(year)
    value = panel.cards["value"]
    assert isinstance(value, BarChart)
    assert value.tick_labels()[-1] == ">1,500"


def test_the_main_window_loads_the_charts_only_when_the_dashboard_opens():
    probe = (
        "import sys; import desktop.main_window; "
        "print(sorted(m for m in ('pyqtgraph', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_coming_back_reads_the_figures_again_only_after_an_invoice_was_saved(qtbot, dashboard):
    window, panel = dashboard
    refreshes = []
    panel.refreshed.connect(lambda: refreshes.append(1))

    window.show_panel("invoice")
    window.show_panel("dashboard")
    idle(qtbot, panel)
    assert refreshes == []

    window.show_panel("invoice")
    window.panel("invoice").invoice_saved.emit("an invoice")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        window.show_panel("dashboard")
    idle(qtbot, panel)


def test_a_mobile_nobody_has_empties_the_charts_and_says_why(qtbot, db, manager, dashboard):
    window, panel = dashboard

    qtbot.keyClicks(panel.mobile_edit, "90000 00000")
    qtbot.keyClick(panel.mobile_edit, Qt.Key.Key_Return)
    idle(qtbot, panel)

    assert panel.filter_error.text() == ""
    assert panel.tiles["customers"].value() == "0"
    assert panel.tiles["spending"].value() == "Rs.0"
    for key in ("segments", "r_scores", "fiscal_years"):
        card = panel.cards[key]
        assert card.is_empty() and card.empty_label.text() == "No customers match the filters."
    # The scores (and their edges) are those of every customer of the window.
    assert panel.cards["r_scores"].note_label.text().startswith("R1\u00a0")
    save_screenshot(window, "dashboard_empty")


# -- importing history ----------------------------------------------------------------------

HISTORY = """invoice_number,invoice_date,patient_mobile,patient_name,item_code,item_name,quantity,unit_price,discount,cost
OLD-9001,2026-11-02,6000000101,Ira Menon,CONSULT,Consultation,1,500,0,0
OLD-9001,2026-11-02,6000000101,Ira Menon,OLDPEEL,Old peel,2,1500.50,300,400.25
OLD-9002,2026-11-20,6000000101,Ira Menon,OLDPEEL,Old peel,1,1600,,410
OLD-9003,2026-10-15,6000000102,Dev Rao,OLDCREAM,Cream,3,250,25.5,100
"""


def choose_file(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_imported_history_shows_progress_then_a_summary_and_joins_the_figures(
    qtbot, db, manager, dashboard, tmp_path, monkeypatch
):
    window, panel = dashboard
    before = expected(db, manager).rfm.figures.kpis.total_customer
    source = tmp_path / "old-system.csv"
    source.write_text(HISTORY, encoding="utf-8")
    choose_file(monkeypatch, source)
    shown = []
    panel.progress_bar.valueChanged.connect(shown.append)

    with qtbot.waitSignal(panel.history_imported, timeout=WAIT_MS) as imported:
        qtbot.mouseClick(panel.import_button, LEFT)
        assert panel.import_button.text() == "Cancel import"
        assert panel.progress_bar.isVisible()
    idle(qtbot, panel)

    result = imported.args[0]
    assert (result.invoices_added, result.lines_added, result.patients_added) == (3, 4, 2)
    assert shown and shown[-1] == 100
    box = panel.message_box
    assert box is not None and box.isVisible()
    assert box.text() == ("Imported 3 invoices (4 lines), 2 new patients and 2 new catalog items.")
    save_screenshot(window, "dashboard_imported")
    box.close()
    assert panel.import_button.text() == "Import history..."
    assert not panel.progress_bar.isVisible()
    after = expected(db, manager)
    assert after.rfm.figures.kpis.total_customer == before + 2
    assert tile_values(panel) == expected_tiles(after)


def test_a_bad_history_row_is_named_and_nothing_is_imported(
    qtbot, db, manager, dashboard, tmp_path, monkeypatch
):
    window, panel = dashboard
    before = tile_values(panel)
    source = tmp_path / "bad.csv"
    source.write_text(HISTORY.replace(",3,250,", ",1.5,250,"), encoding="utf-8")
    choose_file(monkeypatch, source)

    with qtbot.waitSignal(panel.import_failed, timeout=WAIT_MS) as failed:
        qtbot.mouseClick(panel.import_button, LEFT)
    idle(qtbot, panel)

    assert failed.args[0].startswith("Line 5: ")
    assert panel.message_box is not None and panel.message_box.text() == failed.args[0]
    panel.message_box.close()
    assert expected_tiles(expected(db, manager)) == before


def test_cancel_stops_an_import_before_anything_is_written(qtbot, db, manager, dashboard, tmp_path):
    window, panel = dashboard
    before = expected_tiles(expected(db, manager))
    header, *rows = HISTORY.strip().splitlines()
    many = [row.replace("OLD-9001", f"OLD-{n}") for n in range(3000) for row in rows[:1]]
    source = tmp_path / "long.csv"
    source.write_text("\n".join([header, *many]) + "\n", encoding="utf-8")

    with qtbot.waitSignal(panel.import_failed, timeout=WAIT_MS) as failed:
        panel.import_history(source)
        qtbot.mouseClick(panel.import_button, LEFT)  # now "Cancel import"
    idle(qtbot, panel)

    assert failed.args[0] == "Import cancelled: nothing of the file was saved."
    assert panel.message_box is None
    assert expected_tiles(expected(db, manager)) == before


# -- a refresh and an import at the same time --------------------------------------------------


@contextmanager
def write_lock(db) -> Iterator[None]:
    """Hold the database's write lock from another connection, as a second desk saving an
    invoice does: reads go on (WAL), an import waits at its first write until the block ends."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def history_file(tmp_path):
    source = tmp_path / "old-system.csv"
    source.write_text(HISTORY, encoding="utf-8")
    return source


def test_an_import_started_during_a_refresh_lets_the_refresh_finish(
    qtbot, db, manager, dashboard, tmp_path
):
    window, panel = dashboard
    source = history_file(tmp_path)

    with write_lock(db):
        with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
            panel.refresh()
            panel.import_history(source)
        assert not panel.is_refreshing()
        assert not any(tile.value_label.property("stale") for tile in panel.tiles.values())
        assert panel.is_importing() and panel.progress_bar.isVisible()
        assert panel.status_label.text().startswith("Importing old-system.csv")

    with qtbot.waitSignal(panel.history_imported, timeout=WAIT_MS):
        pass
    idle(qtbot, panel)
    panel.message_box.close()
    assert not panel.is_refreshing() and not panel.progress_bar.isVisible()
    assert tile_values(panel) == expected_tiles(expected(db, manager))


def test_a_refresh_during_an_import_keeps_the_imports_progress_on_show(
    qtbot, db, manager, dashboard, tmp_path
):
    window, panel = dashboard
    before = expected(db, manager).rfm.figures.kpis.total_customer
    source = history_file(tmp_path)
    shown: list[int] = []
    panel.progress_bar.valueChanged.connect(shown.append)
    imported_at: list[int] = []
    panel.history_imported.connect(lambda _result: imported_at.append(len(shown)))

    # Its 4 rows are checked and staged (8 of 9 steps), then publishing waits for the lock.
    staged = 100 * 8 // 9
    with write_lock(db):
        panel.import_history(source)
        qtbot.waitUntil(lambda: panel.progress_bar.value() == staged, timeout=WAIT_MS)
        with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
            panel.refresh()
        assert panel.is_importing() and panel.progress_bar.isVisible()
        assert panel.progress_bar.value() == staged
        assert panel.status_label.text() == f"Importing old-system.csv: {staged} %"
        refreshed_at = len(shown)

    with qtbot.waitSignal(panel.history_imported, timeout=WAIT_MS):
        pass
    idle(qtbot, panel)
    panel.message_box.close()

    # The import's writing was shown after the refresh, up to its end.
    after_refresh = shown[refreshed_at : imported_at[0]]
    assert after_refresh and after_refresh[-1] == 100
    assert not panel.is_refreshing() and not panel.progress_bar.isVisible()
    assert panel.tiles["customers"].value() == group_indian(before + 2)
