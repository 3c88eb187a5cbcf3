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
import sys
import threading
import time
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from PySide6.QtCore import QObject, Qt, QTimer

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


# The UI thread ticks every BEAT_MS while it waits for events; a beat older than BUSY_S means
# it is busy (opening a panel, painting), and the polite preload waits for it.
BEAT_MS = 10
BUSY_S = 0.03
_WAIT_S = 0.005
# The longest one wait lasts. The UI thread may be busy because it waits for a module this
# thread is importing (its import lock): then the preload goes on, and waits again only
# once the UI thread has come back to its event loop.
_MAX_WAIT_S = 0.15


class UiBeat(QObject):
    """A timer on the UI thread that notes when it last found the thread free."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        self.last = time.monotonic()

    def busy(self) -> bool:
        """True while the UI thread has not come back to its event loop for a while."""
        return time.monotonic() - self.last > BUSY_S


class _WaitForUi:
    """A meta path finder that finds nothing: before each module the preload's thread
    imports, it waits while the UI thread is busy. Other threads pass straight through."""

    def __init__(self, beat: UiBeat) -> None:
        self._beat = beat
        self._thread = threading.get_ident()
        self._gave_up_at: float | None = None

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if threading.get_ident() != self._thread:
            return None
        if self._gave_up_at is not None:
            if self._beat.last <= self._gave_up_at:
                return None  # the UI thread has not come back since the last wait ran out
            self._gave_up_at = None
        give_up = time.monotonic() + _MAX_WAIT_S
        while self._beat.busy():
            if time.monotonic() > give_up:
                self._gave_up_at = self._beat.last
                break
            time.sleep(_WAIT_S)  # lets go of the GIL: the UI thread runs alone
        return None


def preload_politely(beat: UiBeat) -> None:
    """`preload`, each module imported only while the UI thread is free (`beat` ticking).

    Imports share the GIL with the UI thread: a preload that ran while a panel was being
    built made that panel take up to twice as long (Promotions held the window ~0.3 s
    instead of ~0.15 s in bench/panel_stall.py). Run it in a worker with `beat.timer`
    running.
    """
    finder = _WaitForUi(beat)
    sys.meta_path.insert(0, finder)
    try:
        preload()
    finally:
        sys.meta_path.remove(finder)
