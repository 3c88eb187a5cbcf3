"""`frontdesk campaign ...`: campaigns (issue #16). The group is made here; each part of the
work attaches its own actions (cli/campaign_build.py: create, list, audience, launch, pause,
results, and the `template` group; cli/campaign_send.py: send-due)."""

from __future__ import annotations

from cli import campaign_build, campaign_send, common


def register(commands: common.Subparsers) -> None:
    actions = common.add_group(
        commands,
        "campaign",
        help="campaigns: build, launch, send, results",
        description="Campaigns: build, launch and send messages to patients.",
    )
    campaign_build.register(actions)
    campaign_send.register(actions)
    # `frontdesk template ...`: the campaigns' template library.
    campaign_build.register_templates(commands)
