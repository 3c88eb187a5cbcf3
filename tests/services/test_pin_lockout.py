"""Five wrong PINs lock a user for five minutes; every refusal is audited (#13 item 7)."""

import sqlite3
from datetime import timedelta

import pytest

from domain.sign_in import PIN_RULE, pin_problem
from services import auth
from services.errors import SignInError
from tests.cli.test_cli import demo_file, run
from tests.services.conftest import NOW

__all__ = ["demo_file"]


def refusals(path):
    con = sqlite3.connect(path)
    try:
        return con.execute(
            "SELECT json_extract(details, '$.reason') FROM audit_log"
            " WHERE action = 'auth.sign_in_refused' ORDER BY seq"
        ).fetchall()
    finally:
        con.close()


def guess(db, pin, at):
    with pytest.raises(SignInError) as refused:
        auth.sign_in(db, "priya", pin, now=at)
    return str(refused.value)


def five_wrong(db):
    """Five wrong PINs ten seconds apart; the messages. The fifth (at NOW + 40 s) locks."""
    return [guess(db, f"00{n}0", NOW + timedelta(seconds=10 * n)) for n in range(5)]


def test_the_sixth_try_is_refused_even_with_the_right_pin(demo_db):
    messages = five_wrong(demo_db)
    assert "4 more before a lock" in messages[0] and "1 more before a lock" in messages[3]
    assert "locked for 5 more minutes" in messages[4]
    sixth = guess(demo_db, "1111", NOW + timedelta(minutes=4, seconds=41))
    assert "locked for 1 more minute." in sixth and "Another user may sign in" in sixth
    # Another user is not affected.
    assert auth.sign_in(demo_db, "meera", "2222", now=NOW).username == "meera"
    # Every refusal was audited: five wrong PINs, then the one refused for the lock.
    assert refusals(demo_db.path) == [("wrong PIN",)] * 5 + [("locked",)]


def test_the_lock_lifts_after_five_minutes_and_the_count_starts_again(demo_db):
    five_wrong(demo_db)
    locked_at = NOW + timedelta(seconds=40)
    guess(demo_db, "1111", locked_at + timedelta(minutes=5) - timedelta(seconds=1))
    user = auth.sign_in(demo_db, "priya", "1111", now=locked_at + timedelta(minutes=5))
    assert user.username == "priya"
    # A fresh count: four wrong PINs do not lock, the right one still signs in.
    later = locked_at + timedelta(minutes=6)
    for _ in range(4):
        guess(demo_db, "0000", later)
    assert auth.sign_in(demo_db, "priya", "1111", now=later).username == "priya"


def test_a_right_pin_clears_the_wrong_ones_before_it(demo_db):
    for _ in range(4):
        guess(demo_db, "0000", NOW)
    auth.sign_in(demo_db, "priya", "1111", now=NOW)
    for _ in range(4):
        guess(demo_db, "0000", NOW)
    assert auth.sign_in(demo_db, "priya", "1111", now=NOW).username == "priya"


def test_an_unknown_user_is_audited_too(demo_db):
    with pytest.raises(SignInError, match="no active user"):
        auth.sign_in(demo_db, "mallory", "1111", now=NOW)
    assert refusals(demo_db.path) == [("unknown user",)]


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("482913", None),
        ("482913482913", None),
        ("correct horse battery", None),
        ("4829", PIN_RULE),
        ("4829134829134", PIN_RULE),
        ("short words", PIN_RULE),
        (" padded passphrase ", PIN_RULE),
    ],
)
def test_a_new_pin_is_six_digits_or_a_passphrase(pin, problem):
    assert pin_problem(pin) == problem


def test_the_command_line_locks_too(demo_file, tmp_path):
    import shutil

    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    args = ("--db", str(path), "--user", "priya", "branch", "show")
    for _ in range(5):
        assert run(*args, pin="0000", tmp_path=tmp_path, check=False).returncode == 1
    locked = run(*args, pin="1111", tmp_path=tmp_path, check=False)
    assert locked.returncode == 1 and "locked for 5 more minutes" in locked.stderr
