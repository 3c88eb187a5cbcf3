"""`frontdesk callback settings`: SLAs, call attempts, the retry delay and the branch's
opening hours, shown or changed (manager)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from cli import common
from domain.callbacks import CallbackSettings, Category
from domain.errors import BadInput
from domain.opening_hours import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    OpeningHours,
    OpeningHoursError,
    hours_to_json,
    parse_day,
)
from services import callbacks


def register(callback_actions: common.Subparsers) -> None:
    settings = callback_actions.add_parser(
        "settings",
        help="show or change SLAs, attempts, retry delay and opening hours",
        description="Show the callback settings; with options, change them (manager). SLAs and "
        "the retry delay are hours of opening time.",
    )
    settings.add_argument(
        "--sla",
        action="append",
        default=[],
        metavar="CATEGORY=HOURS",
        help="an SLA, e.g. urgent=1 or high=4 (repeat for each category to change)",
    )
    settings.add_argument("--attempts", type=int, help="call attempts before unreachable")
    settings.add_argument("--retry-hours", type=float, help="wait after no answer, in hours")
    settings.add_argument(
        "--hours",
        action="append",
        default=[],
        metavar="DAY=HH:MM-HH:MM",
        help="a day's opening hours, e.g. mon=10:00-20:00 or sun=closed (repeat per day)",
    )
    settings.add_argument("--json", action="store_true", help="print the settings as JSON")
    settings.set_defaults(handler=cmd_settings, field_option=_field_option)


def _field_option(field: str) -> str:
    """The option to fix for a refused setting ("sla_high" -> "--sla high")."""
    if field.startswith("sla_"):
        return f"--sla {field.removeprefix('sla_')}"
    if field.startswith("hours_"):
        return f"--hours {field.removeprefix('hours_')}"
    return {"max_attempts": "--attempts", "retry_minutes": "--retry-hours"}.get(field, "--hours")


def _hours_number(minutes: int) -> float | int:
    hours = minutes / 60
    return int(hours) if hours.is_integer() else round(hours, 2)


def _settings_json(config: callbacks.CallbackConfig) -> dict[str, Any]:
    return {
        "timezone": config.timezone,
        "sla_hours": {
            category.value: _hours_number(minutes)
            for category, minutes in config.settings.sla_minutes.items()
        },
        "max_attempts": config.settings.max_attempts,
        "retry_hours": _hours_number(config.settings.retry_minutes),
        "opening_hours": hours_to_json(config.hours),
    }


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"{option} '{text}': write it as NAME=VALUE ({option}).")
        pairs.append((key.strip().lower(), value.strip()))
    return pairs


def _wanted(
    args: argparse.Namespace, current: callbacks.CallbackConfig
) -> tuple[CallbackSettings, OpeningHours]:
    sla = dict(current.settings.sla_minutes)
    for key, value in _pairs(args.sla, "--sla"):
        try:
            category = Category(key)
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise BadInput(f"'{key}' is not a category; use {known} (--sla).") from None
        try:
            sla[category] = round(float(value) * 60)
        except ValueError:
            raise BadInput(f"'{value}' is not a number of hours (--sla {key}).") from None
    days = list(current.hours.days)
    for key, value in _pairs(args.hours, "--hours"):
        names = [name.lower() for name in WEEKDAY_NAMES]
        if key not in WEEKDAYS and key not in names:
            raise BadInput(f"'{key}' is not a day; use mon, tue, ... sun (--hours).")
        index = WEEKDAYS.index(key) if key in WEEKDAYS else names.index(key)
        try:
            days[index] = parse_day(value, WEEKDAY_NAMES[index])
        except OpeningHoursError as exc:
            # The day's own field ("hours") does not say which --hours to fix.
            raise BadInput(f"{exc} (--hours {WEEKDAYS[index]}).") from exc
    settings = replace(
        current.settings,
        sla_minutes=sla,
        max_attempts=current.settings.max_attempts if args.attempts is None else args.attempts,
        retry_minutes=current.settings.retry_minutes
        if args.retry_hours is None
        else round(args.retry_hours * 60),
    )
    return settings, OpeningHours(tuple(days))


def cmd_settings(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        config = callbacks.get_config(db)
        changing = bool(args.sla or args.hours) or (args.attempts, args.retry_hours) != (None,) * 2
        if changing:
            settings, hours = _wanted(args, config)
            config = callbacks.update_config(db, user, settings, hours, now=common.now())
        data = _settings_json(config)
        if args.json:
            common.print_json(data)
            return
        if changing:
            print("Saved the callback settings.")
        slas = ", ".join(f"{name} {value} h" for name, value in data["sla_hours"].items())
        print(f"SLA (hours of opening time): {slas}")
        print(f"Attempts before unreachable: {data['max_attempts']}")
        print(f"Retry after no answer: {data['retry_hours']} h")
        print(f"Opening hours ({config.timezone}):")
        for name, day in zip(WEEKDAY_NAMES, data["opening_hours"].values(), strict=True):
            print(f"  {name:<10} {day}")
