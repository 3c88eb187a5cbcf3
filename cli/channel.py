"""`frontdesk channel set|show|test|rules`: how campaign messages leave (issue #16). Secrets
(the SMTP password, the SMS provider's password or key, the WhatsApp token) go to the OS
keyring, from $FRONTDESK_CHANNEL_SECRET or a prompt (--secret), never on the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import asdict, replace
from datetime import time
from typing import Any

from cli import common
from domain.errors import BadInput, Refused
from domain.permissions import require
from domain.send_gate import SendingRules
from services import channel_settings as cs
from services.channels.base import ChannelFailure, OutgoingMessage
from services.channels.email import SECURITY
from services.channels.sms import PROVIDERS

SECRET_VARIABLE = "FRONTDESK_CHANNEL_SECRET"
_OPTIONS = {
    "host": "--host",
    "port": "--port",
    "security": "--security",
    "sender": "--sender",
    "ca_file": "--ca-file",
    "provider": "--provider",
    "url": "--url",
    "account": "--account",
    "header": "--header",
    "principal_entity_id": "--entity-id",
    "base_url": "--url",
    "phone_number_id": "--phone-number-id",
    "mode": "--mode",
    "cap_messages": "--cap",
    "cap_days": "--cap-days",
    "windows": "--window",
}


def _field_option(field: str) -> str:
    return _OPTIONS.get(field, f"--{field.replace('_', '-')}")


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "channel",
        help="how campaign messages leave: e-mail, SMS, WhatsApp, the preview folder",
        description="Set up, show and test the channels campaign messages leave by "
        "(manager). Secrets go to the OS keyring.",
    )
    set_ = sub.add_parser("set", help="change one channel's settings or mode")
    kinds = set_.add_subparsers(dest="channel", metavar="CHANNEL", required=True)

    def common_options(parser: argparse.ArgumentParser, secret: str | None) -> None:
        parser.add_argument("--mode", choices=cs.MODES, help="off, live, or preview (a folder)")
        if secret:
            parser.add_argument(
                "--secret",
                action="store_true",
                help=f"store a new {secret} (from ${SECRET_VARIABLE} or a prompt)",
            )
        parser.set_defaults(handler=cmd_set, field_option=_field_option)

    email = kinds.add_parser("email", help="the SMTP server")
    email.add_argument("--host")
    email.add_argument("--port", type=int)
    email.add_argument("--security", choices=SECURITY, help="starttls (587), tls (465), plain")
    email.add_argument("--username")
    email.add_argument("--sender", help="the From address")
    email.add_argument("--sender-name", help="the From name, like 'Glow Clinic'")
    email.add_argument("--ca-file", help="a CA certificate to trust (a clinic's own relay)")
    common_options(email, "SMTP password")

    sms = kinds.add_parser("sms", help="the SMS provider and the DLT registration")
    sms.add_argument("--provider", choices=PROVIDERS)
    sms.add_argument("--url", help="the provider's API URL")
    sms.add_argument("--account", help="the provider's user id")
    sms.add_argument("--header", help="the DLT header (sender id), like GLOWCL")
    sms.add_argument("--entity-id", dest="principal_entity_id", help="the DLT principal entity id")
    common_options(sms, "password or API key")

    whatsapp = kinds.add_parser("whatsapp", help="the WhatsApp Business Cloud API")
    whatsapp.add_argument("--url", dest="base_url", help="default https://graph.facebook.com")
    whatsapp.add_argument("--version", help="the Graph API version, like v21.0")
    whatsapp.add_argument("--phone-number-id", help="the sending number's id")
    common_options(whatsapp, "access token")

    preview = kinds.add_parser("preview", help="the folder preview messages are written to")
    preview.add_argument("--folder", help="default: sent-messages/ beside the database")
    common_options(preview, None)

    show = sub.add_parser("show", help="every channel's settings and mode (no secrets)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    test = sub.add_parser("test", help="send one test message through a channel now")
    test.add_argument("channel", choices=cs.CHANNELS)
    test.add_argument("--to", required=True, help="an e-mail address or a mobile, +91...")
    test.add_argument("--text", default="A test message from Frontdesk.")
    test.add_argument("--dlt-template-id", help="SMS: the registered template the text matches")
    test.add_argument("--whatsapp-template", default="hello_world", help="an approved template")
    test.set_defaults(handler=cmd_test)

    rules = sub.add_parser(
        "rules",
        help="show or change the frequency cap and the promotional windows",
        description="Show the sending rules; with options, change them (manager). SMS keeps "
        "TRAI's 10:00-21:00 India time.",
    )
    rules.add_argument("--cap", type=int, help="promotional messages per patient (default 2)")
    rules.add_argument("--cap-days", type=int, help="...in this many days (default 7)")
    rules.add_argument(
        "--window",
        action="append",
        default=[],
        metavar="CHANNEL=HH:MM-HH:MM",
        help="email or whatsapp's promotional window, e.g. email=09:00-20:00, or email=none",
    )
    rules.add_argument("--json", action="store_true")
    rules.set_defaults(handler=cmd_rules, field_option=_field_option)


def _secret(args: argparse.Namespace) -> str | None:
    if not getattr(args, "secret", False):
        return None
    value = os.environ.get(SECRET_VARIABLE)
    if value is None:
        if not sys.stdin.isatty():
            raise Refused(f"Set {SECRET_VARIABLE} or run from a terminal to type the secret.")
        value = getpass.getpass(f"The {args.channel} secret: ")
    return value


def cmd_set(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        current = cs.channel_settings(db)
        part = getattr(current, args.channel)
        given = {
            key: getattr(args, key) for key in asdict(part) if getattr(args, key, None) is not None
        }
        saved = cs.save_channel(
            db,
            user,
            args.channel,
            replace(part, **given) if given else None,
            mode=args.mode,
            secret_value=_secret(args),
            now=common.now(),
        )
    print(f"{args.channel}: {saved.mode(args.channel)}")


def _show_json(settings: cs.ChannelSettings) -> dict[str, Any]:
    data = asdict(settings)
    data.pop("modes")
    return {name: {"mode": settings.mode(name), **value} for name, value in data.items()}


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        settings = cs.channel_settings(db)
        folder = cs.preview_folder(db, settings)
    shown = _show_json(settings)
    shown["preview"]["folder"] = str(folder)
    if args.json:
        common.print_json(shown)
        return
    for name, value in shown.items():
        details = ", ".join(f"{k}={v}" for k, v in value.items() if k != "mode" and v != "")
        print(f"{name:9} {value['mode']:8} {details}")


def cmd_test(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        require(user.role, "campaign.manage")
        channel = cs.open_channel(db, args.channel)
    if channel is None:
        raise Refused(f"{args.channel} is off: `frontdesk channel set {args.channel} --mode live`.")
    payload: dict[str, Any] = {}
    if args.channel == "sms":
        if not args.dlt_template_id:
            raise BadInput("An SMS test needs --dlt-template-id (the text must match it).")
        payload = {"sms_dlt_template_id": args.dlt_template_id}
    if args.channel == "whatsapp":
        payload = {"whatsapp_template_name": args.whatsapp_template, "whatsapp_language": "en_US"}
    message = OutgoingMessage(
        args.to, args.text, subject="Frontdesk test", payload=payload, reference="test"
    )
    try:
        sent = channel.send(message)
    except ChannelFailure as exc:
        raise Refused(f"The test message did not go: {exc}") from exc
    finally:
        channel.close()
    print(f"Sent to {args.to} by {args.channel} (provider id {sent.provider_id or '-'}).")


def _window(text: str) -> tuple[str, tuple[time, time] | None]:
    channel, _, span = text.partition("=")
    if span.strip().lower() == "none":
        return channel.strip(), None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in span.split("-"))
    except ValueError:
        raise BadInput(f"--window {text}: write it like email=09:00-20:00.") from None
    return channel.strip(), (start, end)


def cmd_rules(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rules = cs.sending_rules(db)
        if args.cap is not None or args.cap_days is not None or args.window:
            windows = dict(rules.windows)
            for text in args.window:
                channel, span = _window(text)
                if span is None:
                    windows.pop(channel, None)
                else:
                    windows[channel] = span
            rules = cs.save_sending_rules(
                db,
                user,
                SendingRules(
                    rules.cap_messages if args.cap is None else args.cap,
                    rules.cap_days if args.cap_days is None else args.cap_days,
                    windows,
                ),
                now=common.now(),
            )
    shown = cs.rules_json(rules)
    if args.json:
        common.print_json(shown)
        return
    print(
        f"At most {rules.cap_messages} promotional messages per patient in {rules.cap_days} days."
    )
    print(f"sms       {'-'.join(shown['sms_window'])} India time (TRAI)")
    for channel in ("email", "whatsapp"):
        span = shown["windows"].get(channel)
        print(f"{channel:9} {'-'.join(span) if span else 'any time'}")
