"""`frontdesk callback settings` end to end: show, change (manager), refusals name the option."""

import json
import shutil

import pytest

from tests.cli.test_cli import run

DEFAULTS = {
    "timezone": "Asia/Kolkata",
    "sla_hours": {"urgent": 1, "high": 4, "medium": 24, "low": 72},
    "max_attempts": 3,
    "retry_hours": 2,
    "opening_hours": {
        "mon": "10:00-20:00",
        "tue": "10:00-20:00",
        "wed": "10:00-20:00",
        "thu": "10:00-20:00",
        "fri": "10:00-20:00",
        "sat": "10:00-20:00",
        "sun": "closed",
    },
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("callback_settings_cli")
    path = folder / "demo.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


@pytest.fixture
def fd(template, tmp_path):
    """Run `frontdesk --db <copy> --user meera ...` with Meera's (manager's) PIN."""
    path = tmp_path / "frontdesk.db"
    shutil.copyfile(template, path)

    def call(*args, user="meera", pin="2222", check=True):
        return run(
            "--db", str(path), "--user", user, *args, pin=pin, tmp_path=tmp_path, check=check
        )

    return call


def settings(fd, **who):
    return json.loads(fd("callback", "settings", "--json", **who).stdout)


def test_show_prints_the_settings_in_force_as_json_and_as_text(fd):
    assert settings(fd, user="priya", pin="1111") == DEFAULTS

    text = fd("callback", "settings").stdout
    assert "SLA (hours of opening time): urgent 1 h, high 4 h, medium 24 h, low 72 h" in text
    assert "Attempts before unreachable: 3" in text
    assert "Sunday     closed" in text


def test_a_manager_changes_slas_attempts_retry_and_hours(fd):
    result = fd(
        "callback",
        "settings",
        "--sla",
        "high=2",
        "--sla",
        "medium=8.5",
        "--attempts",
        "5",
        "--retry-hours",
        "0.5",
        "--hours",
        "sat=closed",
        "--hours",
        "sunday=11:00-15:00",
    )
    assert result.stdout.startswith("Saved the callback settings.")

    after = settings(fd)
    assert after["sla_hours"] == {"urgent": 1, "high": 2, "medium": 8.5, "low": 72}
    assert after["max_attempts"] == 5
    assert after["retry_hours"] == 0.5
    assert after["opening_hours"]["sat"] == "closed"
    assert after["opening_hours"]["sun"] == "11:00-15:00"
    assert after["opening_hours"]["mon"] == "10:00-20:00"  # untouched days stay


def test_the_front_desk_is_refused_and_nothing_changes(fd):
    result = fd("callback", "settings", "--sla", "high=2", user="priya", pin="1111", check=False)

    assert result.returncode == 1
    assert "needs a manager" in result.stderr
    assert settings(fd) == DEFAULTS


# A value the command line cannot read, or one the settings' rules refuse
# (services.callbacks.CallbackInputError, a BadInput), is a bad argument (2).
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--sla", "high=0"], 2, "The high SLA must be at least one minute. (--sla high)"),
        (["--sla", "low=2"], 2, "shorter than a more urgent category's. (--sla low)"),
        (["--sla", "soon=2"], 2, "'soon' is not a category; use urgent, high, medium, low (--sla)"),
        (["--sla", "high=two"], 2, "'two' is not a number of hours (--sla high)"),
        (["--attempts", "0"], 2, "Allow between 1 and 10 call attempts. (--attempts)"),
        (["--retry-hours", "-1"], 2, "The retry delay must be between 0 minutes and a week"),
        (["--hours", "mon=20:00-10:00"], 2, "Monday: the branch must close after it opens"),
        (["--hours", "fri=9 to 5"], 2, "(--hours fri)"),
        (["--hours", "funday=closed"], 2, "'funday' is not a day"),
    ],
)
def test_a_bad_value_names_the_option_and_saves_nothing(fd, args, status, message):
    result = fd("callback", "settings", *args, check=False)

    assert result.returncode == status
    assert message in result.stderr
    assert settings(fd) == DEFAULTS


def test_a_retry_delay_refusal_names_its_option(fd):
    result = fd("callback", "settings", "--retry-hours", "200", check=False)
    assert result.stderr.strip().endswith("(--retry-hours)")
    result = fd("callback", "settings", "--hours", "mon=20:00-10:00", check=False)
    assert result.stderr.strip().endswith("(--hours mon)")
