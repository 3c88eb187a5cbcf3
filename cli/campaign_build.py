"""`frontdesk campaign create|list|audience|launch|pause|results|trigger|recommend` and `frontdesk template
add|list|preview` (issue #16, manager): building campaigns and their templates from the
command line, as the Campaigns panel does (services.campaigns)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cli import common
from domain import campaign_lift
from domain.errors import BadInput
from domain.money import format_rupees
from services import documents, patients
from services.campaigns import campaigns, recommendations, templates, triggers


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"Cannot read {path}: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{path} is not JSON: {exc}") from exc


def register(actions: common.Subparsers) -> None:
    """Attach the building actions to the `campaign` command group."""
    create = actions.add_parser(
        "create",
        help="create a draft campaign from a JSON spec",
        description=common.described(
            "Create a draft campaign from a JSON spec: name, variants (name -> template, "
            "share, and fallbacks: templates on further channels, in order, for those the "
            "first cannot reach), holdout_percent, minimum_per_arm, audience (segment, "
            "patients, last_visit_older_than_days, birthday_within_days, visited_item, "
            "spent_more_than, used_promotion), send_at, budget, cost_per_message (one figure, "
            "or by channel), promotion_code, personal_codes, attribution_days."
        ),
    )
    create.add_argument("--json-file", type=Path, required=True, metavar="SPEC.json")
    create.set_defaults(handler=cmd_create)
    listing = actions.add_parser("list", help="campaigns with their status and counts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    for name, text, handler in [
        ("audience", "count the audience: reachable, and who is left out and why", cmd_audience),
        ("launch", "queue the campaign's messages (or resume a paused one)", cmd_launch),
        ("pause", "stop sending the campaign's queued messages", cmd_pause),
        (
            "results",
            "delivery, replies, conversions, revenue, cost, ROI, the A/B test",
            cmd_results,
        ),
    ]:
        action = actions.add_parser(name, help=text, description=common.described(text))
        action.add_argument("id", metavar="ID", help="the campaign's id (or its start) or name")
        action.add_argument("--json", action="store_true")
        action.set_defaults(handler=handler)
    _register_trigger(actions)
    text = "suggestions drawn from the data: who to bring back, whom to ask for consent, ..."
    suggest = actions.add_parser("recommend", help=text, description=common.described(text))
    suggest.add_argument("--json", action="store_true")
    suggest.set_defaults(handler=cmd_recommend)


def _register_trigger(actions: common.Subparsers) -> None:
    text = "add a trigger: an event about a patient that sends a template or adds a callback"
    trigger = actions.add_parser("trigger", help=text, description=common.described(text))
    trigger.add_argument("id", metavar="ID", help="the campaign's id (or its start) or name")
    trigger.add_argument("--kind", required=True, choices=triggers.KINDS)
    trigger.add_argument("--action", required=True, choices=triggers.ACTIONS)
    trigger.add_argument(
        "--template",
        help="the template to send (send_template); one of the campaign's sends its message as "
        "the launch does (its channels in order, its A/B split)",
    )
    trigger.add_argument("--delay", type=int, default=0, metavar="MINUTES")
    trigger.add_argument(
        "--days", type=int, help="no_visit_days: days; promotion_expiring: days before its end"
    )
    trigger.add_argument(
        "--promotion", metavar="CODE", help="promotion_expiring: the promotion's code"
    )
    trigger.set_defaults(handler=cmd_trigger)


def cmd_recommend(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        found = recommendations.recommend(db, user, today=common.today(db), now=common.now())
    if args.json:
        common.print_json([{"rule": r.rule, "count": r.count, "text": r.sentence} for r in found])
    else:
        print("\n".join(r.sentence for r in found) or "Nothing to suggest today.")


def cmd_trigger(args: argparse.Namespace) -> None:
    conditions: dict[str, Any] = {}
    if args.days is not None:
        conditions["days"] = args.days
    if args.promotion:
        conditions["promotion_code"] = args.promotion
    spec = triggers.TriggerSpec(args.kind, args.action, args.template, args.delay, conditions)
    with common.signed_in(args) as (db, user):
        campaign_id = campaigns.find_campaign(db, args.id)
        print(triggers.add_trigger(db, user, campaign_id, spec, now=common.now()))


def register_templates(commands: common.Subparsers) -> None:
    """`frontdesk template ...`."""
    actions = common.add_group(
        commands,
        "template",
        help="campaign message templates",
        description="The template library of campaign messages (manager).",
    )
    add = actions.add_parser(
        "add",
        help="add a template from a JSON spec",
        description=common.described(
            "Add a template: name, category, channel (email, sms, whatsapp, preview), purpose "
            "(promotional, service), subject (e-mail), body with tags such as "
            "{{ first_name }}; for SMS sms_dlt_template_id, sms_header, "
            "sms_principal_entity_id, sms_registered_text; for WhatsApp "
            "whatsapp_template_name, whatsapp_language and whatsapp_body_parameters (the "
            "approved template's {{1}}, {{2}}, ... in order, each a text with tags)."
        ),
    )
    add.add_argument("--json-file", type=Path, required=True, metavar="SPEC.json")
    add.set_defaults(handler=cmd_template_add)
    listing = actions.add_parser("list", help="the library")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_template_list)
    preview = actions.add_parser("preview", help="a template as a patient would receive it")
    preview.add_argument("id", metavar="TEMPLATE", help="the template's id (or its start) or name")
    preview.add_argument(
        "--patient", metavar="MOBILE", help="a patient's mobile (default: a sample)"
    )
    preview.add_argument("--json", action="store_true")
    preview.set_defaults(handler=cmd_template_preview)


def cmd_create(args: argparse.Namespace) -> None:
    spec = campaigns.parse_spec(_json_file(args.json_file))
    with common.signed_in(args) as (db, user):
        campaign_id = campaigns.create_campaign(db, user, spec, now=common.now())
    print(campaign_id)


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = campaigns.list_campaigns(db, user)
    common.print_rows(
        [
            {
                "id": str(r.id),
                "name": r.name,
                "status": r.status,
                "channel": r.channel,
                "queued": r.queued,
                "sent": r.sent,
                "converted": r.conversions,
                "head_office": r.head_office,
            }
            for r in rows
        ],
        as_json=args.json,
        empty="No campaigns yet.",
    )


def cmd_audience(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        campaign_id = campaigns.find_campaign(db, args.id)
        count = campaigns.audience_of(
            db, user, campaign_id, today=common.today(db), now=common.now()
        )
    if args.json:
        common.print_json(
            {
                "channel": count.channel,
                "matching": count.matching,
                "reachable": count.reachable,
                "by_channel": count.by_channel,
                "left_out": count.left_out,
            }
        )
    else:
        print(count.sentence())


def cmd_launch(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        campaign_id = campaigns.find_campaign(db, args.id)
        launched = campaigns.launch_campaign(
            db, user, campaign_id, today=common.today(db), now=common.now()
        )
    if args.json:
        common.print_json(
            {
                "queued": launched.queued,
                "held_out": launched.held_out,
                "already_queued": launched.already,
                "cost": documents.rupees(launched.cost),
            }
        )
    else:
        print(
            f"Queued {launched.queued:,} messages ({format_rupees(launched.cost)}); "
            f"{launched.held_out:,} in the hold-out group get nothing."
        )


def cmd_pause(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        campaigns.pause_campaign(db, user, campaigns.find_campaign(db, args.id), now=common.now())
    print("Paused: its queued messages wait until it is launched again.")


def _arm(arm: campaigns.ArmResult) -> dict[str, Any]:
    return {
        "variant": arm.variant,
        "recipients": arm.recipients,
        "messages": arm.messages,
        "sent": arm.sent,
        "delivered": arm.delivered,
        "failed": arm.failed,
        "replied": arm.replied,
        "opted_out": arm.opted_out,
        "conversions": arm.conversions,
        "conversion_rate": round(arm.rate(arm.conversions), 4),
        "delivery_rate": round(arm.message_rate(arm.delivered), 4),
        "failure_rate": round(arm.message_rate(arm.failed), 4),
        "revenue": documents.rupees(arm.revenue),
        "cost": documents.rupees(arm.cost),
    }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _incremental(lift: campaign_lift.Lift | None) -> dict[str, Any] | None:
    """The lift over the hold-out (services.campaigns rule 6), None without a hold-out."""
    if lift is None:
        return None
    return {
        "messaged": lift.messaged.recipients,
        "messaged_conversions": lift.messaged.conversions,
        "messaged_conversion_rate": round(lift.messaged.rate, 4),
        "messaged_revenue": documents.rupees(lift.messaged.revenue),
        "holdout": lift.holdout.recipients,
        "holdout_conversions": lift.holdout.conversions,
        "holdout_conversion_rate": round(lift.holdout.rate, 4),
        "holdout_revenue": documents.rupees(lift.holdout.revenue),
        "expected_conversions": round(lift.expected_conversions, 2),
        "conversions": round(lift.incremental_conversions, 2),
        "revenue": documents.rupees(lift.incremental_revenue),
        "cost": documents.rupees(lift.cost),
        "roi": _ratio(lift.incremental_roi),
        "relative_lift": _ratio(lift.relative_lift),
        "p_value": round(lift.test.p_value, 6),
        "measurable": lift.measurable,
    }


def cmd_results(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        results = campaigns.campaign_results(db, user, campaigns.find_campaign(db, args.id))
    decision = results.decision
    total = results.total
    data = {
        "id": str(results.campaign_id),
        "name": results.name,
        "status": results.status,
        "channel": results.channel,
        "total": _arm(total),
        "roi": _ratio(results.roi),
        "attributed": {
            "conversions": total.conversions,
            "revenue": documents.rupees(total.revenue),
            "cost": documents.rupees(total.cost),
            "roi": _ratio(results.roi),
        },
        "incremental": _incremental(results.lift),
        "lift": results.lift_sentence(),
        "budget_stopped_trigger_messages": results.budget_stopped,
        "variants": [_arm(arm) for arm in results.arms],
        "channels": [
            {"channel": arm.variant} | {k: v for k, v in _arm(arm).items() if k != "variant"}
            for arm in results.by_channel
        ],
        "by_day": [
            {
                "day": day.day.isoformat(),
                "sent": day.sent,
                "delivered": day.delivered,
                "failed": day.failed,
                "conversions": day.conversions,
            }
            for day in results.by_day
        ],
        "ab_test": None
        if decision is None
        else {
            "winner": decision.winner,
            "reason": decision.reason,
            "p_value": None if decision.test is None else round(decision.test.p_value, 6),
        },
    }
    if args.json:
        common.print_json(data)
        return
    print(f"{results.name} ({results.status}, {results.channel})")
    if results.budget_stopped:
        print(f"The budget stopped {results.budget_stopped:,} trigger messages.")
    common.print_table([_arm(arm) for arm in results.arms])
    roi = "n/a" if results.roi is None else f"{results.roi:,.0%}"
    lift = results.lift
    incremental = (
        "n/a" if lift is None or lift.incremental_roi is None else f"{lift.incremental_roi:,.0%}"
    )
    print(f"ROI attributed {roi}, incremental {incremental}. {results.lift_sentence()}")
    if decision is not None:
        print(decision.reason)


def cmd_template_add(args: argparse.Namespace) -> None:
    spec = templates.parse_spec(_json_file(args.json_file))
    with common.signed_in(args) as (db, user):
        print(templates.add_template(db, user, spec, now=common.now()))


def cmd_template_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = templates.list_templates(db, user)
    common.print_rows(
        [
            {
                "id": str(r.id),
                "name": r.name,
                "category": r.category,
                "channel": r.channel,
                "purpose": r.purpose,
                "head_office": r.head_office,
            }
            for r in rows
        ],
        as_json=args.json,
        empty="The library is empty.",
    )


def cmd_template_preview(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        template_id = templates.find_template(db, args.id)
        patient_id = None if args.patient is None else patients.resolve_patient(db, args.patient).id
        shown = templates.preview(
            db, user, template_id, patient_id=patient_id, today=common.today(db)
        )
    sms = shown.sms
    if args.json:
        common.print_json(
            {
                "name": shown.name,
                "channel": shown.channel,
                "subject": shown.subject,
                "text": shown.text,
                "sms": None
                if sms is None
                else {"encoding": sms.encoding, "characters": sms.units, "parts": sms.parts},
                "dlt_match": shown.dlt_ok,
                "whatsapp_parameters": list(shown.whatsapp_parameters),
            }
        )
        return
    if shown.subject:
        print(f"Subject: {shown.subject}")
    print(shown.text)
    if sms is not None:
        print(f"\n{sms.units} characters, {sms.encoding}, {sms.parts} part(s).", end="")
        print(
            ""
            if shown.dlt_ok is None
            else f" DLT: {'matches' if shown.dlt_ok else 'DOES NOT MATCH'}."
        )
