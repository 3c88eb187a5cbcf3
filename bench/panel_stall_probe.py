"""Each panel opened for the first time, as a manager does it, with a heartbeat on the UI thread.

Run by bench/panel_stall.py in a fresh interpreter (a first open pays for every import it
needs): `python -m bench.panel_stall_probe DB_PATH [--preload]`. The app starts signed in through
FRONTDESK_AUTOLOGIN; once its window is shown, a timer ticks every HEARTBEAT_MS on the UI
thread and each panel of the rail is opened in turn. For each panel it prints

    PANEL <key> <longest gap between two ticks, ms> <ms until the panel was ready>

where the gap is measured from just before the panel is asked for until SETTLE_MS after it
says it is ready (a panel with `is_idle()` is ready when that is true): whatever the UI
thread did in between, building, importing, laying out or painting, shows as a gap.

With `--preload` the probe first does what the app may do after a manager signs in: start
`desktop.panels.dashboard_preload.preload` in the thread pool.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QWidget

HEARTBEAT_MS = 5
SETTLE_MS = 400
# How long the window stays up before the first panel is opened: a person reads it first.
BEFORE_FIRST_MS = 300
GIVE_UP_MS = 30_000


class Heartbeat:
    """A timer on the UI thread that remembers the longest gap between its ticks."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def restart(self) -> None:
        """Forget the gaps so far; the next gap counts from now."""
        self.last = time.perf_counter()
        self.longest = 0.0


def _ready(panel: QWidget) -> bool:
    is_idle: Callable[[], bool] | None = getattr(panel, "is_idle", None)
    return is_idle is None or is_idle()


def measure(window: object, *, preload: bool = False) -> None:
    from desktop.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if preload:
        from desktop.panels import dashboard_preload

        QThreadPool.globalInstance().start(dashboard_preload.preload)
    keys = window.panel_keys()
    heartbeat = Heartbeat()
    heartbeat.timer.start()

    def open_next(index: int) -> None:
        if index == len(keys):
            heartbeat.timer.stop()
            window.close()
            QApplication.quit()
            return
        key = keys[index]
        heartbeat.restart()
        asked = time.perf_counter()
        window.show_panel(key)
        panel = window.panel(key)

        def wait_ready() -> None:
            waited = (time.perf_counter() - asked) * 1000
            if not _ready(panel) and waited < GIVE_UP_MS:
                QTimer.singleShot(10, wait_ready)
                return
            ready_ms = waited

            def report() -> None:
                print(f"PANEL {key} {heartbeat.longest * 1000:.1f} {ready_ms:.0f}", flush=True)
                open_next(index + 1)

            QTimer.singleShot(SETTLE_MS, report)

        QTimer.singleShot(0, wait_ready)

    QTimer.singleShot(BEFORE_FIRST_MS, lambda: open_next(0))


def main() -> int:
    from desktop.app import run_gui

    preload = "--preload" in sys.argv[2:]
    return run_gui(Path(sys.argv[1]), on_ready=lambda window: measure(window, preload=preload))


if __name__ == "__main__":
    sys.exit(main())
