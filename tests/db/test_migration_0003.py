"""Seed 001's upgrade: codes made before active hours existed get the seed's defaults."""

import uuid
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from db.engine import sqlite_url
from db.migrate import alembic_config, open_database


def upgrade_to(path, revision):
    engine = create_engine(sqlite_url(path))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_old_codes_get_active_hours_off_and_auto_deactivation_on(tmp_path):
    path = tmp_path / "old.db"
    upgrade_to(path, "0002")
    engine = create_engine(sqlite_url(path))
    promotion, code = uuid.uuid4().hex, uuid.uuid4().hex
    stamp = datetime(2025, 1, 1, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO promotion_campaigns (id, campaign_code, campaign_name, description,"
                " promotion_type, rules, min_purchase_amount, priority, is_stackable,"
                " override_max_discount, requires_code, current_uses, is_active, created_at,"
                " updated_at) VALUES (:id, 'OLD10', 'Old', '', 'percentage', '{}', 0, 100, 0, 0, 1,"
                " 0, 1, :at, :at)"
            ),
            {"id": promotion, "at": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO promo_codes (id, code, promotion_id, current_uses, status, created_at,"
                " updated_at) VALUES (:id, 'OLD10', :promotion, 2, 'active', :at, :at)"
            ),
            {"id": code, "promotion": promotion, "at": stamp},
        )
    engine.dispose()

    db = open_database(path)
    with db.engine.connect() as connection:
        hours, auto, deactivated = connection.execute(
            text(
                "SELECT active_hours, auto_deactivate_on_max_uses, auto_deactivated_at"
                " FROM promo_codes WHERE code = 'OLD10'"
            )
        ).one()
    db.close()
    assert (
        hours == '{"enabled": false, "start_time": "00:00", "end_time": "23:59", "timezone": "UTC"}'
    )
    assert (auto, deactivated) == (1, None)
