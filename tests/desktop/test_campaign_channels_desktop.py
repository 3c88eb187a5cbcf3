"""What the CLI could do alone, in the desktop (issue #16): a campaign on several channels in
order built in the builder, with the audience counted on each, and a WhatsApp template's body
parameters typed in the template editor, checked as a save checks them. Driven through the
real widgets on the demo clinic's database; the dialogs are grabbed into /tmp/helper32 at
1366x768 and at the smallest window, for a person to look at."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from sqlalchemy import select

from db.models import Campaign, CampaignExecution, Patient
from desktop.campaigns.draft import CampaignDraft, Step
from desktop.dialogs.campaign_builder import CampaignBuilder
from desktop.dialogs.template_editor import TemplateEditor
from services import channel_settings, consent
from services.campaign_sender import send_due
from services.campaigns import campaigns as campaign_service
from services.campaigns import templates
from services.campaigns.audiences import AudienceCount
from tests.desktop.helpers import NOW, TODAY
from tests.desktop.test_campaigns_panel import (
    ALT,
    CTRL,
    SIZES,
    WAIT_MS,
    counted,
    idle,
    next_step,
    open_panel,
    with_email_consent,
)
from tests.desktop.test_settings_panel import clipped_texts

GRABS = Path("/tmp/helper32")


def grab(widget: QWidget, name: str) -> None:
    QApplication.processEvents()
    GRABS.mkdir(exist_ok=True)
    assert widget.grab().save(str(GRABS / f"{name}.png"))


def choose(qtbot, combo: QComboBox, data: object) -> None:
    """Pick `data` in a closed combo box with the arrow keys, as a person at the keyboard."""
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == data


def with_sms_consent(db, manager, count: int) -> None:
    """`count` patients with a mobile agree to offers by SMS (some by e-mail too)."""
    with db.session(write=False) as session:
        ids = session.scalars(
            select(Patient.id)
            .where(Patient.is_walk_in.is_(False), Patient.mobile != "")
            .order_by(Patient.name.desc())
            .limit(count)
        ).all()
    for patient_id in ids:
        consent.record_consent(
            db, manager, patient_id, "sms", granted=True, now=NOW - timedelta(days=1)
        )


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_campaign_falls_back_from_email_to_sms_as_built_and_counted_in_the_builder(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    with_email_consent(db, manager, 30)
    with_sms_consent(db, manager, 40)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    builder = panel.new_campaign(CampaignDraft(name="E-mail, else SMS"))
    assert isinstance(builder, CampaignBuilder)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is builder)
    idle(qtbot, builder)
    assert not builder.fallback_combos[1].isEnabled()  # a second only after a first

    # Basics: the channels in order, from the keyboard; each channel once.
    qtbot.keyClick(builder, Qt.Key.Key_T, ALT)  # &Then
    assert builder.focusWidget() is builder.fallback_combos[0]
    choose(qtbot, builder.fallback_combos[0], "email")
    next_step(qtbot, builder)
    assert builder.step() == Step.BASICS
    assert builder.message() == "E-mail is in the order already: choose another channel, or none."
    choose(qtbot, builder.fallback_combos[0], "sms")
    qtbot.keyClick(builder.fallback_combos[0], Qt.Key.Key_Tab)
    assert builder.focusWidget() is builder.fallback_combos[1]  # And th&en, then Purpose
    assert builder.fallback_combos[1].isEnabled()
    grab(builder, f"builder_basics_{size[0]}x{size[1]}")
    assert clipped_texts(builder) == []

    # Audience: how many each channel reaches first.
    next_step(qtbot, builder)
    assert builder.step() == Step.AUDIENCE
    count = counted(qtbot, builder)
    assert count.channel == "email+sms"
    assert list(count.by_channel) == ["email", "sms"]
    assert count.by_channel["email"] > 0 and count.by_channel["sms"] > 0
    each = f"{count.by_channel['email']:,} by E-mail, {count.by_channel['sms']:,} by SMS"
    assert f"Each gets the first channel that reaches them: {each}." in (
        builder.count_detail.text()
    )
    grab(builder, f"builder_audience_{size[0]}x{size[1]}")
    assert clipped_texts(builder) == []

    # Content: an A/B test of the e-mails, and the SMS for both.
    next_step(qtbot, builder)
    assert builder.step() == Step.CONTENT
    idle(qtbot, builder)
    assert builder.fallback_labels[0].text() == "Then &SMS"
    assert not builder.fallback_template_combos[1].isVisible()
    qtbot.keyClick(builder, Qt.Key.Key_S, ALT)
    assert builder.focusWidget() is builder.fallback_template_combos[0]
    sms = templates.find_template(db, "We miss you (SMS)")
    assert builder.fallback_template_combos[0].currentData() == sms
    assert f"{each}" in builder.count_label.text()
    builder.ab_check.setChecked(True)
    builder.minimum_spin.setValue(5)
    qtbot.keyClick(builder, Qt.Key.Key_V, ALT)  # Pre&view
    assert builder.focusWidget() is builder.preview_variant
    choose(qtbot, builder.preview_variant, "sms")
    idle(qtbot, builder)
    assert builder.preview_edit.toPlainText().startswith("Dear Asha, ")
    assert "Matches its DLT registration" in builder.preview_edit.toPlainText()
    grab(builder, f"builder_content_{size[0]}x{size[1]}")
    assert clipped_texts(builder) == []

    for _step in (Step.SCHEDULE, Step.BUDGET, Step.REVIEW):
        next_step(qtbot, builder)
    assert builder.step() == Step.REVIEW
    assert "E-mail, then SMS, promotional" in builder.review_text()
    assert f"can be reached ({each})" in builder.review_text()
    assert "; then SMS: We miss you (SMS)" in builder.review_text()
    grab(builder, f"builder_review_{size[0]}x{size[1]}")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)  # Create
    idle(qtbot, panel)

    campaign_id = panel.selected_campaign().id
    a = templates.find_template(db, "A treat for you (e-mail)")
    b = templates.find_template(db, "A treat for you, shorter (e-mail)")
    with db.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign.channels == ["email", "sms"]
        arms = campaign.variants["arms"]
        assert {name: arm["templates"] for name, arm in arms.items()} == {
            "A": {"email": str(a), "sms": str(sms)},
            "B": {"email": str(b), "sms": str(sms)},
        }

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.campaigns_table.setFocus()
    with qtbot.waitSignal(panel.results_shown, timeout=WAIT_MS):
        qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_L, CTRL)  # launch
    idle(qtbot, panel)
    with db.session(write=False) as session:
        sent = session.scalars(
            select(CampaignExecution).where(CampaignExecution.campaign_id == campaign_id)
        ).all()
        on = Counter(row.channel for row in sent)
        assert on == Counter(count.by_channel)  # each on the channel the builder counted
        assert all(r.rendered_text.endswith("-LUMENS") for r in sent if r.channel == "sms")
        assert all(r.rendered_subject for r in sent if r.channel == "email")


def saved_parameters(db, manager, name: str) -> tuple[str, ...]:
    [row] = [r for r in templates.list_templates(db, manager) if r.name == name]
    return row.whatsapp_body_parameters


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_whatsapp_templates_body_parameters_are_typed_checked_and_saved(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_2, ALT)
    idle(qtbot, panel)
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_T, CTRL)
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    assert not editor.wa_parameters_edit.isVisible()  # e-mail first: WhatsApp's field only
    qtbot.keyClicks(editor.name_edit, "Offer (WhatsApp)")
    editor.channel_combo.setCurrentIndex(editor.channel_combo.findData("whatsapp"))
    qtbot.keyClicks(editor.body_edit, "Hi {{ first_name }}, your code is {{ promo_code }}.")
    qtbot.keyClicks(editor.wa_name_edit, "offer_code")
    qtbot.keyClick(editor, Qt.Key.Key_A, ALT)  # Body p&arameters
    assert editor.focusWidget() is editor.wa_parameters_edit

    # A blank line between two is a parameter, and the service refuses an empty one.
    qtbot.keyClicks(editor.wa_parameters_edit, "{{ first_name }}")
    qtbot.keyClick(editor.wa_parameters_edit, Qt.Key.Key_Return)
    qtbot.keyClick(editor.wa_parameters_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.wa_parameters_edit, "{{ promo_code }}")
    assert editor.problem() == "Body parameters: {{2}} is 1 to 200 characters of text and tags."
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    assert editor.status_label.text() == editor.problem()
    assert panel.dialog is editor  # refused: nothing saved

    # An unknown tag in a parameter is said to be the parameters'.
    editor.wa_parameters_edit.setPlainText("{{ first_name }}\n{{ promo_cod }}")
    assert editor.problem().startswith("Body parameters: ")
    assert "promo_cod" in editor.problem()

    editor.wa_parameters_edit.setPlainText("{{ first_name }}\n{{ promo_code }}\n\n")
    assert editor.problem() == ""
    shown = editor.preview_edit.toPlainText()
    assert "Body parameters:\n{{1}} = Asha\n{{2}} = " in shown
    grab(editor, f"template_editor_parameters_{size[0]}x{size[1]}")
    assert clipped_texts(editor) == []
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)
    assert panel.dialog is None
    assert saved_parameters(db, manager, "Offer (WhatsApp)") == (
        "{{ first_name }}",
        "{{ promo_code }}",
    )

    # Changed: the editor shows them as saved, and saves them as changed.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.templates_table.setFocus()
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_Return)
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    assert editor.wa_parameters_edit.toPlainText() == "{{ first_name }}\n{{ promo_code }}"
    editor.wa_parameters_edit.setPlainText("{{ promo_code }}\n{{ clinic_name }}")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)
    assert saved_parameters(db, manager, "Offer (WhatsApp)") == (
        "{{ promo_code }}",
        "{{ clinic_name }}",
    )


def test_every_variant_falls_back_on_the_same_templates_in_the_spec():
    a, b, sms, email = (uuid.uuid4() for _ in range(4))
    draft = CampaignDraft(
        name="Three channels",
        channel="whatsapp",
        fallback_channels=["sms", "email"],
        fallback_templates={"sms": sms, "email": email, "whatsapp": a},
        template_a=a,
        template_b=b,
    )

    spec = draft.campaign_spec()

    campaign_service.parse_spec(spec)  # the service takes it as it is
    assert spec["variants"] == {
        "A": {"template": str(a), "fallbacks": [str(sms), str(email)]},
        "B": {"template": str(b), "fallbacks": [str(sms), str(email)]},
    }
    assert draft.channels() == ["whatsapp", "sms", "email"]
    draft.fallback_templates["email"] = None
    assert (draft.refusal(Step.CONTENT) or "").startswith("Choose the E-mail template")


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_budget_takes_a_cost_per_message_for_each_channel_used(
    qtbot, db, manager, branch_info, fresh_settings, size, tmp_path
):
    with_email_consent(db, manager, 30)
    with_sms_consent(db, manager, 40)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    builder = panel.new_campaign(CampaignDraft(name="E-mail free, SMS paid"))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is builder)
    idle(qtbot, builder)
    qtbot.keyClick(builder, Qt.Key.Key_T, ALT)  # &Then
    choose(qtbot, builder.fallback_combos[0], "sms")
    for _step in (Step.AUDIENCE, Step.CONTENT, Step.SCHEDULE, Step.BUDGET):
        next_step(qtbot, builder)
    assert builder.step() == Step.BUDGET
    count = builder.draft.count
    assert count is not None and count.by_channel["email"] and count.by_channel["sms"]
    email, sms = count.by_channel["email"], count.by_channel["sms"]

    # A cost for each channel used, in their order; none for a channel not used.
    shown = [label.text() for label in builder.cost_labels if label.isVisible()]
    assert shown == ["Cost per &E-mail Rs.", "Cost per &SMS Rs."]
    assert not builder.cost_edits[2].isVisible()
    qtbot.keyClick(builder, Qt.Key.Key_S, ALT)
    assert builder.focusWidget() is builder.cost_edits[1]
    qtbot.keyClicks(builder.cost_edits[1], "0.25")
    qtbot.keyClick(builder, Qt.Key.Key_E, ALT)
    assert builder.focusWidget() is builder.cost_edits[0]
    qtbot.keyClicks(builder.cost_edits[0], "0")
    expected = Decimal("0.25") * sms
    assert builder.estimate_label.text() == (
        f"If launched now: about Rs.{expected:,.2f} for {email + sms:,} messages "
        f"({email:,} by E-mail at Rs.0.00, {sms:,} by SMS at Rs.0.25). The hold-out gets none."
    )
    qtbot.keyClick(builder, Qt.Key.Key_U, ALT)  # B&udget: less than the SMS cost
    qtbot.keyClicks(builder.budget_edit, "1")
    next_step(qtbot, builder)
    assert builder.step() == Step.BUDGET
    assert builder.message().startswith(f"The messages would cost about Rs.{expected:,.2f}")
    qtbot.keyClicks(builder.budget_edit, "000")  # Rs.1,000
    grab(builder, f"builder_budget_{size[0]}x{size[1]}")
    assert clipped_texts(builder) == []
    next_step(qtbot, builder)
    assert builder.step() == Step.REVIEW
    assert f"Budget Rs.1,000.00; about Rs.{expected:,.2f} for" in builder.review_text()
    grab(builder, f"builder_budget_review_{size[0]}x{size[1]}")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(builder, Qt.Key.Key_Return, CTRL)  # Create
    idle(qtbot, panel)

    # Saved as `campaign create --json-file` saves {"email": "0", "sms": "0.25"}: paise each.
    campaign_id = panel.selected_campaign().id
    with db.session(write=False) as session:
        assert session.get(Campaign, campaign_id).cost_per_message == {"email": 0, "sms": 25}
    launch = campaign_service.launch_campaign(db, manager, campaign_id, today=TODAY, now=NOW)
    assert launch.cost == sms * 25  # the builder's estimate, in paise
    channel_settings.save_channel(
        db, manager, "preview", channel_settings.PreviewSettings(str(tmp_path)), now=NOW
    )
    for channel in ("email", "sms"):
        channel_settings.save_channel(db, manager, channel, None, mode="preview", now=NOW)
    send_due(db, manager, NOW + timedelta(minutes=1))
    results = campaign_service.campaign_results(db, manager, campaign_id)
    by = {c.variant: c for c in results.by_channel}
    assert by["sms"].sent and by["email"].sent
    assert (by["email"].cost, by["sms"].cost) == (0, by["sms"].sent * 25)
    assert results.total.cost == by["sms"].sent * 25


def test_the_draft_costs_each_channel_at_its_own_price_as_campaign_create_takes_it():
    draft = CampaignDraft(
        name="Three channels",
        channel="whatsapp",
        fallback_channels=["sms", "email"],
        template_a=uuid.uuid4(),
        holdout_percent=10,
        costs={"whatsapp": "0.80", "sms": "0.25", "email": "", "preview": "9"},
    )
    draft.count = AudienceCount(
        "whatsapp+sms+email", 400, 300, {}, {"whatsapp": 100, "sms": 150, "email": 50}
    )

    spec = draft.campaign_spec()

    campaign_service.parse_spec(spec)  # what `campaign create --json-file` takes
    assert spec["cost_per_message"] == {"whatsapp": "0.80", "sms": "0.25", "email": "0"}
    assert draft.messages_by_channel() == {"whatsapp": 90, "sms": 135, "email": 45}
    assert draft.estimated_cost() == Decimal("0.80") * 90 + Decimal("0.25") * 135
    draft.costs["sms"] = "a quarter"
    assert draft.refusal(Step.BUDGET) == (
        "Cost per SMS message: type an amount in rupees, like 0.20."
    )
    assert draft.estimated_cost() is None
