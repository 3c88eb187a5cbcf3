"""Database files the command cannot use, each with its own sentence and the folder left as
it was. The commands run as root without the power to ignore file permissions
(`setpriv` drops CAP_DAC_OVERRIDE), so a read-only file is read-only here too."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.cli.test_cli import FRONTDESK, demo_file

__all__ = ["demo_file"]

SETPRIV = shutil.which("setpriv")


def run_without_override(tmp_path, *args):
    env = {**os.environ, "FRONTDESK_LOG_DIR": str(tmp_path / "logs"), "FRONTDESK_PIN": "1111"}
    return subprocess.run(
        [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", str(FRONTDESK), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def clinic_copy(demo_file, tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    path = folder / "frontdesk.db"
    shutil.copyfile(demo_file, path)
    return path


@pytest.mark.parametrize(
    ("file_mode", "folder_mode", "says"),
    [
        (0o444, 0o755, "can only be read, and Frontdesk needs to write to it"),
        (0o644, 0o555, "cannot write in the folder"),
        (0o000, 0o755, "cannot read"),
    ],
)
def test_a_file_or_folder_frontdesk_may_not_use_is_named_and_left_as_it_was(
    clinic_copy, tmp_path, file_mode, folder_mode, says
):
    assert SETPRIV is not None, "setpriv (util-linux) runs these commands without override"
    folder = clinic_copy.parent
    clinic_copy.chmod(file_mode)
    folder.chmod(folder_mode)
    try:
        before = {p.name for p in folder.iterdir()}
        result = run_without_override(
            tmp_path, "--db", str(clinic_copy), "--user", "priya", "invoice", "list"
        )
    finally:
        folder.chmod(0o755)
        clinic_copy.chmod(0o644)
    assert result.returncode == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert "damaged" not in result.stderr
    assert {p.name for p in folder.iterdir()} == before  # no -wal, -shm or copy


def test_the_same_file_with_the_right_permissions_opens(clinic_copy, tmp_path):
    result = run_without_override(
        tmp_path, "--db", str(clinic_copy), "--user", "priya", "invoice", "list", "--json"
    )
    assert result.returncode == 0, result.stderr
