"""The Campaigns panel's tables: the campaigns at a glance and the template library. Each
holds the rows of its last read; the panel reads them in the background."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.campaigns.draft import channel_short, channel_text
from desktop.models.promotion_models import Column, RowsModel, status_text
from domain.money import group_indian
from services.campaigns.campaigns import CampaignRow
from services.campaigns.templates import TemplateRow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

_STATUS_COLOURS = {
    "draft": "#52606d",
    "scheduled": "#52606d",
    "running": "#0b5c55",
    "paused": "#8a5a00",
    "completed": "#1f2933",
}


class CampaignsModel(RowsModel[CampaignRow]):
    """Every campaign, newest first: status, channel, audience, sent, converted.

    A draft's audience is its live count (read after the list, `set_audience`)."""

    columns = (
        Column[CampaignRow](
            "Campaign",
            lambda r: campaign_title(r),
            tooltip=lambda r: f"{r.name}: {HEAD_OFFICE_CAMPAIGN}" if r.head_office else r.name,
        ),
        Column[CampaignRow]("Status", lambda r: status_text(r.status)),
        Column[CampaignRow](
            "Channel", lambda r: channel_short(r.channel), tooltip=lambda r: channel_text(r.channel)
        ),
        Column[CampaignRow]("Audience", lambda r: "", _RIGHT),
        Column[CampaignRow]("Sent", lambda r: group_indian(r.sent), _RIGHT),
        Column[CampaignRow]("Converted", lambda r: group_indian(r.conversions), _RIGHT),
    )
    STATUS, AUDIENCE = 1, 3

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: str(r.id), parent)
        self._audience: dict[uuid.UUID, int] = {}
        self.columns = (
            *CampaignsModel.columns[:3],
            Column[CampaignRow](
                "Audience",
                self.audience_text,
                _RIGHT,
                tooltip=lambda r: (
                    "Patients who can be reached now (not launched yet)"
                    if r.recipients == 0
                    else "Patients the campaign made a message for, each once however many "
                    "messages (a trigger's too), the hold-out group included"
                ),
            ),
            *CampaignsModel.columns[4:],
        )

    def audience_text(self, row: CampaignRow) -> str:
        if row.recipients:
            return group_indian(row.recipients)
        if row.id in self._audience:
            return group_indian(self._audience[row.id])
        return "-"

    def set_audience(self, counts: dict[uuid.UUID, int]) -> None:
        """The live counts of the campaigns not launched yet."""
        self._audience = dict(counts)
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, self.AUDIENCE), self.index(self.rowCount() - 1, self.AUDIENCE)
            )

    def foreground(self, row: CampaignRow, column: int) -> QColor | None:
        if column == self.STATUS and row.status in _STATUS_COLOURS:
            return QColor(_STATUS_COLOURS[row.status])
        return None


HEAD_OFFICE_CAMPAIGN = (
    "head office manages this campaign for every branch; this branch launches and pauses it "
    "for its own patients."
)


def campaign_title(row: CampaignRow) -> str:
    """'Win-back', or 'Win-back (head office)' for one received from the centre."""
    return f"{row.name} (head office)" if row.head_office else row.name


HEAD_OFFICE_TEMPLATE = (
    "Head office manages this template for every branch: Copy makes one of this branch's own."
)


def template_title(row: TemplateRow) -> str:
    """'Win-back SMS', or 'Win-back SMS (head office)' for one received from the centre."""
    return f"{row.name} (head office)" if row.head_office else row.name


class TemplatesModel(RowsModel[TemplateRow]):
    """The template library by category and name."""

    columns = (
        Column[TemplateRow]("Template", lambda r: template_title(r), tooltip=lambda r: r.name),
        Column[TemplateRow]("Category", lambda r: r.category),
        Column[TemplateRow]("Channel", lambda r: channel_text(r.channel)),
        Column[TemplateRow]("Purpose", lambda r: status_text(r.purpose)),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: str(r.id), parent)
