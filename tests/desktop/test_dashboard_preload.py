"""The manager's preload imports the dashboard's modules off the UI thread, and only while
the UI thread is free: an import beside a panel being built slows the panel down."""

from __future__ import annotations

import sys
import time

import pytest

from desktop.panels import dashboard_preload
from desktop.panels.dashboard_preload import UiBeat, preload_politely


@pytest.fixture
def probe_module(tmp_path, monkeypatch) -> str:
    """A module nobody has imported yet, as the only one the preload imports."""
    (tmp_path / "frontdesk_preload_probe.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(dashboard_preload, "DASHBOARD_MODULES", ("frontdesk_preload_probe",))
    yield "frontdesk_preload_probe"
    sys.modules.pop("frontdesk_preload_probe", None)


def test_the_preload_waits_while_the_ui_thread_is_busy_then_imports(
    qapp, probe_module, monkeypatch
):
    beat = UiBeat()
    beat.last = time.monotonic() - 60  # the UI thread has not been back for a minute
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            beat.last = time.monotonic() + 60  # ... and now it is free

    monkeypatch.setattr(dashboard_preload.time, "sleep", sleep)
    preload_politely(beat)

    assert len(waits) == 3
    assert sys.modules[probe_module].LOADED


def test_the_preload_does_not_wait_on_a_free_ui_thread(qapp, probe_module, monkeypatch):
    beat = UiBeat()
    beat.last = time.monotonic() + 60  # just back in its event loop, whatever this machine's load
    waits = []
    monkeypatch.setattr(dashboard_preload.time, "sleep", waits.append)

    preload_politely(beat)

    assert waits == []
    assert probe_module in sys.modules
    assert not any(isinstance(f, dashboard_preload._WaitForUi) for f in sys.meta_path)
