"""`frontdesk campaign ...`: campaigns (issue #16). The group is made here; each part of the
work attaches its own actions (cli/campaign_send.py: send-due)."""

from __future__ import annotations

from cli import campaign_send, common


def register(commands: common.Subparsers) -> None:
    actions = common.add_group(
        commands,
        "campaign",
        help="campaigns: send what is due",
        description="Campaigns: build, launch and send messages to patients.",
    )
    campaign_send.register(actions)
