"""The head office's message templates pulled by every branch (issue #15: "... and later
campaigns, templates, sponsors"), against a real PostgreSQL: a template added on the centre
is in each branch's library after its next round, read-only there; a change on the centre
follows at the next round; a branch's own template with the same name for the same channel
refuses the pull with a sentence until it is renamed."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from services import sync, sync_pull
from services.campaigns import templates
from tests.services.test_sync import NOW

pytestmark = pytest.mark.postgres

BIRTHDAY = {
    "name": "Happy birthday (e-mail)",
    "category": "birthday",
    "channel": "email",
    "subject": "Happy birthday, {{ first_name }}",
    "body": "Dear {{ first_name }}, {{ clinic_name }} wishes you a happy birthday.",
}


def add(office, **changes) -> object:
    spec = templates.parse_spec(BIRTHDAY | changes)
    return templates.add_template(office.db, office.admin, spec, now=NOW)


def library(branch) -> dict[str, templates.TemplateRow]:
    return {row.name: row for row in templates.list_templates(branch.db, branch.admin)}


def sync_until(branch, wanted) -> None:
    """Sync until `wanted(library)` holds (a pull waits for the shared server's oldest open
    transaction: a row comes at a later round, never skipped)."""
    for _ in range(100):
        branch.sync()
        if wanted(library(branch)):
            return
        time.sleep(0.1)
    pytest.fail(f"{branch.code} never received the template")


def test_the_head_offices_templates_reach_every_branch_read_only(head_office, two_branches):
    ho = head_office
    template_id = add(ho)
    for branch in two_branches:
        sync_until(branch, lambda rows: BIRTHDAY["name"] in rows)
        row = library(branch)[BIRTHDAY["name"]]
        assert row.id == template_id and row.head_office and row.subject == BIRTHDAY["subject"]
        with pytest.raises(templates.HeadOfficeTemplate, match="Head office manages the template"):
            templates.update_template(
                branch.db,
                branch.admin,
                template_id,
                templates.parse_spec(BIRTHDAY | {"body": "Changed {{ first_name }}"}),
                now=NOW,
            )
    # The head office changes it: each branch has the new text at its next round.
    new_body = "Dear {{ first_name }}, all of us at {{ clinic_name }} wish you well."
    templates.update_template(
        ho.db, ho.admin, template_id, templates.parse_spec(BIRTHDAY | {"body": new_body}), now=NOW
    )
    assert not library(ho)[BIRTHDAY["name"]].head_office  # its own, on the centre
    for branch in two_branches:
        sync_until(branch, lambda rows: rows[BIRTHDAY["name"]].body == new_body)


def test_a_branchs_own_template_of_the_same_name_and_channel_refuses_the_pull(
    head_office, two_branches
):
    branch = two_branches[0]
    own = add(branch)
    add(branch, name="Birthday SMS-like e-mail")  # another name: no clash
    add(head_office)
    with pytest.raises(sync.SyncFailed, match="message template Happy birthday .e-mail. .email."):
        for _ in range(100):
            branch.sync()
            time.sleep(0.1)
    assert sync_pull.last_pull(branch.db).pulled_at is None
    # Renamed at the branch, the next round receives the head office's beside it.
    templates.update_template(
        branch.db,
        branch.admin,
        own,
        templates.parse_spec(BIRTHDAY | {"name": "Happy birthday (our own)"}),
        now=NOW,
    )
    sync_until(branch, lambda rows: BIRTHDAY["name"] in rows)
    rows = library(branch)
    assert rows[BIRTHDAY["name"]].head_office and not rows["Happy birthday (our own)"].head_office


def test_a_branch_role_reads_the_head_offices_templates_only(head_office, two_branches):
    ind, kor = two_branches
    add(head_office)
    add(ind, name="IND's own")
    assert ind.sync().pending == 0
    engine = create_engine(kor.url)
    try:
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM message_templates")).scalars().all()
    finally:
        engine.dispose()
    assert names == [BIRTHDAY["name"]]
