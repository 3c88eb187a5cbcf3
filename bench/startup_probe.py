"""One start-up, as a person sees it: run the app, sign in, show the main window, then quit.

Run by bench/startup.py in a child process with FRONTDESK_AUTOLOGIN set. Prints
"READY <seconds since this module started>" once the main window has been shown and the
pending events (layout, first paint) processed, then the heavy modules that got imported.
"""

import time

STARTED = time.perf_counter()

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

# Modules that are slow to import and that start-up does not need.
HEAVY_MODULES = ("pyqtgraph", "reportlab", "escpos", "matplotlib", "pandas", "numpy")


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.app import run_gui

    def ready(window: object) -> None:
        QApplication.processEvents()
        print(f"READY {time.perf_counter() - STARTED:.4f}", flush=True)
        heavy = sorted(name for name in HEAVY_MODULES if name in sys.modules)
        print(f"HEAVY {','.join(heavy)}", flush=True)
        QApplication.quit()

    return run_gui(Path(sys.argv[1]), on_ready=ready)


if __name__ == "__main__":
    sys.exit(main())
