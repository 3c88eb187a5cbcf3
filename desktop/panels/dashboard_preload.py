"""Importing the dashboard's heavy modules off the UI thread, before the dashboard opens.

The dashboard stands on numpy (its figures) and pyqtgraph (its charts): about a second to
import on a cold start. `preload` imports them and is meant for a thread-pool worker, for
example once a manager has signed in::

    QThreadPool.globalInstance().start(dashboard_preload.preload)

Importing this module itself costs nothing. The dashboard panel calls `preload` in a worker
too when it opens, so without the call above it still never freezes the window for the
chart libraries; it does import numpy on the UI thread when the main window first asks for it.
"""

from __future__ import annotations

import importlib

# The panel (numpy, through its services), then its charts (pyqtgraph); then the
# Campaigns panel (its services and their channels' HTTP client) and its results' charts,
# also a manager's, and Settings' Channels tab (the same client), built as Settings opens.
DASHBOARD_MODULES = (
    "desktop.panels.dashboard",
    "desktop.panels.dashboard_charts",
    "desktop.panels.campaigns",
    "desktop.panels.campaign_results",
    "desktop.panels.channel_settings",
)


def preload() -> None:
    """Import the dashboard and its charts; safe to call from any thread, any number of times."""
    for name in DASHBOARD_MODULES:
        importlib.import_module(name)
