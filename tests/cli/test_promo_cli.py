"""The promo command group end to end: spec round trip, codes, refusals, analytics."""

import json

import pytest

from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("promo")
    path = folder / "clinic.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


def manager(path, *args, tmp_path, check=True):
    return run(
        "--db",
        str(path),
        "--user",
        "meera",
        "promo",
        *args,
        pin="2222",
        tmp_path=tmp_path,
        check=check,
    )


def test_spec_round_trip_code_use_and_analytics(clinic, tmp_path):
    spec = json.loads(manager(clinic, "export", "GLOW20", tmp_path=tmp_path).stdout)
    spec.update(
        campaign_code="PEELS10",
        campaign_name="Morning peels",
        discount_percent="10",
        rules={"scope": "category", "categories": ["Peels"]},
        requires_code=True,
        max_discount_amount=None,
    )
    spec_file = tmp_path / "peels.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    manager(clinic, "add", "--json-file", str(spec_file), tmp_path=tmp_path)
    assert json.loads(manager(clinic, "export", "PEELS10", tmp_path=tmp_path).stdout) == {
        **spec,
        "discount_percent": "10.00",
    }

    created = manager(
        clinic,
        "add-code",
        "morning10",
        "--promotion",
        "PEELS10",
        "--active-hours",
        "06:00-09:00",
        "--timezone",
        "Asia/Kolkata",
        "--max-uses",
        "3",
        "--json",
        tmp_path=tmp_path,
    )
    assert json.loads(created.stdout)["active_hours"] == {
        "enabled": True,
        "start_time": "06:00",
        "end_time": "09:00",
        "timezone": "Asia/Kolkata",
    }

    def cart(action, code, *extra):
        return [
            "--db",
            str(clinic),
            "--user",
            "priya",
            "invoice",
            action,
            "--patient",
            "7992905876",
            "--item",
            "PEEL-GLY",
            "--code",
            code,
            "--json",
            *extra,
        ]

    def quoted(at):
        data = json.loads(
            run(*cart("quote", "MORNING10", "--at", at), pin="1111", tmp_path=tmp_path).stdout
        )
        [code] = data["codes"]
        return code

    # The hours are checked at a chosen time by a quote (an invoice is dated now).
    late = quoted("2026-11-24T09:01+05:30")
    assert not late["applied"] and "06:00-09:00" in late["message"]
    assert "outside" not in late["message"]
    assert quoted("2026-11-24T09:00+05:30")["applied"]

    # A second code for the same promotion, at any hour, is saved now.
    manager(
        clinic,
        "add-code",
        "anytime10",
        "--promotion",
        "PEELS10",
        "--max-uses",
        "3",
        tmp_path=tmp_path,
    )
    invoice = cart("create", "ANYTIME10")
    saved = json.loads(run(*invoice, pin="1111", tmp_path=tmp_path).stdout)

    analytics = json.loads(
        manager(clinic, "analytics", "ANYTIME10", "--json", tmp_path=tmp_path).stdout
    )
    assert (analytics["total_uses"], analytics["uses_remaining"]) == (1, 2)
    assert analytics["by_service"][0]["item_code"] == "PEEL-GLY"
    apps = json.loads(
        manager(
            clinic,
            "applications",
            "ANYTIME10",
            "--page",
            "1",
            "--limit",
            "5",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert apps["total"] == 1
    assert apps["applications"][0]["invoice_number"] == saved["invoice_number"]

    manager(clinic, "pause", "ANYTIME10", tmp_path=tmp_path)
    paused = run(*invoice, pin="1111", tmp_path=tmp_path, check=False)
    assert paused.returncode == 1 and "paused" in paused.stderr
    manager(clinic, "resume", "ANYTIME10", tmp_path=tmp_path)
    codes = json.loads(manager(clinic, "list", "--json", tmp_path=tmp_path).stdout)["codes"]
    assert sorted((c["code"], c["status"], c["uses"]) for c in codes) == [
        ("ANYTIME10", "active", 1),
        ("MORNING10", "active", 0),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add-code", "GOOD10", "--promotion", "NOPE"], "--promotion"),
        (["add-code", "X1", "--promotion", "GLOW20"], "CODE"),
        (["add-code", "EVE5", "--promotion", "GLOW20", "--active-hours", "6-9"], "--active-hours"),
        (
            [
                "add-code",
                "EVE5",
                "--promotion",
                "GLOW20",
                "--valid-from",
                "2026-12-01",
                "--valid-to",
                "2026-11-01",
            ],
            "--valid-to",
        ),
        (["add-code", "EVE5", "--promotion", "GLOW20", "--timezone", "UTC"], "--active-hours"),
        (["add", "--json-file", "no-such-spec.json"], "Cannot read no-such-spec.json"),
    ],
)
def test_bad_promo_input_is_a_bad_argument_naming_what_to_fix(clinic, tmp_path, args, message):
    result = manager(clinic, *args, tmp_path=tmp_path, check=False)
    assert result.returncode == 2 and message in result.stderr


def test_the_front_desk_cannot_add_promotions(clinic, tmp_path):
    spec = tmp_path / "x.json"
    spec.write_text("{}", encoding="utf-8")
    result = run(
        "--db",
        str(clinic),
        "--user",
        "priya",
        "promo",
        "add",
        "--json-file",
        str(spec),
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "manager" in result.stderr
