"""Where this installation keeps its data and logs (per user, via platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path, user_log_path

APP_NAME = "Frontdesk"


def default_db_path() -> Path:
    """$FRONTDESK_DB if set, else frontdesk.db in the user's data folder."""
    override = os.environ.get("FRONTDESK_DB")
    if override:
        return Path(override)
    return user_data_path(APP_NAME, appauthor=False) / "frontdesk.db"


def log_dir() -> Path:
    """$FRONTDESK_LOG_DIR if set, else the user's log folder for Frontdesk."""
    override = os.environ.get("FRONTDESK_LOG_DIR")
    if override:
        return Path(override)
    return user_log_path(APP_NAME, appauthor=False)
