"""Backups and restore through the installed command."""

import json
import shutil
import sqlite3

from tests.cli.test_cli import demo_file, run

__all__ = ["demo_file"]


def test_backup_list_and_restore_from_the_command_line(demo_file, tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))

    taken = json.loads(run(*db, "backup", "now", "--json", tmp_path=tmp_path).stdout)
    assert taken["reason"] == "manual" and (tmp_path / "backups").is_dir()
    assert (
        json.loads(run(*db, "backup", "now", "--if-due", "--json", tmp_path=tmp_path).stdout)
        is None
    )
    listed = json.loads(run(*db, "backup", "list", "--json", tmp_path=tmp_path).stdout)
    assert [b["path"] for b in listed["backups"]] == [taken["path"]]

    # A patient added after the copy; the receptionist may not restore, the admin may.
    con = sqlite3.connect(path)
    con.execute("UPDATE patients SET name = 'Changed After The Backup' WHERE rowid = 1")
    con.commit()
    con.close()
    refused = run(
        *db,
        "--user",
        "priya",
        "restore",
        taken["path"],
        "--yes",
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert refused.returncode == 1 and "admin" in refused.stderr
    no_answer = run(
        *db,
        "--user",
        "admin",
        "restore",
        taken["path"],
        pin="9999",
        tmp_path=tmp_path,
        check=False,
    )
    assert no_answer.returncode == 2 and "--yes" in no_answer.stderr

    done = run(
        *db, "--user", "admin", "restore", taken["path"], "--yes", pin="9999", tmp_path=tmp_path
    )
    assert "The previous database was kept as" in done.stdout
    con = sqlite3.connect(path)
    try:
        names = {row[0] for row in con.execute("SELECT name FROM patients")}
        [(action,)] = con.execute(
            "SELECT action FROM audit_log WHERE action = 'backup.restore'"
        ).fetchall()
    finally:
        con.close()
    assert "Changed After The Backup" not in names and action == "backup.restore"
    assert len(list(tmp_path.glob("clinic.before-restore-*.db"))) == 1


def test_settings_need_an_admin_and_a_full_path(demo_file, tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))
    desk = run(
        *db,
        "--user",
        "priya",
        "backup",
        "settings",
        "--daily",
        "3",
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert desk.returncode == 1
    relative = run(
        *db,
        "--user",
        "admin",
        "backup",
        "settings",
        "--folder",
        "usb",
        pin="9999",
        tmp_path=tmp_path,
        check=False,
    )
    assert relative.returncode == 2 and "full path" in relative.stderr
    usb = tmp_path / "usb"
    shown = run(
        *db,
        "--user",
        "admin",
        "backup",
        "settings",
        "--folder",
        str(usb),
        "--daily",
        "3",
        pin="9999",
        tmp_path=tmp_path,
    ).stdout
    assert shown.strip() == f"Folder: {usb}; keeps 3 daily and 4 weekly copies."
    assert str(usb) in run(*db, "backup", "now", tmp_path=tmp_path).stdout


def test_export_writes_the_zip_for_an_admin(demo_file, tmp_path):
    import zipfile

    target = tmp_path / "export.zip"
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    said = run(
        "--db",
        str(path),
        "--user",
        "admin",
        "export",
        str(target),
        pin="9999",
        tmp_path=tmp_path,
    ).stdout
    assert said.startswith("Wrote ") and str(target) in said
    assert "patients.csv" in zipfile.ZipFile(target).namelist()


def test_diagnostics_name_the_database_and_the_last_backup(demo_file, tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    run("--db", str(path), "backup", "now", tmp_path=tmp_path)
    said = run("--db", str(path), "diagnostics", tmp_path=tmp_path).stdout
    assert said.startswith("Frontdesk ") and f"Database: {path} (" in said
    assert f"Backups: {tmp_path / 'backups'}" in said and "Last backup: 20" in said


def test_an_unwritable_log_folder_is_one_warning_not_a_traceback(demo_file, tmp_path):
    import os
    import subprocess

    from tests.cli.test_cli import FRONTDESK

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    env = {**os.environ, "FRONTDESK_LOG_DIR": str(blocked / "logs")}
    result = subprocess.run(
        [str(FRONTDESK), "--db", str(demo_file), "backup", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0 and "Backups in" in result.stdout
    assert result.stderr.count("warning: cannot write the log") == 1
    assert "Traceback" not in result.stderr


def test_a_missing_or_empty_database_is_named_and_left_as_it_was(tmp_path):
    import os

    empty = tmp_path / "empty" / "frontdesk.db"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    missing = tmp_path / "missing" / "frontdesk.db"
    missing.parent.mkdir()
    for path, state in ((empty, "the file is empty"), (missing, "there is no such file")):
        for command in (("--user", "priya", "invoice", "list"), ("backup", "now")):
            result = run("--db", str(path), *command, pin="1111", tmp_path=tmp_path, check=False)
            assert result.returncode == 1, result.stderr
            assert f"{path} is not a Frontdesk database yet ({state})" in result.stderr
            assert "init" in result.stderr and "Traceback" not in result.stderr
    assert os.listdir(empty.parent) == ["frontdesk.db"] and empty.stat().st_size == 0
    assert os.listdir(missing.parent) == []
    said = run("--db", str(missing), "diagnostics", tmp_path=tmp_path).stdout
    assert said.startswith("Frontdesk ") and "there is no such file" in said


def test_a_database_that_is_not_set_up_says_to_run_init(tmp_path):
    path = tmp_path / "frontdesk.db"
    run("--db", str(path), "init", "--admin", "asha", pin="482913", tmp_path=tmp_path)
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("DELETE FROM app_settings")
    con.commit()
    con.close()
    result = run(
        "--db",
        str(path),
        "--user",
        "asha",
        "invoice",
        "list",
        pin="482913",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "is not set up yet" in result.stderr
