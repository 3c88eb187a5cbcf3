"""The installer's payload: `make package`'s one-folder bundle is built and started.

PyInstaller builds packaging/frontdesk.spec into a temporary folder (a minute or two; part of
`make test`). The bundle is then started offscreen on a new database: it must write the demo
clinic (migrations, the demo's data), sign in, show the main window (Qt's offscreen platform
plugin, the theme's stylesheet, icons and logo from resources/) and print the ready line, and
exit 0. A second start opens the database it wrote. A command-line invoice rendered to PDF
from the bundle proves ReportLab, its barcode modules and the DejaVu fonts came along.
Its size and start times are printed, not asserted (`make bench` reports them).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.package import (
    READY_LINE,
    build_bundle,
    bundle_environment,
    folder_megabytes,
    start_bundle,
)
from desktop.app import READY_LINE as APP_READY_LINE

pytestmark = pytest.mark.package

DEMO_PATIENT_MOBILE = "7992905876"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, float]]:
    """(the bundle's executable, seconds the build took)."""
    folder = tmp_path_factory.mktemp("package")
    began = time.perf_counter()
    executable = build_bundle(folder / "dist", folder / "work")
    yield executable, time.perf_counter() - began


def test_the_bench_waits_for_the_apps_ready_line() -> None:
    assert READY_LINE == APP_READY_LINE


def test_the_bundle_starts_on_a_new_database_and_reaches_the_main_window(
    bundle: tuple[Path, float], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    executable, build_seconds = bundle
    assert executable.is_file()
    internal = executable.parent / "_internal"
    assert (internal / "db" / "migrations" / "env.py").is_file()
    assert not list(internal.glob("**/__pycache__")), "source caches were bundled"
    env = bundle_environment(tmp_path / "config")
    db_path = tmp_path / "clinic" / "frontdesk.db"
    db_path.parent.mkdir()

    first = start_bundle(executable, db_path, env)
    assert first.returncode == 0, first.stderr
    assert first.seconds is not None, f"no ready line:\n{first.stdout}\n{first.stderr}"
    assert db_path.stat().st_size > 0

    again = start_bundle(executable, db_path, env)
    assert again.returncode == 0, again.stderr
    assert again.seconds is not None, f"no ready line:\n{again.stdout}\n{again.stderr}"

    with capsys.disabled():
        print(
            f"\n[package] bundle {folder_megabytes(executable.parent):.0f} MB, "
            f"built in {build_seconds:.0f} s; start to main window "
            f"{first.seconds:.2f} s on a new database (writing the demo), "
            f"{again.seconds:.2f} s on the demo"
        )


def test_the_bundle_writes_an_invoice_pdf_from_the_command_line(
    bundle: tuple[Path, float], tmp_path: Path
) -> None:
    executable, _ = bundle
    env = bundle_environment(tmp_path / "config")
    db_path = tmp_path / "frontdesk.db"
    assert start_bundle(executable, db_path, env).returncode == 0  # the demo clinic
    pdf = tmp_path / "invoice.pdf"
    done = subprocess.run(
        [
            str(executable),
            "--db",
            str(db_path),
            "--user",
            "meera",
            "invoice",
            "create",
            "--patient",
            DEMO_PATIENT_MOBILE,
            "--item",
            "BOTOX50",
            "--pdf",
            str(pdf),
        ],
        env={**env, "FRONTDESK_PIN": "2222"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Lakshmi Shetty" in text
    assert "\u20b9" in text  # the rupee sign: only the bundled DejaVu fonts have it
