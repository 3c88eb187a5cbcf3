"""Frontdesk's entry point: no arguments opens the app; arguments run a command (cli/)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence
from pathlib import Path

import cli
from domain import log
from services.paths import log_dir


def configure_logging() -> Path | None:
    """Log to a rotating file in the user's log folder; loggers are named by concern
    (frontdesk.db, frontdesk.ui, frontdesk.sync, frontdesk.pdf). A folder or file that
    cannot be written sends the log to standard error instead, with one warning: a log
    never stops the app. Returns the file, or None for standard error."""
    root = log.root
    root.setLevel(logging.INFO)
    if root.handlers:
        return None
    folder = log_dir()
    path = folder / "frontdesk.log"
    handler: logging.Handler
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        print(
            f"frontdesk: warning: cannot write the log at {path} ({exc.strerror}); "
            "warnings go to standard error instead",
            file=sys.stderr,
        )
        result = None
    else:
        result = path
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return result


def launch_gui(db_path: Path, demo: bool = False) -> int:
    # Imported here so command-line runs never load Qt.
    from desktop.app import run_gui

    return run_gui(db_path, demo=demo)


def launch_centre_gui(url: str) -> int:
    from desktop.app import run_centre_gui

    return run_centre_gui(url)


def main(argv: Sequence[str] | None = None) -> int:
    """`frontdesk` console script."""
    configure_logging()
    return cli.main(
        sys.argv[1:] if argv is None else argv,
        launch_gui=launch_gui,
        launch_centre_gui=launch_centre_gui,
    )


if __name__ == "__main__":
    sys.exit(main())
