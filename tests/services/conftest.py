import shutil
from datetime import UTC, date, datetime

import pytest

from services.setup import initialise, open_branch_database

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)

# What the kill tests' forkserver imports once for every process it forks. There is one
# forkserver a test session, and the first test to start it sets this list: each kill test
# must name every module either needs (a desk that imported services.invoicing itself took
# most of each 0.05-0.6 s life to start, and saved 58 invoices in 200 kills).
FORKSERVER_PRELOAD = [
    "services.invoicing",
    "services.campaign_sender",
    "services.setup",
    "sqlalchemy",
]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo clinic, built once per run; tests get their own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    db = open_branch_database(path, now=NOW)
    initialise(db, demo=True, now=NOW, today=TODAY)
    db.close()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    db = open_branch_database(path, now=NOW)
    yield db
    db.close()


@pytest.fixture
def head_office(centre):
    """The head office set up on the centre (sync tests), with a signed-in admin."""
    from tests.services.test_sync_pull import HeadOffice

    office = HeadOffice(centre)
    yield office
    office.db.close()


@pytest.fixture
def two_branches(tmp_path, centre):
    """Branches IND and KOR, each with its own SQLite file and role on the centre."""
    from tests.services.test_sync import Branch

    made = [Branch(tmp_path / f"{code}.db", code, centre) for code in ("IND", "KOR")]
    yield made
    for branch in made:
        branch.db.close()
