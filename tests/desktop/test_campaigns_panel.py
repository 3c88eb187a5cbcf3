"""The Campaigns panel (issue #16), driven through its real widgets on the demo clinic's
database: the list and the demo A/B campaign's results in charts, the builder in steps for a
dashboard segment with its live count and preview, launch and pause, the template library
with its DLT fields, and the suggestions' buttons. The builder's state is driven without
widgets too. Screenshots at 1366x768 and at the smallest window go to tests/screenshots."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from db.models import Campaign, CampaignTrigger, Patient
from desktop.campaigns.draft import CampaignDraft, Step
from desktop.dialogs.campaign_builder import CampaignBuilder
from desktop.dialogs.template_editor import TemplateEditor
from desktop.main_window import MINIMUM_HEIGHT, MINIMUM_WIDTH, MainWindow
from desktop.panels.campaigns import CampaignsPanel
from services import consent
from services.campaigns import campaigns as campaign_service
from services.campaigns.audiences import AudienceCount
from services.campaigns.demo import CAMPAIGN_NAME
from tests.desktop.helpers import NOW, fixed_clock, save_screenshot
from tests.desktop.test_settings_panel import clipped_texts

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
WAIT_MS = 20_000
SIZES = [(1366, 768), (MINIMUM_WIDTH, MINIMUM_HEIGHT)]


def open_panel(qtbot, db, user, branch_info, fresh_settings, size=(1366, 768)):
    window = MainWindow(db, user, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    panel = window.panel("campaigns")
    assert isinstance(panel, CampaignsPanel)
    idle(qtbot, panel)
    return window, panel


def idle(qtbot, widget) -> None:
    qtbot.waitUntil(widget.is_idle, timeout=WAIT_MS)


def results_drawn(qtbot, panel: CampaignsPanel) -> None:
    idle(qtbot, panel)
    qtbot.waitUntil(
        lambda: panel.results_view is not None and panel.results_view.isVisible(),
        timeout=WAIT_MS,
    )


def with_email_consent(db, manager, count: int) -> list[uuid.UUID]:
    """The first `count` patients with an e-mail address agree to offers by e-mail."""
    with db.session(write=False) as session:
        ids = list(
            session.scalars(
                select(Patient.id)
                .where(Patient.is_walk_in.is_(False), Patient.email.is_not(None))
                .where(Patient.email != "")
                .order_by(Patient.name)
                .limit(count)
            )
        )
    for patient_id in ids:
        consent.record_consent(db, manager, patient_id, "email", granted=True, now=NOW)
    return ids


def column(model, header: str) -> list[str]:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return model.column_texts(headers.index(header))


def counted(qtbot, builder: CampaignBuilder) -> AudienceCount:
    idle(qtbot, builder)
    assert builder.draft.count is not None
    return builder.draft.count


def next_step(qtbot, builder: CampaignBuilder) -> None:
    idle(qtbot, builder)
    qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)
    idle(qtbot, builder)


# -- the builder's state, without widgets ------------------------------------------------------


def test_each_step_says_what_it_lacks_before_it_can_be_left():
    draft = CampaignDraft()
    assert draft.refusal(Step.BASICS) == "Give the campaign a name."
    draft.name = "Win back"
    assert draft.refusal(Step.BASICS) is None

    draft.spent_more_than = "lots"
    assert "type an amount in rupees" in (draft.refusal(Step.AUDIENCE) or "")
    draft.spent_more_than = "5,000"
    draft.count = AudienceCount("email", 10, 0, {"no consent": 10})
    assert "Nobody in this audience can be reached" in (draft.refusal(Step.AUDIENCE) or "")
    draft.count = AudienceCount("email", 10, 8, {"no consent": 2})
    assert draft.refusal(Step.AUDIENCE) is None

    assert "Choose the message's template" in (draft.refusal(Step.CONTENT) or "")
    a = uuid.uuid4()
    draft.template_a = draft.template_b = a
    assert "two different templates" in (draft.refusal(Step.CONTENT) or "")
    draft.template_b = None

    draft.costs, draft.budget = {"email": "1"}, "5"
    assert "more than the budget of Rs.5.00" in (draft.refusal(Step.BUDGET) or "")
    draft.budget = "0"
    assert draft.first_refusal(Step.REVIEW) is None


def test_the_draft_gives_the_services_their_specs():
    a, b = uuid.uuid4(), uuid.uuid4()
    draft = CampaignDraft(
        name="  Champions   back ",
        segment="CHAMPIONS",
        last_visit_older_than_days=90,
        spent_more_than="5,000",
        visited_item=" hydra ",
        template_a=a,
        template_b=b,
        holdout_percent=10,
        minimum_per_arm=50,
        budget="500",
        costs={"email": "0.20"},
        promotion_code="glow20",
        trigger_kind="no_visit_days",
        trigger_days=120,
    )
    spec = draft.campaign_spec()
    campaign_service.parse_spec(spec)  # the service takes it as it is
    assert spec["name"] == "Champions back"
    assert spec["variants"] == {"A": {"template": str(a)}, "B": {"template": str(b)}}
    assert spec["audience"] == {
        "segment": "CHAMPIONS",
        "last_visit_older_than_days": 90,
        "visited_item": "HYDRA",
        "spent_more_than": "5000",
    }
    assert (spec["holdout_percent"], spec["minimum_per_arm"]) == (10, 50)
    assert (spec["budget"], spec["cost_per_message"], spec["promotion_code"]) == (
        "500",
        {"email": "0.20"},
        "GLOW20",
    )
    trigger = draft.trigger_spec()
    assert trigger is not None and trigger.kind == "no_visit_days"
    assert trigger.conditions == {"days": 120} and trigger.template == str(a)


# -- the panel ---------------------------------------------------------------------------------


def test_the_front_desk_does_not_see_the_panel(qtbot, db, front_desk, branch_info, fresh_settings):
    window = MainWindow(db, front_desk, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.is_idle, timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_4, CTRL)

    assert "campaigns" not in window.panel_keys()
    assert window.current_panel_key() != "campaigns"
    assert not window.findChildren(CampaignsPanel)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_demo_ab_campaign_shows_its_results_in_readable_charts(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    results_drawn(qtbot, panel)
    results = campaign_service.campaign_results(db, manager, panel.selected_campaign().id)

    assert panel.selected_campaign().name == CAMPAIGN_NAME
    assert column(panel.campaigns, "Status")[0] == "Completed"
    assert column(panel.campaigns, "Channel")[0] == "E-mail"
    assert column(panel.campaigns, "Audience")[0] == "240"
    view = panel.results_view
    assert view.figures["sent"].value.text() == f"{results.total.sent:,}"
    assert view.figures["failed"].value.text() == str(results.total.failed)
    assert view.figures["roi"].value.text().endswith("%")
    assert results.decision is not None
    assert view.decision_label.text().startswith(f"A/B test: {results.decision.reason}")
    assert "hold-out group" in view.decision_label.text()
    # Its hold-out converts as well as the messaged: the attributed ROI is not the campaign's.
    assert results.lift is not None and not results.lift.measurable
    assert "No measurable lift" in view.decision_label.text()
    assert view.figures["incremental"].value.text() == "No lift"
    assert [bar.label for bar in view.conversions.bars] == ["Template A", "Template B", "Hold-out"]
    assert [bar.label for bar in view.outcomes.bars][:3] == ["Sent", "Delivered", "Failed"]
    assert not view.outcomes.is_empty() and not view.conversions.is_empty()
    # Performance over time: the campaign's days, each line adding up to its total.
    days = results.by_day
    running = {line.key: line.values for line in view.running.series}
    assert view.running.day_labels[0] == f"{days[0].day.day} {days[0].day:%b}"
    assert len(view.running.day_labels) == len(days) > 1
    assert list(running) == ["Sent", "Delivered", "Failed", "Converted"]
    assert running["Sent"][-1] == results.total.sent and running["Sent"][0] == days[0].sent
    assert running["Converted"][-1] == results.total.conversions
    assert list(running["Converted"]) == sorted(running["Converted"])  # totals so far
    assert sum(view.conversions_by_day.series[0].values) == results.total.conversions
    assert f"converted {days[1].conversions} (" in view.conversions_by_day._tooltip(1)
    for chart in view.charts():
        assert not chart.is_empty(), chart.title
        assert chart.plot.height() >= 150, chart.title  # room for the bars to be read

    save_screenshot(window, f"campaigns_results_{size[0]}x{size[1]}")
    save_screenshot(view, f"campaigns_results_view_{size[0]}x{size[1]}")  # scrolled too
    assert clipped_texts(window) == []


@pytest.mark.parametrize("size", SIZES)
def test_the_head_offices_campaign_is_marked_and_its_results_are_this_branchs(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    """A campaign received from the centre (issue #15; its branch is none here, as a pull
    stores it) is listed as the head office's; this branch's run of it shows its results."""
    with sqlite3.connect(db.path) as con:
        con.execute("UPDATE campaigns SET branch_id = NULL, created_by = NULL")
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    results_drawn(qtbot, panel)
    assert column(panel.campaigns, "Campaign")[0] == f"{CAMPAIGN_NAME} (head office)"
    tooltip = panel.campaigns.data(panel.campaigns.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "head office manages this campaign" in tooltip
    assert panel.results_view.figures["sent"].value.text() != "0"
    rows = campaign_service.list_campaigns(db, manager)
    assert rows[0].head_office and rows[0].name == CAMPAIGN_NAME
    save_screenshot(window, f"campaigns_head_office_{size[0]}x{size[1]}")
    assert clipped_texts(window) == []


@pytest.mark.parametrize("size", SIZES)
def test_a_campaign_on_several_channels_shows_each_channels_share(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    from tests.services.test_campaign_channels import agree, fallback_campaign, four_patients

    everyone, sms_first, email_only, _nobody = four_patients(db)
    agree(db, everyone, "whatsapp", "sms")
    agree(db, sms_first, "sms")
    agree(db, email_only, "email")
    campaign_id = fallback_campaign(db, [everyone, sms_first, email_only])
    campaign_service.launch_campaign(db, manager, campaign_id, today=NOW.date(), now=NOW)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    assert panel.select_campaign(str(campaign_id))
    qtbot.waitUntil(
        lambda: (
            panel.results_view is not None
            and "By channel" in panel.results_view.decision_label.text()
        ),
        timeout=WAIT_MS,
    )
    results_drawn(qtbot, panel)

    row = column(panel.campaigns, "Channel")[panel.campaigns.row_of(str(campaign_id))]
    assert row == "WhatsApp +2"  # the heading says them all
    text = panel.results_view.decision_label.text()
    assert text.startswith(
        "By channel: WhatsApp 0 sent, 0 converted, Rs.0.00; SMS 0 sent, 0 converted, Rs.0.00; "
        "E-mail 0 sent, 0 converted, Rs.0.00. One template"
    )
    assert "WhatsApp, then SMS, then E-mail" in panel.results_view.heading.text()

    save_screenshot(window, f"campaigns_channels_{size[0]}x{size[1]}")


def test_a_campaign_for_a_dashboard_segment_is_built_previewed_launched_and_paused(
    qtbot, db, manager, branch_info, fresh_settings
):
    with_email_consent(db, manager, 400)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)

    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_N, CTRL)
    builder = panel.dialog
    assert isinstance(builder, CampaignBuilder)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is builder)
    next_step(qtbot, builder)
    assert builder.step() == Step.BASICS
    assert builder.message() == "Give the campaign a name."

    qtbot.keyClicks(builder.name_edit, "Champions back")
    next_step(qtbot, builder)
    assert builder.step() == Step.AUDIENCE
    everyone = counted(qtbot, builder)
    builder.segment_combo.setCurrentIndex(builder.segment_combo.findData("CHAMPIONS"))
    champions = counted(qtbot, builder)
    assert 0 < champions.reachable < everyone.reachable
    assert champions.matching < everyone.matching
    assert "can be reached" in builder.count_label.text()
    assert "Left out:" in builder.count_detail.text()
    assert f"{champions.reachable:,} of {champions.matching:,}" in builder.count_detail.text()
    save_screenshot(builder, "campaign_builder_audience")
    builder.spent_check.setChecked(True)
    qtbot.keyClicks(builder.spent_edit, "20000")
    narrower = counted(qtbot, builder)
    assert narrower.matching < champions.matching

    next_step(qtbot, builder)
    assert builder.step() == Step.CONTENT
    idle(qtbot, builder)
    assert builder.template_a_combo.currentText().startswith("A treat for you")
    # The sample patient at this clinic: its own name, not a made-up one.
    assert f"Subject: Asha, a treat from {branch_info.details.name}" in (
        builder.preview_edit.toPlainText()
    )
    qtbot.waitUntil(lambda: builder.sample_combo.count() > 1, timeout=WAIT_MS)
    builder.sample_combo.setCurrentIndex(1)
    idle(qtbot, builder)
    first_name = builder.sample_combo.currentText().split()[0]
    assert builder.preview_edit.toPlainText().startswith(f"Subject: {first_name}, a treat from")
    builder.ab_check.setChecked(True)
    builder.holdout_spin.setValue(10)
    builder.minimum_spin.setValue(5)
    save_screenshot(builder, "campaign_builder_content")

    next_step(qtbot, builder)
    assert builder.step() == Step.SCHEDULE
    qtbot.keyClick(builder, Qt.Key.Key_Left, ALT)
    assert builder.step() == Step.CONTENT
    qtbot.keyClick(builder, Qt.Key.Key_4, CTRL)  # a step already reached
    assert builder.step() == Step.SCHEDULE
    qtbot.keyClick(builder, Qt.Key.Key_6, CTRL)  # not reached yet: Budget comes first
    assert builder.step() == Step.SCHEDULE
    save_screenshot(builder, "campaign_builder_schedule")
    next_step(qtbot, builder)
    assert builder.step() == Step.BUDGET
    qtbot.keyClicks(builder.cost_edits[0], "0.10")
    assert "If launched now: about Rs." in builder.estimate_label.text()
    save_screenshot(builder, "campaign_builder_budget")
    next_step(qtbot, builder)
    assert builder.step() == Step.REVIEW
    assert "A/B test of A: A treat for you (e-mail) and B: A treat" in builder.review_text()
    assert "10% hold-out" in builder.review_text()
    save_screenshot(builder, "campaign_builder_review")
    assert clipped_texts(builder) == []

    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)  # Create
    idle(qtbot, panel)
    assert panel.dialog is None
    row = panel.selected_campaign()
    assert row is not None and (row.name, row.status) == ("Champions back", "draft")
    assert column(panel.campaigns, "Audience")[0] == f"{narrower.reachable:,}"
    qtbot.waitUntil(lambda: "is not launched yet" in panel.results_note.text(), timeout=WAIT_MS)
    assert panel.results_note.isVisible() and not panel.results_view.isVisible()
    assert f"{narrower.reachable:,} patients can be reached now" in panel.results_note.text()
    save_screenshot(window, "campaigns_draft")

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.campaigns_table.setFocus()
    with qtbot.waitSignal(panel.results_shown, timeout=WAIT_MS):
        qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_L, CTRL)
    results_drawn(qtbot, panel)
    assert panel.selected_campaign().status == "running"
    assert "messages queued" in panel.status_label.text()
    shown = panel.results_view
    assert column(panel.campaigns, "Audience")[0] == f"{narrower.reachable:,}"
    messaged = int(shown.figures["recipients"].value.text().replace(",", ""))
    assert 0 < messaged < narrower.reachable  # the hold-out group gets nothing
    assert [bar.label for bar in shown.conversions.bars] == [
        "Template A",
        "Template B",
        "Hold-out",
    ]

    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_P, CTRL | SHIFT)
    qtbot.waitUntil(lambda: panel.selected_campaign().status == "paused", timeout=WAIT_MS)
    idle(qtbot, panel)
    assert panel.launch_button.text() == "Resume" and not panel.pause_button.isEnabled()


def test_a_scheduled_campaign_with_a_trigger_is_created_with_both(
    qtbot, db, manager, branch_info, fresh_settings
):
    with_email_consent(db, manager, 30)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    builder = panel.new_campaign(CampaignDraft(name="Lapsed at 120 days"))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is builder)
    for _step in (Step.BASICS, Step.AUDIENCE, Step.CONTENT):
        next_step(qtbot, builder)
    assert builder.step() == Step.SCHEDULE
    builder.at_radio.setChecked(True)  # 24 Nov 2026 12:00 India, the hour after next
    builder.trigger_combo.setCurrentIndex(builder.trigger_combo.findData("no_visit_days"))
    builder.trigger_days_spin.setValue(120)
    builder.delay_spin.setValue(30)
    next_step(qtbot, builder)
    next_step(qtbot, builder)
    assert builder.step() == Step.REVIEW
    assert "24 Nov 2026, 12:00 Asia/Kolkata" in builder.review_text()
    assert (
        "and when the last visit is 120 days old: send the message after 30 min"
        in builder.review_text()
    )

    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)
    idle(qtbot, panel)

    campaign_id = panel.selected_campaign().id
    with db.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
        trigger = session.scalars(
            select(CampaignTrigger).where(CampaignTrigger.campaign_id == campaign_id)
        ).one()
        assert campaign.schedule == {"at": "2026-11-24T12:00:00+05:30"}
        assert (trigger.kind, trigger.action, trigger.delay_minutes) == (
            "no_visit_days",
            "send_template",
            30,
        )
        assert trigger.conditions == {"days": 120} and trigger.template_id is not None


def test_a_trigger_that_cannot_be_saved_leaves_no_draft_and_create_again_makes_one(
    qtbot, db, manager, branch_info, fresh_settings
):
    with_email_consent(db, manager, 30)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    builder = panel.new_campaign(CampaignDraft(name="Birthdays, once"))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is builder)
    for _step in (Step.BASICS, Step.AUDIENCE, Step.CONTENT):
        next_step(qtbot, builder)
    builder.trigger_combo.setCurrentIndex(builder.trigger_combo.findData("birthday"))
    next_step(qtbot, builder)
    next_step(qtbot, builder)
    assert builder.step() == Step.REVIEW
    # The database refuses the trigger's row (as a full disk would), after the campaign's.
    with sqlite3.connect(db.path) as con:
        con.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON campaign_triggers "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )

    def drafts() -> int:
        with sqlite3.connect(db.path) as con:
            return con.execute(
                "SELECT count(*) FROM campaigns WHERE name = 'Birthdays, once'"
            ).fetchone()[0]

    qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)
    idle(qtbot, builder)
    assert builder.isVisible() and drafts() == 0  # nothing half made
    with sqlite3.connect(db.path) as con:
        con.execute("DROP TRIGGER refuse")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)
    idle(qtbot, panel)

    assert drafts() == 1
    with db.session(write=False) as session:
        [kind] = session.scalars(
            select(CampaignTrigger.kind).where(
                CampaignTrigger.campaign_id == panel.selected_campaign().id
            )
        ).all()
    assert kind == "birthday"


def test_an_empty_name_or_unreachable_audience_keeps_the_builder_on_its_step(
    qtbot, db, manager, branch_info, fresh_settings
):
    with sqlite3.connect(db.path) as con:  # a clinic where nobody has agreed yet
        con.execute("DELETE FROM consent_ledger")
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    builder = panel.new_campaign(CampaignDraft(name="Nobody agreed"))
    next_step(qtbot, builder)
    assert builder.step() == Step.AUDIENCE
    assert counted(qtbot, builder).reachable == 0

    next_step(qtbot, builder)

    assert builder.step() == Step.AUDIENCE
    assert "Nobody in this audience can be reached" in builder.message()
    assert "have not agreed to these messages" in builder.count_detail.text()
    builder.reject()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_template_is_typed_with_its_preview_and_dlt_fields_then_listed(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_2, ALT)
    idle(qtbot, panel)
    assert panel.pages.currentIndex() == 1
    assert "We miss you (SMS)" in column(panel.templates, "Template")
    qtbot.waitUntil(lambda: "For the sample patient" in panel.template_preview.toPlainText())
    save_screenshot(window, f"campaigns_templates_{size[0]}x{size[1]}")
    assert clipped_texts(window) == []

    qtbot.keyClick(panel.templates_table, Qt.Key.Key_T, CTRL)
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    qtbot.keyClicks(editor.name_edit, "Birthday SMS")
    editor.channel_combo.setCurrentIndex(editor.channel_combo.findData("sms"))
    assert editor.dlt_id_edit.isVisible() and not editor.subject_edit.isVisible()
    qtbot.keyClicks(editor.body_edit, "Happy birthday {{ first_name }} from {{ clinic_name }}")
    assert editor.preview_edit.toPlainText().startswith("Happy birthday Asha from")
    assert "1 SMS part" in editor.preview_edit.toPlainText()
    qtbot.keyClicks(editor.dlt_id_edit, "1107160000000000001")
    qtbot.keyClicks(editor.header_edit, "LUMENS")
    qtbot.keyClicks(editor.entity_edit, "1101456789012345678")
    qtbot.keyClicks(editor.registered_edit, "Happy birthday {#var#} from {#var#} -LUMENS")
    assert "does not match its DLT registration" in editor.problem()
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    assert "does not match" in editor.status_label.text()
    assert panel.dialog is editor  # refused: nothing saved

    editor.body_edit.moveCursor(editor.body_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.body_edit, " -LUMENS")
    assert editor.problem() == ""
    assert "Matches its DLT registration" in editor.preview_edit.toPlainText()
    assert editor.status_label.text() == ""  # the refusal went with its cause
    save_screenshot(editor, f"campaigns_template_editor_{size[0]}x{size[1]}")
    assert clipped_texts(editor) == []
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)

    assert panel.dialog is None
    assert panel.selected_template().name == "Birthday SMS"
    assert panel.selected_template().sms_dlt_template_id == "1107160000000000001"

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.templates_table.setFocus()
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_Return)  # Enter: change it
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    assert editor.name_edit.text() == "Birthday SMS" and not editor.channel_combo.isEnabled()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.category_edit.selectAll()
    qtbot.keyClicks(editor.category_edit, "birthday")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)
    assert panel.dialog is None
    assert (panel.selected_template().name, panel.selected_template().category) == (
        "Birthday SMS",
        "birthday",
    )
    assert column(panel.templates, "Template").count("Birthday SMS") == 1  # changed, not added


def test_each_suggestion_has_a_button_that_acts_on_it(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_3, ALT)
    idle(qtbot, panel)
    rules = [s.rule for s in panel.suggestions]
    assert {"consent", "win_back"} <= set(rules)
    assert len(panel.suggestion_buttons) == len(rules)
    save_screenshot(window, "campaigns_suggestions")
    assert clipped_texts(window) == []

    win_back = panel.suggestion_buttons[rules.index("win_back")]
    assert win_back.text() == "Build the win-back"
    qtbot.mouseClick(win_back, Qt.MouseButton.LeftButton)
    builder = panel.dialog
    assert isinstance(builder, CampaignBuilder)
    assert builder.segment_combo.currentData() == "CHAMPIONS"
    assert builder.lapsed_check.isChecked() and builder.lapsed_spin.value() == 90
    idle(qtbot, builder)
    builder.reject()

    consent_button = panel.suggestion_buttons[rules.index("consent")]
    consent_button.setFocus()
    qtbot.keyClick(consent_button, Qt.Key.Key_Space)
    assert window.current_panel_key() == "invoice"


def test_make_this_an_audience_opens_the_builder_on_the_segment(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)

    window.show_campaign_audience("NEED ATTENTION")

    builder = panel.dialog
    assert isinstance(builder, CampaignBuilder)
    assert builder.segment_combo.currentData() == "NEED ATTENTION"
    assert builder.name_edit.text() == "Need Attention campaign"
    assert counted(qtbot, builder).matching > 0
    builder.reject()


def test_f1_lists_the_campaign_keys_for_a_manager(qtbot, db, manager, branch_info, fresh_settings):
    window, _panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    rows = dict(window.shortcut_rows())
    assert rows["Ctrl+4"] == "Open Campaigns"
    assert rows["Ctrl+L"].startswith("Campaigns: launch")


def open_dashboard(qtbot, window: MainWindow):
    from desktop.panels.dashboard import DashboardPanel

    window.show_panel("dashboard")
    dashboard = window.panel("dashboard")
    assert isinstance(dashboard, DashboardPanel)
    idle(qtbot, dashboard)
    return dashboard


def test_a_dashboard_segment_becomes_a_campaign_audience(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, _panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    dashboard = open_dashboard(qtbot, window)
    with qtbot.waitSignal(dashboard.customers_shown, timeout=WAIT_MS):
        dashboard.list_customers("segments", "CHAMPIONS")
    dialog = dashboard.customers_dialog
    assert dialog is not None and dialog.audience_button is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)

    qtbot.keyClick(dialog, Qt.Key.Key_A, ALT)

    assert window.current_panel_key() == "campaigns"
    builder = window.panel("campaigns").dialog
    assert isinstance(builder, CampaignBuilder)
    assert builder.segment_combo.currentData() == "CHAMPIONS"
    assert counted(qtbot, builder).matching == len(dialog.rows())
    builder.reject()


def test_another_charts_patients_are_not_offered_as_an_audience(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, _panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    dashboard = open_dashboard(qtbot, window)
    key = dashboard.cards["recency"].bars[0].key
    with qtbot.waitSignal(dashboard.customers_shown, timeout=WAIT_MS):
        dashboard.list_customers("recency", key)
    assert dashboard.customers_dialog.audience_button is None


def test_the_list_counts_what_the_windows_send_round_sent(
    qtbot, db, manager, branch_info, fresh_settings, tmp_path
):
    from datetime import timedelta

    from services import channel_settings
    from services.campaigns import templates

    channel_settings.save_channel(
        db, manager, "preview", channel_settings.PreviewSettings(str(tmp_path)), now=NOW
    )
    channel_settings.save_channel(db, manager, "email", None, mode="preview", now=NOW)
    ids = with_email_consent(db, manager, 5)
    for patient_id in ids:  # given yesterday: the send gate sees them before the message
        consent.record_consent(
            db, manager, patient_id, "email", granted=True, now=NOW - timedelta(days=1)
        )
    template = templates.find_template(db, "A treat for you (e-mail)")
    spec = {
        "name": "Five patients",
        "variants": {"A": {"template": str(template)}},
        "audience": {"patients": [str(i) for i in ids]},
    }
    campaign = campaign_service.create_campaign(
        db, manager, campaign_service.parse_spec(spec), now=NOW
    )
    campaign_service.launch_campaign(db, manager, campaign, today=NOW.date(), now=NOW)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    assert panel.selected_campaign().id == campaign
    assert column(panel.campaigns, "Sent")[0] == "0"

    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        window.send_round()
    idle(qtbot, panel)

    assert window.last_send is not None and window.last_send.sent == 5
    assert column(panel.campaigns, "Sent")[0] == "5"


def test_a_failing_channel_and_an_ab_winner_each_open_what_fixes_or_shows_them(
    qtbot, db, manager, branch_info, fresh_settings
):
    from desktop.panels.settings import SettingsPanel
    from services.campaigns.recommendations import Recommendation

    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    demo = panel.selected_campaign().id
    panel.tabs.setCurrentIndex(2)  # on Suggestions, where the buttons are

    panel.act_on(Recommendation("ab_winner", 1, "Autumn: A wins. Send it to the rest.", demo))
    assert panel.pages.currentIndex() == 0 and panel.selected_campaign().id == demo

    panel.act_on(Recommendation("failures", 30, "30 of 200 failed: check the channel.", demo))
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    assert window.current_panel_key() == "settings"
    assert settings.tabs.currentWidget() is settings.channels
    idle(qtbot, panel)


def test_an_ab_winner_goes_to_the_rest_of_the_campaigns_audience(
    qtbot, db, manager, branch_info, fresh_settings
):
    from services.campaigns import audiences, templates
    from services.campaigns.recommendations import Recommendation

    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings)
    demo = panel.selected_campaign().id
    winner = templates.find_template(db, "A treat for you, shorter (e-mail)")
    rest = {"last_visit_older_than_days": 90, "not_in_campaign": str(demo)}
    suggestion = Recommendation("ab_winner", 1, "B wins. Send it to the rest.", demo, winner, rest)

    builder = panel.act_on(suggestion)

    assert isinstance(builder, CampaignBuilder)
    assert builder.lapsed_check.isChecked() and builder.lapsed_spin.value() == 90
    assert f"not reached by {CAMPAIGN_NAME}" in builder.kept_label.text()
    everyone = audiences.count_audience(
        db,
        manager,
        audiences.parse_audience({"last_visit_older_than_days": 90}),
        "email",
        today=NOW.date(),
        now=NOW,
    )
    shown = counted(qtbot, builder)
    assert 0 < shown.matching < everyone.matching  # the campaign's recipients are left out
    assert builder.draft.audience_spec() == rest
    builder.go_to(Step.CONTENT)  # refused: nobody in the demo agreed to e-mail offers
    assert builder.template_a_combo.currentData() == winner
    assert "A treat for you, shorter" in builder.review_text()
    builder.reject()
